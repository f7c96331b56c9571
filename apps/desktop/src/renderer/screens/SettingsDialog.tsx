import { type Device, DisplayName } from '@parley/shared';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText, parley } from '../api.js';
import { ConfirmDialog, Dialog } from '../components/Dialog.js';
import { Icon } from '../components/Icon.js';
import { formatRelative, LANGUAGES, type Language } from '../i18n/i18n.js';
import { askNotificationPermission } from '../notifications.js';
import { useSession } from '../stores/session.js';
import { type Theme, useSettings } from '../stores/settings.js';

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const settings = useSettings();
  const session = useSession();
  const [displayName, setDisplayName] = useState(session.session?.user.displayName ?? '');
  const [saved, setSaved] = useState<string | null>(null);
  const [devices, setDevices] = useState<Device[]>([]);
  const [revoking, setRevoking] = useState<Device | null>(null);
  const ids = { name: useId(), theme: useId(), language: useId() };

  const loadDevices = () =>
    void parley()
      .devices()
      .then(setDevices)
      .catch(() => {});
  useEffect(loadDevices, []);

  const saveName = async () => {
    if (!DisplayName.safeParse(displayName).success) {
      setSaved(t('auth.displayNameRule'));
      return;
    }
    try {
      const user = await parley().updateProfile({ displayName });
      if (session.session) useSession.setState({ session: { ...session.session, user } });
      setSaved(t('settings.saved'));
    } catch (error) {
      setSaved(errorText(error, t));
    }
  };

  return (
    <Dialog title={t('settings.title')} onClose={onClose}>
      <section aria-labelledby={`${ids.name}-h`}>
        <h3 id={`${ids.name}-h`}>{t('settings.profile')}</h3>
        <label htmlFor={ids.name}>{t('settings.displayName')}</label>
        <div className="row">
          <input id={ids.name} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          <button type="button" onClick={() => void saveName()}>
            {t('settings.save')}
          </button>
        </div>
        {saved ? <p role="status">{saved}</p> : null}
      </section>
      <section>
        <h3>{t('settings.appearance')}</h3>
        <label htmlFor={ids.theme}>{t('settings.theme')}</label>
        <select
          id={ids.theme}
          value={settings.theme}
          onChange={(e) => settings.set({ theme: e.target.value as Theme })}
        >
          <option value="system">{t('settings.themeSystem')}</option>
          <option value="light">{t('settings.themeLight')}</option>
          <option value="dark">{t('settings.themeDark')}</option>
        </select>
        <label htmlFor={ids.language}>{t('settings.language')}</label>
        <select
          id={ids.language}
          value={settings.language}
          onChange={(e) => {
            settings.set({ language: e.target.value as Language });
            void i18n.changeLanguage(e.target.value);
          }}
        >
          {Object.entries(LANGUAGES).map(([code, label]) => (
            <option key={code} value={code}>
              {label}
            </option>
          ))}
        </select>
      </section>
      <section>
        <h3>{t('settings.notifications')}</h3>
        <label className="check">
          <input
            type="checkbox"
            checked={settings.notifications}
            onChange={(e) => {
              settings.set({ notifications: e.target.checked });
              if (e.target.checked) void askNotificationPermission();
            }}
          />
          {t('settings.notificationsOn')}
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={settings.notificationText}
            disabled={!settings.notifications}
            onChange={(e) => settings.set({ notificationText: e.target.checked })}
          />
          {t('settings.notificationsText')}
        </label>
      </section>
      <section>
        <h3>{t('settings.devices')}</h3>
        <ul className="devices">
          {devices.map((d) => (
            <li key={d.id}>
              <span>
                {d.name} {d.current ? <em>({t('settings.thisDevice')})</em> : null}
                <small> · {t('settings.lastActive', { when: formatRelative(d.lastSeenAt, i18n.language) })}</small>
              </span>
              {d.current ? null : (
                <button
                  type="button"
                  className="small"
                  aria-label={t('settings.revoke', { name: d.name })}
                  onClick={() => setRevoking(d)}
                >
                  <Icon name="close" />
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <div className="dialog-actions">
        <button type="button" className="danger" onClick={() => void session.signOut().then(onClose)}>
          {t('settings.signOut')}
        </button>
        <button type="button" onClick={onClose}>
          {t('settings.close')}
        </button>
      </div>
      {revoking ? (
        <ConfirmDialog
          title={t('confirm.revokeTitle', { name: revoking.name })}
          body={t('confirm.revokeBody')}
          confirm={t('confirm.revoke')}
          cancel={t('confirm.cancel')}
          onConfirm={() => void parley().revokeDevice(revoking.id).then(loadDevices)}
          onClose={() => setRevoking(null)}
        />
      ) : null}
    </Dialog>
  );
}
