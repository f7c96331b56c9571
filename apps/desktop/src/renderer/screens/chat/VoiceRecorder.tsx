import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Icon } from '../../components/Icon.js';
import { formatClock } from '../../i18n/format.js';
import { useTransfers } from '../../stores/transfers.js';
import { fileStamp, recordingProblem, VoiceRecording } from './voice-recording.js';

/** Bars of the live level meter (the last second or so). */
const LIVE_BARS = 28;

/**
 * Records a voice message in place of the composer row: it starts on mount (asking for the
 * microphone), shows the time and the level as it goes, and ends with Send, Cancel or Escape.
 * The microphone is released whichever way it ends, also when the chat is left.
 */
export function VoiceRecorder({ peerUserId, onDone }: { peerUserId: string; onDone: (problem?: string) => void }) {
  const { t } = useTranslation();
  const [phase, setPhase] = useState<'starting' | 'recording' | 'sending'>('starting');
  const [elapsed, setElapsed] = useState(0);
  const [levels, setLevels] = useState<number[]>([]);
  const recording = useRef<VoiceRecording | null>(null);
  const sendButton = useRef<HTMLButtonElement>(null);
  const onDoneRef = useRef(onDone);
  onDoneRef.current = onDone;
  const tRef = useRef(t);
  tRef.current = t;

  useEffect(() => {
    let live = true;
    VoiceRecording.start().then(
      (started) => {
        if (!live) {
          started.cancel();
          return;
        }
        recording.current = started;
        setPhase('recording');
      },
      (error: unknown) => {
        if (live) onDoneRef.current(tRef.current(`voice.${recordingProblem(error)}`));
      },
    );
    return () => {
      live = false;
      recording.current?.cancel();
      recording.current = null;
    };
  }, []);

  useEffect(() => {
    if (phase !== 'recording') return;
    sendButton.current?.focus();
    const timer = setInterval(() => {
      const current = recording.current;
      if (!current) return;
      setElapsed(current.elapsedMs());
      setLevels(current.levels.slice(-LIVE_BARS));
    }, 100);
    return () => clearInterval(timer);
  }, [phase]);

  const cancel = () => {
    recording.current?.cancel();
    recording.current = null;
    onDoneRef.current();
  };

  const send = async () => {
    const current = recording.current;
    if (!current || phase !== 'recording') return;
    setPhase('sending');
    recording.current = null;
    try {
      const recorded = await current.finish();
      const name = `${t('voice.fileName', { date: fileStamp() })}.${recorded.extension}`;
      const file = new File([recorded.blob], name, { type: recorded.contentType });
      onDoneRef.current();
      await useTransfers.getState().sendFile(peerUserId, file, { voice: recorded.voice });
    } catch {
      onDoneRef.current(t('voice.empty'));
    }
  };

  // Escape cancels wherever the focus is (the recorder owns the composer while it runs).
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      event.preventDefault();
      cancel();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  });

  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of controls, not a form section (no <fieldset> styling)
    <div className="composer-row recorder" role="group" aria-label={t('voice.recording')}>
      <button
        type="button"
        className="icon-button recorder-cancel"
        aria-label={t('voice.cancel')}
        title={t('voice.cancelHint')}
        onClick={cancel}
      >
        <Icon name="trash" size={20} />
      </button>
      <span className={`recorder-dot${phase === 'recording' ? ' live' : ''}`} aria-hidden="true" />
      <span role="timer" className="recorder-time">
        {formatClock(elapsed)}
      </span>
      <svg
        className="recorder-levels"
        viewBox={`0 0 ${LIVE_BARS * 4} 24`}
        preserveAspectRatio="none"
        aria-hidden="true"
      >
        {Array.from({ length: LIVE_BARS }, (_, i) => {
          const level = levels[levels.length - LIVE_BARS + i] ?? 0;
          const height = Math.max(2, (level / 255) * 24);
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed bars, redrawn in place
          return <rect key={i} x={i * 4 + 0.75} y={(24 - height) / 2} width={2.5} height={height} rx={1} />;
        })}
      </svg>
      <span className="recorder-hint">{t('voice.cancelHint')}</span>
      <button
        ref={sendButton}
        type="button"
        className="send-button"
        aria-label={t('voice.send')}
        title={t('voice.send')}
        disabled={phase !== 'recording'}
        onClick={() => void send()}
      >
        <Icon name="send" size={20} />
      </button>
    </div>
  );
}
