import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CallView } from '../../calls/engine.js';
import { Avatar } from '../../components/Avatar.js';
import { useNow } from '../../hooks/useNow.js';
import { formatClock } from '../../i18n/format.js';
import { callEngine, useCalls } from '../../stores/calls.js';
import { usePeer } from '../../stores/conversations.js';

/** A video (or, for audio calls, sound only) element playing a MediaStream. */
function StreamPlayer({ stream, muted, className }: { stream: MediaStream; muted: boolean; className: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current && ref.current.srcObject !== stream) ref.current.srcObject = stream;
  }, [stream]);
  return <video ref={ref} className={className} autoPlay playsInline muted={muted} />;
}

function CallTimer({ since }: { since: number }) {
  const now = useNow(1_000);
  return (
    <span className="call-timer" role="timer">
      {formatClock(Math.max(0, now - since))}
    </span>
  );
}

/** Microphone and camera pickers for the running call. */
function DevicePickers({ call }: { call: CallView }) {
  const { t } = useTranslation();
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  useEffect(() => {
    void navigator.mediaDevices
      .enumerateDevices()
      .then(setDevices)
      .catch(() => {});
  }, []);
  const current = (kind: 'audio' | 'video') =>
    (kind === 'audio' ? call.localStream?.getAudioTracks() : call.localStream?.getVideoTracks())?.[0]?.getSettings()
      .deviceId ?? '';
  const picker = (kind: 'audioinput' | 'videoinput', label: string) => {
    const options = devices.filter((d) => d.kind === kind);
    if (options.length < 2) return null;
    return (
      <label className="call-device">
        <span>{label}</span>
        <select
          value={current(kind === 'audioinput' ? 'audio' : 'video')}
          onChange={(event) => void callEngine.switchDevice(kind, event.target.value)}
        >
          {options.map((d, i) => (
            <option key={d.deviceId} value={d.deviceId}>
              {d.label || `${label} ${i + 1}`}
            </option>
          ))}
        </select>
      </label>
    );
  };
  return (
    <>
      {picker('audioinput', t('call.microphone'))}
      {call.media === 'video' ? picker('videoinput', t('call.camera')) : null}
    </>
  );
}

/** The call: ringing (either way), connecting, in progress, or just ended with its reason. */
export function CallScreen() {
  const { t } = useTranslation();
  const call = useCalls((s) => s.call);
  const peer = usePeer(call?.peerUserId ?? '');
  if (!call) return null;
  const name = peer?.displayName ?? '…';
  const video = call.media === 'video';
  const status =
    call.phase === 'ended'
      ? t(`call.ended.${call.endReason ?? 'hungUp'}`, { name })
      : call.phase === 'incoming'
        ? t(video ? 'call.incomingVideo' : 'call.incomingAudio')
        : call.phase === 'outgoing'
          ? t('call.calling')
          : call.phase === 'connecting'
            ? t('call.connecting')
            : null;

  return (
    <section
      className={`call-screen phase-${call.phase}${video ? ' video' : ''}`}
      aria-label={t('call.screen', { name })}
    >
      {call.remoteStream ? <StreamPlayer stream={call.remoteStream} muted={false} className="call-remote" /> : null}
      {video && call.localStream ? <StreamPlayer stream={call.localStream} muted className="call-local" /> : null}
      <div className="call-info">
        {!video || !call.remoteStream ? <Avatar id={call.peerUserId} name={name} /> : null}
        <h2>{name}</h2>
        <p className="call-status" role="status">
          {status}
          {call.phase === 'active' && call.connectedAt ? <CallTimer since={call.connectedAt} /> : null}
        </p>
        {call.phase === 'active' && call.quality ? (
          <p className={`call-quality ${call.quality}`}>{t(`call.quality.${call.quality}`)}</p>
        ) : null}
      </div>
      <div className="call-controls">
        {call.phase === 'incoming' ? (
          <>
            <button type="button" className="primary" onClick={() => void callEngine.accept()}>
              {t('call.accept')}
            </button>
            <button type="button" className="danger" onClick={() => void callEngine.decline()}>
              {t('call.decline')}
            </button>
          </>
        ) : call.phase === 'ended' ? null : (
          <>
            {call.phase === 'active' || call.phase === 'connecting' ? (
              <>
                <button type="button" aria-pressed={call.muted} onClick={() => callEngine.toggleMute()}>
                  {t(call.muted ? 'call.unmute' : 'call.mute')}
                </button>
                {video ? (
                  <button type="button" aria-pressed={!call.cameraOn} onClick={() => callEngine.toggleCamera()}>
                    {t(call.cameraOn ? 'call.cameraOff' : 'call.cameraOn')}
                  </button>
                ) : null}
                <DevicePickers call={call} />
              </>
            ) : null}
            <button type="button" className="danger" onClick={() => void callEngine.hangUp()}>
              {t(call.phase === 'outgoing' ? 'call.cancel' : 'call.hangUp')}
            </button>
          </>
        )}
      </div>
    </section>
  );
}
