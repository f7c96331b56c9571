import { useTranslation } from 'react-i18next';
import { errorMessage } from '../../api.js';
import { useSession } from '../../stores/session.js';

/** While the last session is restored from the keychain: calm, no spinner race. */
export function OpeningScreen() {
  const { t } = useTranslation();
  return (
    <main className="startup" aria-busy="true">
      <img className="auth-logo pulse" src="./icon.png" alt="" width={56} height={56} />
      <p role="status">{t('startup.opening')}</p>
    </main>
  );
}

/**
 * The keychain is unreachable. Parley will not run without it (the database key lives there),
 * so this says what to do and offers only to try again.
 */
export function KeychainScreen() {
  const { t } = useTranslation();
  return (
    <main className="startup">
      <section className="auth-card" role="alert" aria-labelledby="keychain-title">
        <h1 id="keychain-title">{t('startup.keychainTitle')}</h1>
        <p>{t('startup.keychainBody')}</p>
        <button type="button" className="primary wide" onClick={() => void useSession.getState().restore()}>
          {t('startup.tryAgain')}
        </button>
      </section>
    </main>
  );
}

/** Restoring failed for another reason (the store is locked by another window…). */
export function RestoreFailedScreen() {
  const { t } = useTranslation();
  const error = useSession((s) => s.restoreError);
  return (
    <main className="startup">
      <section className="auth-card" role="alert" aria-labelledby="restore-title">
        <h1 id="restore-title">{t('startup.failedTitle')}</h1>
        <p>{errorMessage(error, t)}</p>
        <button type="button" className="primary wide" onClick={() => void useSession.getState().restore()}>
          {t('startup.tryAgain')}
        </button>
      </section>
    </main>
  );
}
