import type { SafetyNumber } from '@parley/shared';
import QRCode from 'qrcode';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage, parley } from '../../api.js';
import { Dialog } from '../../components/Dialog.js';
import { Field } from '../../components/Field.js';
import { Icon } from '../../components/Icon.js';
import { useContacts } from '../../stores/contacts.js';
import { digitsOf, safetyCode } from './safety-code.js';

/** 60 digits as 12 groups of 5, however the core spaced them. */
export function digitGroups(digits: string): string[] {
  return digits.replace(/\D/g, '').match(/\d{1,5}/g) ?? [];
}

/** The safety number as a QR code (an SVG drawn here, shown as an image: no markup is injected). */
function SafetyQr({ digits, label }: { digits: string; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    void QRCode.toString(safetyCode(digits), { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }).then((svg) => {
      if (current) setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
    });
    return () => {
      current = false;
    };
  }, [digits]);
  return src ? <img className="safety-qr" src={src} alt={label} width={176} height={176} /> : null;
}

/** A code scanned from the other screen (or their digits typed in), compared with mine. */
function CompareCode({ digits, name }: { digits: string; name: string }) {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  const [result, setResult] = useState<'match' | 'mismatch' | 'invalid' | null>(null);
  const compare = (event: FormEvent) => {
    event.preventDefault();
    const theirs = digitsOf(code);
    setResult(theirs === null ? 'invalid' : theirs === digits.replace(/\D/g, '') ? 'match' : 'mismatch');
  };
  return (
    <form className="inline-form safety-compare" onSubmit={compare} noValidate>
      <Field
        label={t('safety.compareLabel', { name })}
        hint={t('safety.compareHint')}
        problem={result === 'invalid' ? t('safety.compareInvalid') : undefined}
        value={code}
        autoComplete="off"
        spellCheck={false}
        onValue={(value) => {
          setCode(value);
          setResult(null);
        }}
      />
      <button type="submit" disabled={code.trim() === ''}>
        {t('safety.compare')}
      </button>
      <p role="status" className={result === 'mismatch' ? 'warning-text' : 'muted'}>
        {result === 'match' ? t('safety.match', { name }) : result === 'mismatch' ? t('safety.mismatch', { name }) : ''}
      </p>
    </form>
  );
}

/**
 * The safety number to compare with the contact: a grid that is easy to read aloud, a QR code to
 * scan, a field for a code scanned from their screen, and "Mark as verified", which a key change undoes.
 */
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
        useContacts.getState().verifiedChanged(peerUserId, result.verified);
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
              verified: decision === 'acceptIdentity' ? false : n.verified,
            }
          : n,
      );
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };

  const setVerified = async (verified: boolean) => {
    setProblem(null);
    try {
      const result = await parley.setVerified(peerUserId, verified);
      setNumber(result);
      useContacts.getState().verifiedChanged(peerUserId, result.verified);
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };
  const changed = Boolean(number?.changed || pending);

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
          <div className="safety-number">
            <ol className="safety-digits" aria-label={t('safety.digits')}>
              {digitGroups(number.digits).map((group, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the groups are positions in a fixed number
                <li key={i}>{group}</li>
              ))}
            </ol>
            <SafetyQr digits={number.digits} label={t('safety.qr', { name })} />
          </div>
          {changed ? <p className="warning-text">{t('safety.changed')}</p> : null}
          {number.verified ? (
            <p className="verified-text">
              <Icon name="shield" size={16} /> {t('safety.verified', { name })}
            </p>
          ) : null}
          {changed ? null : <CompareCode digits={number.digits} name={name} />}
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
        {number && !changed ? (
          <button type="button" onClick={() => void setVerified(!number.verified)}>
            {number.verified ? t('safety.clearVerified') : t('safety.markVerified')}
          </button>
        ) : null}
        {changed ? (
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
