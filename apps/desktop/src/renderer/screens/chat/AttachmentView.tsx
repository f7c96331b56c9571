import type { AttachmentPointer, LocalMessage, TransferUpdate } from '@parley/shared';
import { type KeyboardEvent, type PointerEvent, type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../../api.js';
import { Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { formatBytes, formatClock } from '../../i18n/format.js';
import { attachmentUrl } from '../../platform/attachment-url.js';
import { useTransfers } from '../../stores/transfers.js';
import { useVoicePlayer } from '../../stores/voice-player.js';
import { attachmentKind } from './message-preview.js';
import { bucketPeaks } from './voice-recording.js';

/** The largest box an inline picture takes in the history; its box is reserved from the pointer's size. */
const IMAGE_MAX_PX = 320;
const IMAGE_MIN_PX = 64;

/** The box of an inline picture: its own proportions, at most IMAGE_MAX_PX on either side. */
export function imageBox(image: { width: number; height: number }): { width: number; height: number } {
  const scale = Math.min(1, IMAGE_MAX_PX / image.width, IMAGE_MAX_PX / image.height);
  return {
    width: Math.max(IMAGE_MIN_PX, Math.round(image.width * scale)),
    height: Math.max(IMAGE_MIN_PX, Math.round(image.height * scale)),
  };
}

/** What a message's transfer shows: bytes moving, a way to try again, or nothing. */
type TransferView =
  | { kind: 'active'; direction: 'upload' | 'download'; done: number; total: number }
  | { kind: 'retry'; direction: 'upload' | 'download'; cancelled: boolean; error?: TransferUpdate['error'] }
  | { kind: 'none' };

function transferView(message: LocalMessage, transfer: TransferUpdate | undefined): TransferView {
  const ready = message.attachmentReady;
  if (transfer?.direction === 'download' && !ready) {
    if (transfer.state === 'active')
      return { kind: 'active', direction: 'download', done: transfer.done, total: transfer.total };
    if (transfer.state === 'failed' || transfer.state === 'cancelled')
      return { kind: 'retry', direction: 'download', cancelled: transfer.state === 'cancelled', error: transfer.error };
  }
  if (message.direction === 'out' && ready) {
    const unsent = message.status === 'pending' || message.status === 'failed';
    if (transfer?.direction === 'upload' && unsent) {
      if (transfer.state === 'active' && message.status === 'pending')
        return { kind: 'active', direction: 'upload', done: transfer.done, total: transfer.total };
      if (transfer.state === 'failed' || transfer.state === 'cancelled')
        return { kind: 'retry', direction: 'upload', cancelled: transfer.state === 'cancelled', error: transfer.error };
    }
    if (message.status === 'failed') return { kind: 'retry', direction: 'upload', cancelled: false };
  }
  return { kind: 'none' };
}

/** A progress bar with Cancel while bytes move; what went wrong with Retry after. */
function TransferControls({ message, view }: { message: LocalMessage; view: TransferView }) {
  const { t, i18n } = useTranslation();
  const [problem, setProblem] = useState<string | null>(null);
  const name = message.attachment?.name ?? '';
  if (view.kind === 'none') return null;
  if (view.kind === 'active') {
    const label =
      view.direction === 'upload' ? t('attachments.uploading', { name }) : t('attachments.downloading', { name });
    return (
      <div className="transfer">
        <progress max={Math.max(1, view.total)} value={Math.min(view.done, view.total)} aria-label={label} />
        <span className="transfer-bytes">
          {t('attachments.progress', {
            done: formatBytes(view.done, i18n.language),
            total: formatBytes(view.total, i18n.language),
          })}
        </span>
        <button
          type="button"
          className="small"
          onClick={() =>
            void useTransfers
              .getState()
              .cancel(message.id)
              .catch(() => {})
          }
        >
          {t('attachments.cancel')}
        </button>
      </div>
    );
  }
  const retry = () => {
    setProblem(null);
    if (view.direction === 'download') useTransfers.getState().download(message);
    else
      void useTransfers
        .getState()
        .retryUpload(message)
        .catch((error: unknown) => setProblem(errorMessage(error, t)));
  };
  // Past the server's retention: retrying cannot bring it back.
  const gone = view.direction === 'download' && view.error?.code === 'NOT_FOUND';
  const what =
    problem ??
    (gone ? t('attachments.downloadGone') : null) ??
    (view.direction === 'upload'
      ? view.cancelled
        ? t('attachments.uploadCancelled')
        : t('attachments.uploadFailed')
      : view.cancelled
        ? t('attachments.downloadCancelled')
        : view.error?.code === 'ATTACHMENT_CORRUPT'
          ? t('errors.ATTACHMENT_CORRUPT')
          : t('attachments.downloadFailed'));
  return (
    <div className="transfer failed">
      <span className="transfer-problem">{what}</span>
      {gone ? null : (
        <button type="button" className="small" onClick={retry}>
          {t('attachments.retry')}
        </button>
      )}
    </div>
  );
}

/** The file's type in a word: its extension ("PDF"), else its media type. */
function fileType(attachment: AttachmentPointer): string {
  const dot = attachment.name.lastIndexOf('.');
  const extension = dot > 0 ? attachment.name.slice(dot + 1) : '';
  return extension && extension.length <= 5 ? extension.toUpperCase() : attachment.contentType;
}

/** A link that saves the decrypted file under its name. */
function SaveLink({ message, className }: { message: LocalMessage; className: string }) {
  const { t } = useTranslation();
  return (
    <a className={className} href={attachmentUrl(message.id, true)} download={message.attachment?.name}>
      <Icon name="download" size={16} />
      {t('attachments.save')}
    </a>
  );
}

/** What each kind of attachment is drawn from. */
interface AttachmentProps {
  message: LocalMessage;
  attachment: AttachmentPointer;
  view: TransferView;
}

function FileCard({ message, attachment, view }: AttachmentProps) {
  const { t, i18n } = useTranslation();
  let action: ReactNode = null;
  if (message.attachmentReady) action = <SaveLink message={message} className="button-link small" />;
  else if (view.kind === 'none')
    action = (
      <button type="button" className="small" onClick={() => useTransfers.getState().download(message)}>
        {t('attachments.download')}
      </button>
    );
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of controls, not a form section (no <fieldset> styling)
    <div className="file-card" role="group" aria-label={attachment.name}>
      <span className="file-icon" aria-hidden="true">
        <Icon name="file" size={24} />
      </span>
      <span className="file-text">
        <span className="file-name">{attachment.name}</span>
        <span className="file-meta">
          {formatBytes(attachment.size, i18n.language)} · {t('attachments.fileType', { type: fileType(attachment) })}
        </span>
      </span>
      {action ? <span className="file-action">{action}</span> : null}
      <TransferControls message={message} view={view} />
    </div>
  );
}

function ImageAttachment({ message, attachment, view }: AttachmentProps) {
  const { t } = useTranslation();
  const [viewing, setViewing] = useState(false);
  const box = imageBox(attachment.image ?? { width: IMAGE_MAX_PX, height: IMAGE_MAX_PX });
  const url = attachmentUrl(message.id);
  return (
    // The box is reserved before the picture arrives, so the row keeps its height.
    <div className="image-attachment" style={box}>
      {message.attachmentReady ? (
        <button
          type="button"
          className="image-open"
          aria-label={t('attachments.open', { name: attachment.name })}
          onClick={() => setViewing(true)}
        >
          <img src={url} alt={attachment.name} width={box.width} height={box.height} />
        </button>
      ) : (
        <span className="image-placeholder" aria-hidden="true">
          <Icon name="file" size={28} />
        </span>
      )}
      {!message.attachmentReady && view.kind === 'none' ? (
        <button
          type="button"
          className="small image-download"
          onClick={() => useTransfers.getState().download(message)}
        >
          {t('attachments.download')}
        </button>
      ) : null}
      {view.kind === 'none' ? null : (
        <div className="image-overlay">
          <TransferControls message={message} view={view} />
        </div>
      )}
      {viewing ? (
        <Dialog title={attachment.name} onClose={() => setViewing(false)} className="image-viewer">
          <img className="image-viewer-picture" src={url} alt={attachment.name} />
          <div className="dialog-actions">
            <SaveLink message={message} className="button-link" />
            <button type="button" data-autofocus onClick={() => setViewing(false)}>
              {t('attachments.close')}
            </button>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}

/** Bars the waveform is drawn with. */
const WAVE_BARS = 40;
/** Arrow keys move this far; Page Up/Down five times as far. */
const SEEK_STEP_MS = 1000;
const seconds = (ms: number) => Math.round(ms / 100) / 10;

function VoiceMessage({ message, attachment, view }: AttachmentProps) {
  const { t } = useTranslation();
  const isPlaying = useVoicePlayer((s) => s.messageId === message.id && s.playing);
  // The sender's measure: MediaRecorder files often say their duration is Infinity.
  const total = attachment.voice?.durationMs ?? 0;
  const position = useVoicePlayer((s) => (s.messageId === message.id ? Math.min(total, s.positionMs) : 0));
  const ready = message.attachmentReady;
  const levels = bucketPeaks(attachment.voice?.waveform ?? [], WAVE_BARS).map((level) => level / 255);
  const played = total > 0 ? Math.round((position / total) * WAVE_BARS) : 0;

  const toggle = () => useVoicePlayer.getState().toggle(message.id);
  const seek = (ms: number) => useVoicePlayer.getState().seek(message.id, Math.min(total, Math.max(0, ms)));

  const seekToPointer = (event: PointerEvent<HTMLDivElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    if (rect.width <= 0) return;
    seek(((event.clientX - rect.left) / rect.width) * total);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!ready) return;
    const moves: Record<string, number> = {
      ArrowRight: position + SEEK_STEP_MS,
      ArrowUp: position + SEEK_STEP_MS,
      ArrowLeft: position - SEEK_STEP_MS,
      ArrowDown: position - SEEK_STEP_MS,
      PageUp: position + 5 * SEEK_STEP_MS,
      PageDown: position - 5 * SEEK_STEP_MS,
      Home: 0,
      End: total,
    };
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    seek(to);
  };

  return (
    <div className="voice-message">
      <button
        type="button"
        className="voice-play"
        aria-label={isPlaying ? t('voice.pause') : t('voice.play')}
        title={isPlaying ? t('voice.pause') : t('voice.play')}
        disabled={!ready}
        onClick={toggle}
      >
        <Icon name={isPlaying ? 'pause' : 'play'} size={18} />
      </button>
      <div className="voice-body">
        <div
          className="voice-wave"
          role="slider"
          tabIndex={ready ? 0 : -1}
          aria-label={t('voice.position')}
          aria-valuemin={0}
          aria-valuemax={seconds(total)}
          aria-valuenow={seconds(position)}
          aria-valuetext={t('voice.positionText', { current: formatClock(position), total: formatClock(total) })}
          aria-disabled={ready ? undefined : true}
          onKeyDown={onKeyDown}
          onPointerDown={(event) => {
            if (!ready) return;
            event.currentTarget.setPointerCapture?.(event.pointerId);
            seekToPointer(event);
          }}
          onPointerMove={(event) => {
            if (ready && event.currentTarget.hasPointerCapture?.(event.pointerId)) seekToPointer(event);
          }}
        >
          <svg viewBox={`0 0 ${WAVE_BARS * 4} 28`} preserveAspectRatio="none" aria-hidden="true">
            {levels.map((level, i) => {
              const height = Math.max(2.5, level * 28);
              return (
                <rect
                  // biome-ignore lint/suspicious/noArrayIndexKey: fixed bars
                  key={i}
                  className={i < played ? 'played' : undefined}
                  x={i * 4 + 0.75}
                  y={(28 - height) / 2}
                  width={2.5}
                  height={height}
                  rx={1.25}
                />
              );
            })}
          </svg>
        </div>
        <span className="voice-time">
          {formatClock(position)} / {formatClock(total)}
        </span>
      </div>
      <TransferControls message={message} view={view} />
    </div>
  );
}

/** Pictures and voice messages up to this size download by themselves; bigger ones on request. */
const AUTO_DOWNLOAD_MAX_BYTES = 16 * 1024 * 1024;

/**
 * An attachment in the history: a picture, a voice message or a file card, with its transfer.
 * Received pictures and voice messages are fetched as soon as their row is shown (up to
 * AUTO_DOWNLOAD_MAX_BYTES); files on request.
 */
export function AttachmentView({ message }: { message: LocalMessage }) {
  const transfer = useTransfers((s) => s.transfers[message.id]);
  const attachment = message.attachment;
  const kind = attachment ? attachmentKind(attachment) : 'file';
  const view = transferView(message, transfer);
  const needsFetch =
    attachment !== null &&
    !message.attachmentReady &&
    kind !== 'file' &&
    attachment.size <= AUTO_DOWNLOAD_MAX_BYTES &&
    transfer === undefined;

  useEffect(() => {
    if (needsFetch) useTransfers.getState().download(message);
  }, [needsFetch, message]);

  if (!attachment) return null;
  switch (kind) {
    case 'image':
      return <ImageAttachment message={message} attachment={attachment} view={view} />;
    case 'voice':
      return <VoiceMessage message={message} attachment={attachment} view={view} />;
    case 'file':
      return <FileCard message={message} attachment={attachment} view={view} />;
  }
}
