import type { Device } from '@parley/shared';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage, parley } from '../../api.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { useNow } from '../../hooks/useNow.js';
import { formatRelative } from '../../i18n/format.js';

/** My devices, this one first and marked; any other can be signed out, after a confirmation. */
export function DevicesSection() {
  const { t, i18n } = useTranslation();
  const now = useNow(60_000);
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Device | null>(null);
  const [revokeProblem, setRevokeProblem] = useState<string | null>(null);

  const load = useCallback(() => {
    parley.devices().then(
      (list) => {
        setDevices(
          [...list].sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt)),
        );
        setProblem(null);
      },
      (error: unknown) => setProblem(errorMessage(error, t)),
    );
  }, [t]);
  useEffect(load, [load]);

  const revoke = async () => {
    if (!revoking) return;
    try {
      await parley.revokeDevice(revoking.id);
      setRevoking(null);
      load();
    } catch (error) {
      setRevokeProblem(errorMessage(error, t));
    }
  };

  return (
    <section className="settings-section" aria-labelledby="settings-devices">
      <h3 id="settings-devices">{t('settings.devices')}</h3>
      {problem ? (
        <p role="alert" className="form-error">
          {problem}
        </p>
      ) : null}
      {devices === null && !problem ? <p className="muted">{t('settings.devicesLoading')}</p> : null}
      <ul className="devices">
        {devices?.map((device) => (
          <li key={device.id}>
            <span className="device-text">
              <span className="device-name">
                {device.name}
                {device.current ? <span className="tag">{t('settings.thisDevice')}</span> : null}
              </span>
              <span className="muted">
                {t('settings.lastActive', { when: formatRelative(device.lastSeenAt, i18n.language, now) })}
              </span>
            </span>
            {device.current ? null : (
              <button
                type="button"
                className="small"
                aria-label={t('settings.revoke', { name: device.name })}
                onClick={() => {
                  setRevokeProblem(null);
                  setRevoking(device);
                }}
              >
                {t('settings.revokeShort')}
              </button>
            )}
          </li>
        ))}
      </ul>
      {revoking ? (
        <ConfirmDialog
          title={t('confirm.revokeTitle', { name: revoking.name })}
          body={t('confirm.revokeBody')}
          confirm={t('confirm.revoke')}
          cancel={t('confirm.cancel')}
          problem={revokeProblem}
          onConfirm={revoke}
          onClose={() => setRevoking(null)}
        />
      ) : null}
    </section>
  );
}
