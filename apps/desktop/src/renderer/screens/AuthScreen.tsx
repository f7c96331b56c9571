import { DeviceName, DisplayName, Password, Username } from '@parley/shared';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import { errorText, parley } from '../api.js';
import { askNotificationPermission } from '../notifications.js';
import { useSession } from '../stores/session.js';

const defaultDeviceName = () => {
  const ua = navigator.userAgent;
  const os = /Windows/.test(ua) ? 'Windows' : /Mac/.test(ua) ? 'Mac' : /Linux/.test(ua) ? 'Linux' : 'Desktop';
  return `Parley on ${os}`;
};

function Field(props: {
  label: string;
  hint?: string;
  error?: string | undefined;
  value: string;
  type?: string;
  autoComplete: string;
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? 'text'}
        value={props.value}
        autoComplete={props.autoComplete}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={`${id}-hint`}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <span id={`${id}-hint`} className={props.error ? 'field-error' : 'field-hint'}>
        {props.error ?? props.hint}
      </span>
    </div>
  );
}

/** Sign in or create an account. Rules are the shared schemas'; server errors are shown in words. */
export function AuthScreen() {
  const { t } = useTranslation();
  const [mode, setMode] = useState<'signIn' | 'register'>('signIn');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [deviceName, setDeviceName] = useState(defaultDeviceName);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const check = (schema: z.ZodType, value: string, rule: string) =>
    touched && !schema.safeParse(value).success ? rule : undefined;
  const errors = {
    username: check(Username, username, t('auth.usernameRule')),
    password: check(Password, password, t('auth.passwordRule')),
    displayName: mode === 'register' ? check(DisplayName, displayName, t('auth.displayNameRule')) : undefined,
    deviceName: check(DeviceName, deviceName, t('auth.displayNameRule')),
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    setFailure(null);
    const valid =
      Username.safeParse(username).success &&
      Password.safeParse(password).success &&
      DeviceName.safeParse(deviceName).success &&
      (mode === 'signIn' || DisplayName.safeParse(displayName).success);
    if (!valid) return;
    setBusy(true);
    try {
      const session =
        mode === 'register'
          ? await parley().register({ username, password, displayName, deviceName })
          : await parley().login({ username, password, deviceName });
      void askNotificationPermission();
      useSession.getState().signedIn(session);
    } catch (error) {
      setFailure(errorText(error, t));
    } finally {
      setBusy(false);
    }
  }

  const title = mode === 'register' ? t('auth.registerTitle') : t('auth.signInTitle');
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-label={title} noValidate>
        <img src="./icon.png" alt="" width={56} height={56} />
        <h1>{title}</h1>
        <Field
          label={t('auth.username')}
          hint={t('auth.usernameRule')}
          error={errors.username}
          value={username}
          autoComplete="username"
          onChange={setUsername}
        />
        <Field
          label={t('auth.password')}
          hint={t('auth.passwordRule')}
          error={errors.password}
          value={password}
          type="password"
          autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
          onChange={setPassword}
        />
        {mode === 'register' ? (
          <Field
            label={t('auth.displayName')}
            hint={t('auth.displayNameRule')}
            error={errors.displayName}
            value={displayName}
            autoComplete="name"
            onChange={setDisplayName}
          />
        ) : null}
        <Field
          label={t('auth.deviceName')}
          error={errors.deviceName}
          value={deviceName}
          autoComplete="off"
          onChange={setDeviceName}
        />
        {failure ? (
          <p role="alert" className="form-error">
            {failure}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('auth.working') : mode === 'register' ? t('auth.register') : t('auth.signIn')}
        </button>
        <button
          type="button"
          className="link"
          onClick={() => {
            setMode(mode === 'register' ? 'signIn' : 'register');
            setFailure(null);
            setTouched(false);
          }}
        >
          {mode === 'register' ? t('auth.toSignIn') : t('auth.toRegister')}
        </button>
      </form>
    </main>
  );
}

export function KeychainScreen() {
  const { t } = useTranslation();
  return (
    <main className="auth">
      <section className="auth-card" role="alert">
        <h1>{t('keychain.title')}</h1>
        <p>{t('keychain.body')}</p>
      </section>
    </main>
  );
}
