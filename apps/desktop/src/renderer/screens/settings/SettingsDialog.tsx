import { DisplayName } from '@parley/shared';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage, parley } from '../../api.js';
import { ConfirmDialog, Dialog } from '../../components/Dialog.js';
import { Field } from '../../components/Field.js';
import { LANGUAGES, type Language } from '../../i18n/i18n.js';
import { notificationsBlocked, requestNotificationPermission } from '../../notifications.js';
import { useSession } from '../../stores/session.js';
import { type Theme, useSettings } from '../../stores/settings.js';
import { describeIssues } from '../auth/validation.js';
import { DevicesSection } from './DevicesSection.js';

const THEMES: { value: Theme; label: 'settings.themeSystem' | 'settings.themeLight' | 'settings.themeDark' }[] = [
  { value: 'system', label: 'settings.themeSystem' },
  { value: 'light', label: 'settings.themeLight' },
  { value: 'dark', label: 'settings.themeDark' },
];

function ProfileSection() {
  const { t } = useTranslation();
  const user = useSession((s) => s.session?.user);
  const [displayName, setDisplayName] = useState(user?.displayName ?? '');
  const [problem, setProblem] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const checked = DisplayName.safeParse(displayName);
    if (!checked.success) {
      const issues = checked.error.issues.map((i) => ({ path: 'displayName', code: i.code }));
      setProblem(describeIssues(issues, { username: '', password: '', displayName, deviceName: '' }, t).displayName);
      return;
    }
    try {
      useSession.getState().profileUpdated(await parley.updateProfile({ displayName: checked.data }));
      setSaved(true);
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };

  return (
    <section className="settings-section" aria-labelledby="settings-profile">
      <h3 id="settings-profile">{t('settings.profile')}</h3>
      {user ? <p className="muted">{t('settings.signedInAs', { username: user.username })}</p> : null}
      <form className="inline-form" onSubmit={save} noValidate>
        <Field
          label={t('settings.displayName')}
          problem={problem}
          value={displayName}
          autoComplete="name"
          onValue={(value) => {
            setDisplayName(value);
            setProblem(undefined);
            setSaved(false);
          }}
        />
        <button type="submit" disabled={displayName === user?.displayName}>
          {t('settings.save')}
        </button>
      </form>
      <p role="status" className="saved">
        {saved ? t('settings.saved') : ''}
      </p>
    </section>
  );
}

function AppearanceSection() {
  const { t } = useTranslation();
  const theme = useSettings((s) => s.theme);
  const language = useSettings((s) => s.language);
  const update = useSettings((s) => s.update);
  return (
    <section className="settings-section" aria-labelledby="settings-appearance">
      <h3 id="settings-appearance">{t('settings.appearance')}</h3>
      <fieldset className="segmented">
        <legend>{t('settings.theme')}</legend>
        {THEMES.map((option) => (
          <label key={option.value}>
            <input
              type="radio"
              name="theme"
              value={option.value}
              checked={theme === option.value}
              onChange={() => update({ theme: option.value })}
            />
            <span>{t(option.label)}</span>
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="settings-language">{t('settings.language')}</label>
        <select
          id="settings-language"
          value={language}
          onChange={(event) => update({ language: event.target.value as Language })}
        >
          {Object.entries(LANGUAGES).map(([code, name]) => (
            <option key={code} value={code} lang={code}>
              {name}
            </option>
          ))}
        </select>
      </div>
    </section>
  );
}

function NotificationsSection() {
  const { t } = useTranslation();
  const notifications = useSettings((s) => s.notifications);
  const notificationText = useSettings((s) => s.notificationText);
  const update = useSettings((s) => s.update);
  const [blocked, setBlocked] = useState(notificationsBlocked);
  return (
    <section className="settings-section" aria-labelledby="settings-notifications">
      <h3 id="settings-notifications">{t('settings.notifications')}</h3>
      <label className="check">
        <input
          type="checkbox"
          checked={notifications}
          onChange={(event) => {
            update({ notifications: event.target.checked });
            if (event.target.checked)
              void requestNotificationPermission()
                .catch(() => {})
                .then(() => setBlocked(notificationsBlocked()));
          }}
        />
        <span>{t('settings.notificationsOn')}</span>
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={notificationText}
          disabled={!notifications}
          onChange={(event) => update({ notificationText: event.target.checked })}
        />
        <span>{t('settings.notificationsText')}</span>
      </label>
      {notifications && blocked ? <p className="muted">{t('settings.notificationsBlocked')}</p> : null}
    </section>
  );
}

function CallsSection() {
  const { t } = useTranslation();
  const relayCalls = useSettings((s) => s.relayCalls);
  const update = useSettings((s) => s.update);
  return (
    <section className="settings-section" aria-labelledby="settings-calls">
      <h3 id="settings-calls">{t('settings.calls')}</h3>
      <label className="check">
        <input
          type="checkbox"
          checked={relayCalls}
          onChange={(event) => update({ relayCalls: event.target.checked })}
        />
        <span>{t('settings.relayCalls')}</span>
      </label>
      <p className="muted">{t('settings.relayCallsHint')}</p>
    </section>
  );
}

function MessagesSection() {
  const { t } = useTranslation();
  const linkPreviews = useSettings((s) => s.linkPreviews);
  const update = useSettings((s) => s.update);
  return (
    <section className="settings-section" aria-labelledby="settings-messages">
      <h3 id="settings-messages">{t('settings.messages')}</h3>
      <label className="check">
        <input
          type="checkbox"
          checked={linkPreviews}
          onChange={(event) => update({ linkPreviews: event.target.checked })}
        />
        <span>{t('settings.linkPreviews')}</span>
      </label>
      <p className="muted">{t('settings.linkPreviewsHint')}</p>
    </section>
  );
}

function AccountSection({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useTranslation();
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const signOut = async () => {
    try {
      await useSession.getState().signOut();
      onSignedOut();
    } catch (error) {
      setProblem(errorMessage(error, t));
    }
  };
  return (
    <section className="settings-section" aria-labelledby="settings-account">
      <h3 id="settings-account">{t('settings.account')}</h3>
      <button
        type="button"
        className="danger"
        onClick={() => {
          setProblem(null);
          setConfirming(true);
        }}
      >
        {t('settings.signOut')}
      </button>
      {confirming ? (
        <ConfirmDialog
          title={t('confirm.signOutTitle')}
          body={t('confirm.signOutBody')}
          confirm={t('confirm.signOut')}
          cancel={t('confirm.cancel')}
          problem={problem}
          onConfirm={signOut}
          onClose={() => setConfirming(false)}
        />
      ) : null}
    </section>
  );
}

/** Profile, appearance, notifications, devices, signing out. Preferences apply at once. */
export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Dialog title={t('settings.title')} onClose={onClose} className="settings">
      <div className="settings-scroll">
        <ProfileSection />
        <AppearanceSection />
        <NotificationsSection />
        <MessagesSection />
        <CallsSection />
        <DevicesSection />
        <AccountSection onSignedOut={onClose} />
      </div>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          {t('settings.close')}
        </button>
      </div>
    </Dialog>
  );
}
