import type { SafetyNumber } from '@parley/shared';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage, parley } from '../../api.js';
import { Dialog } from '../../components/Dialog.js';
import { useContacts } from '../../stores/contacts.js';

/** 60 digits as 12 groups of 5, however the core spaced them. */
export function digitGroups(digits: string): string[] {
  return digits.replace(/\D/g, '').match(/\d{1,5}/g) ?? [];
}

/** The safety number to compare with the contact, in a grid that is easy to read aloud. */
export function SafetyNumberDialog({
  peerUserId,
  name,
  onClose,
}: {
  peerUserId: string;
  name: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [number, setNumber] = useState<SafetyNumber | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const pending = useContacts((s) => s.identityNotices[peerUserId]?.kind === 'key_changed');

  useEffect(() => {
    let current = true;
    parley.safetyNumber(peerUserId).then(
      (result) => {
        if (!current) return;
        setNumber(result);
        // Found out here: raise the conversation's warning too.
        if (result.changed) useContacts.getState().identityChanged({ userId: peerUserId, kind: 'key_changed' });
      },
      (error: unknown) => current && setProblem(errorMessage(error, t)),
    );
    return () => {
      current = false;
    };
  }, [peerUserId, t]);

  const decide = async (decision: 'acceptIdentity' | 'rejectIdentity') => {
    try {
      await useContacts.getState()[decision](peerUserId);
      setNumber((n) =>
        n
          ? {
              ...n,
              digits: decision === 'acceptIdentity' ? (n.pendingDigits ?? n.digits) : n.digits,
              changed: false,
              pendingDigits: null,
            }
          : n,
      );
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };

  return (
    <Dialog title={t('safety.title', { name })} onClose={onClose} className="safety">
      <p>{t('safety.body', { name })}</p>
      {problem ? (
        <p role="alert" className="form-error">
          {problem}
        </p>
      ) : null}
      {number ? (
        <>
          <ol className="safety-digits" aria-label={t('safety.digits')}>
            {digitGroups(number.digits).map((group, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the groups are positions in a fixed number
              <li key={i}>{group}</li>
            ))}
          </ol>
          {number.changed || pending ? <p className="warning-text">{t('safety.changed')}</p> : null}
          {number.pendingDigits ? (
            <>
              <p>{t('safety.pending', { name })}</p>
              <ol className="safety-digits" aria-label={t('safety.pendingDigits')}>
                {digitGroups(number.pendingDigits).map((group, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: the groups are positions in a fixed number
                  <li key={i}>{group}</li>
                ))}
              </ol>
            </>
          ) : null}
        </>
      ) : problem ? null : (
        <p role="status" className="muted">
          {t('safety.loading')}
        </p>
      )}
      <div className="dialog-actions">
        {number?.changed || pending ? (
          <>
            <button type="button" onClick={() => void decide('acceptIdentity')}>
              {t('conversation.accept')}
            </button>
            <button type="button" className="primary" onClick={() => void decide('rejectIdentity')}>
              {t('conversation.keepKey')}
            </button>
          </>
        ) : null}
        <button type="button" data-autofocus onClick={onClose}>
          {t('safety.close')}
        </button>
      </div>
    </Dialog>
  );
}
