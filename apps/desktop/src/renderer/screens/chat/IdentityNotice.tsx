import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../../api.js';
import { useContacts } from '../../stores/contacts.js';
import { useSession } from '../../stores/session.js';

/**
 * The identity notices of a conversation. A changed key (the peer's, or one of my own devices',
 * which every send is copied to) is a warning: messages from the new key are refused, and nothing
 * is sent until the user accepts the new key or keeps the old one. A new device of theirs is only
 * a quiet notice.
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
  const me = useSession((s) => s.session?.user.id);
  const notice = useContacts((s) => s.identityNotices[peerUserId]);
  const mine = useContacts((s) => (me && me !== peerUserId ? s.identityNotices[me] : undefined));

  if (mine?.kind === 'key_changed') {
    return <KeyChanged userId={me as string} text={t('conversation.ownKeyChanged')} refused={mine.refusedMessages} />;
  }
  if (notice?.kind === 'key_changed') {
    return (
      <KeyChanged
        userId={peerUserId}
        text={t('conversation.keyChanged', { name })}
        refused={notice.refusedMessages}
        onReview={onReview}
      />
    );
  }
  if (notice?.kind === 'device_added') {
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

/** The warning about a user's changed key, with the ways out: review, accept, keep the old key. */
function KeyChanged({
  userId,
  text,
  refused,
  onReview,
}: {
  userId: string;
  text: string;
  refused: number;
  onReview?: () => void;
}) {
  const { t } = useTranslation();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const decide = async (decision: 'acceptIdentity' | 'rejectIdentity') => {
    setBusy(true);
    setProblem(null);
    try {
      await useContacts.getState()[decision](userId);
    } catch (error) {
      setProblem(errorMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="banner warning" role="alert">
      <p>{text}</p>
      {refused > 0 ? <p>{t('conversation.refused', { count: refused })}</p> : null}
      {problem ? <p className="form-error">{problem}</p> : null}
      <div className="banner-actions">
        {onReview ? (
          <button type="button" onClick={onReview}>
            {t('conversation.reviewSafety')}
          </button>
        ) : null}
        <button type="button" disabled={busy} onClick={() => void decide('acceptIdentity')}>
          {onReview ? t('conversation.accept') : t('conversation.acceptOwnKey')}
        </button>
        <button type="button" className="primary" disabled={busy} onClick={() => void decide('rejectIdentity')}>
          {t('conversation.keepKey')}
        </button>
      </div>
    </div>
  );
}
