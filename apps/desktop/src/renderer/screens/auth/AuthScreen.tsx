import type { RegistrationMode } from '@parley/shared';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorCode, errorMessage, fieldIssues, parley, retryAfterSeconds } from '../../api.js';
import { Field } from '../../components/Field.js';
import { useNow } from '../../hooks/useNow.js';
import { requestNotificationPermission } from '../../notifications.js';
import { useSession } from '../../stores/session.js';
import { useSettings } from '../../stores/settings.js';
import { type AuthField, type AuthProblems, type AuthValues, describeIssues, validate } from './validation.js';

/** A name for this device the person would recognise in their device list. */
function operatingSystem(): string {
  const ua = navigator.userAgent;
  if (/Windows/.test(ua)) return 'Windows';
  if (/Mac OS X|Macintosh/.test(ua)) return 'macOS';
  if (/CrOS/.test(ua)) return 'ChromeOS';
  if (/Linux/.test(ua)) return 'Linux';
  return 'Desktop';
}

/** "Try again in 12 seconds", counting down; tells the form when the wait is over. */
function RateLimitNotice({ until, onDone }: { until: number; onDone: () => void }) {
  const { t } = useTranslation();
  const now = useNow(1000);
  const seconds = Math.ceil((until - now) / 1000);
  useEffect(() => {
    if (seconds <= 0) onDone();
  }, [seconds, onDone]);
  return (
    <p role="alert" className="form-error">
      {t('errors.RATE_LIMITED_retry', { count: Math.max(1, seconds) })}
    </p>
  );
}

/**
 * Sign in, or create an account. Fields are checked with the shared request schemas as the
 * person leaves them; the server's refusals come back in words, on the field when they are about one.
 * Creating an account asks the server who may: an invite code field appears when it needs one,
 * and a server that takes no sign-ups says so instead of showing the form.
 */
export function AuthScreen() {
  const { t } = useTranslation();
  const notice = useSession((s) => s.signedOutNotice);
  const [mode, setMode] = useState<'signIn' | 'register'>('signIn');
  const [values, setValues] = useState<AuthValues>(() => ({
    username: '',
    password: '',
    displayName: '',
    deviceName: t('auth.defaultDeviceName', { os: operatingSystem() }),
    inviteCode: '',
  }));
  // Unknown until the server answers (or if it cannot): the form is shown and the server decides.
  const [registration, setRegistration] = useState<RegistrationMode | null>(null);
  const [touched, setTouched] = useState<Partial<Record<AuthField, boolean>>>({});
  const [attempts, setAttempts] = useState(0);
  const [serverProblems, setServerProblems] = useState<AuthProblems>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const titleId = useId();

  const needsInvite = mode === 'register' && registration === 'invite';
  const closed = mode === 'register' && registration === 'closed';
  const problems = validate(mode, values, t, needsInvite);
  const shown = (field: AuthField) =>
    serverProblems[field] ?? (touched[field] || attempts > 0 ? problems[field] : undefined);

  // The first field has the focus on opening, and again after switching between sign-in and create account.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `mode` is the reason to focus again
  useEffect(() => {
    form.current?.querySelector('input')?.focus();
  }, [mode]);

  useEffect(() => {
    if (mode !== 'register') return;
    let current = true;
    parley.registrationMode().then(
      (answer) => current && setRegistration(answer),
      () => current && setRegistration(null),
    );
    return () => {
      current = false;
    };
  }, [mode]);

  // After a refused submit, the first field with a problem gets the focus (and is read out).
  useEffect(() => {
    if (attempts > 0) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempts]);

  const change = (field: AuthField) => (value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    setServerProblems(({ [field]: _, ...rest }) => rest);
    setFailure(null);
  };
  const leave = (field: AuthField) => () => {
    if (values[field] !== '') setTouched((v) => ({ ...v, [field]: true }));
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy || retryAt || closed) return;
    setFailure(null);
    setServerProblems({});
    if (Object.keys(problems).length > 0) {
      setAttempts((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      const session =
        mode === 'register'
          ? await parley.register({
              username: values.username,
              password: values.password,
              displayName: values.displayName,
              deviceName: values.deviceName,
              ...(needsInvite ? { inviteCode: values.inviteCode } : {}),
            })
          : await parley.login({ username: values.username, password: values.password, deviceName: values.deviceName });
      if (useSettings.getState().notifications) void requestNotificationPermission().catch(() => {});
      useSession.getState().signedIn(session);
    } catch (error) {
      const seconds = retryAfterSeconds(error);
      const onFields = describeIssues(fieldIssues(error), values, t);
      if (seconds !== null) setRetryAt(Date.now() + seconds * 1000);
      else if (errorCode(error) === 'USERNAME_TAKEN') setServerProblems({ username: errorMessage(error, t) });
      else if (errorCode(error) === 'INVALID_INVITE') {
        setRegistration('invite');
        setServerProblems({ inviteCode: errorMessage(error, t) });
      } else if (errorCode(error) === 'REGISTRATION_CLOSED') setRegistration('closed');
      else if (Object.keys(onFields).length > 0) setServerProblems(onFields);
      else setFailure(errorMessage(error, t));
      if (['USERNAME_TAKEN', 'INVALID_INVITE'].includes(errorCode(error) ?? '') || Object.keys(onFields).length > 0) {
        setAttempts((n) => n + 1);
      }
      setBusy(false);
    }
  }

  const switchMode = () => {
    setMode(mode === 'register' ? 'signIn' : 'register');
    useSession.getState().dismissSignedOutNotice(); // it was about the sign-in that ended, said once
    setFailure(null);
    setServerProblems({});
    setTouched({});
    setAttempts(0);
  };

  const title = mode === 'register' ? t('auth.registerTitle') : t('auth.signInTitle');
  return (
    <main className="auth">
      <form ref={form} className="auth-card" onSubmit={submit} aria-labelledby={titleId} aria-busy={busy} noValidate>
        <img className="auth-logo" src="./icon.png" alt="" width={56} height={56} />
        <h1 id={titleId}>{title}</h1>
        <p className="auth-tagline">{t('auth.tagline')}</p>
        {notice ? (
          <p className="notice" role="status">
            {t(`auth.${notice}`)}
          </p>
        ) : null}
        {closed ? (
          <p className="notice" role="status">
            {t('auth.registrationClosed')}
          </p>
        ) : (
          <>
            <Field
              label={t('auth.username')}
              hint={mode === 'register' ? t('auth.usernameHint') : undefined}
              problem={shown('username')}
              value={values.username}
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              onValue={change('username')}
              onBlur={leave('username')}
            />
            <Field
              label={t('auth.password')}
              hint={mode === 'register' ? t('auth.passwordHint') : undefined}
              problem={shown('password')}
              value={values.password}
              type="password"
              autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
              onValue={change('password')}
              onBlur={leave('password')}
            />
            {mode === 'register' ? (
              <Field
                label={t('auth.displayName')}
                hint={t('auth.displayNameHint')}
                problem={shown('displayName')}
                value={values.displayName}
                autoComplete="name"
                onValue={change('displayName')}
                onBlur={leave('displayName')}
              />
            ) : null}
            <Field
              label={t('auth.deviceName')}
              hint={t('auth.deviceNameHint')}
              problem={shown('deviceName')}
              value={values.deviceName}
              autoComplete="off"
              onValue={change('deviceName')}
              onBlur={leave('deviceName')}
            />
            {needsInvite ? (
              <Field
                label={t('auth.inviteCode')}
                hint={t('auth.inviteCodeHint')}
                problem={shown('inviteCode')}
                value={values.inviteCode}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                onValue={change('inviteCode')}
                onBlur={leave('inviteCode')}
              />
            ) : null}
            {failure ? (
              <p role="alert" className="form-error">
                {failure}
              </p>
            ) : null}
            {retryAt ? <RateLimitNotice until={retryAt} onDone={() => setRetryAt(null)} /> : null}
            <button type="submit" className="primary wide" disabled={busy || retryAt !== null}>
              {busy ? t('auth.working') : mode === 'register' ? t('auth.register') : t('auth.signIn')}
            </button>
          </>
        )}
        <button type="button" className="link" onClick={switchMode}>
          {mode === 'register' ? t('auth.toSignIn') : t('auth.toRegister')}
        </button>
      </form>
    </main>
  );
}
