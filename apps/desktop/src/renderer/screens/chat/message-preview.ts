import { type AttachmentPointer, INLINE_IMAGE_TYPES, type LocalMessage } from '@parley/shared';
import type { TFunction } from 'i18next';
import { formatClock } from '../../i18n/format.js';
import { callSummary } from '../call/call-summary.js';

export type AttachmentKind = 'image' | 'voice' | 'file';

/** How an attachment shows: an inline picture (its size is known), a voice message, or a file card. */
export function attachmentKind(attachment: AttachmentPointer): AttachmentKind {
  if (attachment.voice && attachment.contentType.startsWith('audio/')) return 'voice';
  if (attachment.image && INLINE_IMAGE_TYPES.has(attachment.contentType)) return 'image';
  return 'file';
}

/** An attachment in a few words: "Photo", "Voice message · 0:07", "📎 report.pdf". */
export function attachmentSummary(attachment: AttachmentPointer, t: TFunction): string {
  switch (attachmentKind(attachment)) {
    case 'image':
      return t('attachments.photo');
    case 'voice':
      return t('attachments.voiceSummary', { duration: formatClock(attachment.voice?.durationMs ?? 0) });
    case 'file':
      return t('attachments.fileSummary', { name: attachment.name });
  }
}

/**
 * A message in one line of words, for the chat list and notifications: the text (its first line
 * when `firstLine`), a call's summary, or the attachment's summary with the caption.
 */
export function messagePreview(message: LocalMessage, t: TFunction, { firstLine = true } = {}): string {
  if (message.call) return callSummary(message, t);
  if (message.deleted) return t('messageActions.deleted');
  const text = firstLine ? (message.text.split('\n')[0] ?? '') : message.text;
  if (!message.attachment) return text;
  const summary = attachmentSummary(message.attachment, t);
  return text ? t('attachments.withCaption', { summary, caption: text }) : summary;
}
