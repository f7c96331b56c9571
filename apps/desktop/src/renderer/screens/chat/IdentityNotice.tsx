import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../../api.js';
import { useContacts } from '../../stores/contacts.js';

/**
 * A changed safety number is a warning with two ways out: review it, or accept it (sending stays
 * blocked until then). A new device of theirs is only a quiet notice.
 */
export function IdentityNotice({
  peerUserId,
  name,
  onReview,
}: {
  peerUserId: string;
  name: string;
  onReview: () => void;
}) {
  const { t } = useTranslation();
  const notice = useContacts((s) => s.identityNotices[peerUserId]);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (notice === 'key_changed') {
    const accept = async () => {
      setBusy(true);
      setProblem(null);
      try {
        await useContacts.getState().acceptIdentity(peerUserId);
      } catch (error) {
        setProblem(errorMessage(error, t));
      } finally {
        setBusy(false);
      }
    };
    return (
      <div className="banner warning" role="alert">
        <p>{t('conversation.keyChanged', { name })}</p>
        {problem ? <p className="form-error">{problem}</p> : null}
        <div className="banner-actions">
          <button type="button" onClick={onReview}>
            {t('conversation.reviewSafety')}
          </button>
          <button type="button" className="primary" disabled={busy} onClick={() => void accept()}>
            {t('conversation.accept')}
          </button>
        </div>
      </div>
    );
  }
  if (notice === 'device_added') {
    return (
      <div className="banner quiet" role="status">
        <p>{t('conversation.deviceAdded', { name })}</p>
        <div className="banner-actions">
          <button
            type="button"
            className="link"
            onClick={() => useContacts.getState().dismissIdentityNotice(peerUserId)}
          >
            {t('conversation.dismiss')}
          </button>
        </div>
      </div>
    );
  }
  return null;
}
