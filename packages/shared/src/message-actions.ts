import { z } from 'zod';
import { AttachmentPointer } from './attachments.js';
import { IsoDate, Uuid } from './fields.js';

/**
 * Message actions (reply, edit, delete, react, forward): each travels as a message of its own kind
 * inside the encrypted content and points at its target by message id and author, never by
 * conversation, so a group chat applies them the same way as a 1:1 chat.
 */

const HOUR_MS = 3_600_000;

export const MESSAGE_ACTION_LIMITS = {
  /** My own text messages can be edited this long after they were sent… */
  editWindowMs: 24 * HOUR_MS,
  /** …at most this many times. */
  maxEdits: 10,
  /** A receiver applies an edit or a delete for everyone only this long after the target's server time. */
  acceptWindowMs: 48 * HOUR_MS,
  /** My own messages can be deleted for everyone this long after they were sent. */
  deleteWindowMs: 24 * HOUR_MS,
  /** Messages one delete (or forward) names at most. */
  targetsPerAction: 100,
  /** The text a reply quotes of its original, at most. */
  quoteChars: 200,
} as const;

/** A message an action is about: its id and who wrote it (checked against the stored message). */
export const TargetRef = z.strictObject({ id: Uuid, author: Uuid });
export type TargetRef = z.infer<typeof TargetRef>;

/** What a reply shows of the message it answers, so that it reads even where the original is gone. */
export const Quote = z.strictObject({
  id: Uuid,
  author: Uuid,
  /** The start of the original's text (or caption). */
  text: z.string().max(MESSAGE_ACTION_LIMITS.quoteChars),
  /** The original's attachment, by name and type (its thumbnail comes from the local copy). */
  attachment: AttachmentPointer.pick({ name: true, contentType: true }).optional(),
});
export type Quote = z.infer<typeof Quote>;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** One emoji (a single grapheme with a pictograph or a flag in it). */
export const Emoji = z
  .string()
  .min(1)
  .max(32)
  .refine(
    (s) => [...graphemes.segment(s)].length === 1 && /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(s),
    'Must be one emoji',
  );

/** As on every message: when it was written, and the conversation (the peer of a 1:1 chat). */
const common = { sentAt: IsoDate, to: Uuid };

/** Kinds of `MessageContent` that act on other messages. */
export const ActionContent = [
  /** A new text for one of my text messages. */
  z.strictObject({ kind: z.literal('edit'), target: TargetRef, text: z.string().min(1).max(8_000), ...common }),
  /** Delete for everyone: my own messages become tombstones on every device. */
  z.strictObject({
    kind: z.literal('delete'),
    targets: z.array(TargetRef).min(1).max(MESSAGE_ACTION_LIMITS.targetsPerAction),
    ...common,
  }),
  /** Delete for me: only to my own other devices, any messages. */
  z.strictObject({
    kind: z.literal('deleteForMe'),
    targets: z.array(TargetRef).min(1).max(MESSAGE_ACTION_LIMITS.targetsPerAction),
    ...common,
  }),
  /** My reaction to a message (null removes it); the latest one wins. */
  z.strictObject({ kind: z.literal('reaction'), target: TargetRef, emoji: Emoji.nullable(), ...common }),
] as const;

/** One person's reaction to a message. */
export interface Reaction {
  userId: string;
  emoji: string;
}

/** What a message has before anyone acts on it (and when it is no reply and not forwarded). */
export const UNTOUCHED = {
  quote: null,
  forwarded: false,
  editedAt: null,
  editCount: 0,
  deleted: false,
  reactions: [] as Reaction[],
} as const;

/** An earlier text of an edited message, and since when it stood. */
export interface MessageVersion {
  text: string;
  at: string;
}

/** The moment a message counts from for the time windows: the server's, else (unsent) the sender's. */
const momentOf = (m: { serverTimestamp: string | null; sentAt: string }) => Date.parse(m.serverTimestamp ?? m.sentAt);

interface Actionable {
  direction: 'in' | 'out';
  serverTimestamp: string | null;
  sentAt: string;
  deleted: boolean;
  call: unknown;
  attachment: unknown;
  editCount: number;
}

/** Whether I may still edit this message: my own text, within the window, under the edit limit. */
export function canEdit(m: Actionable, now = Date.now()): boolean {
  return (
    m.direction === 'out' &&
    !m.deleted &&
    !m.call &&
    !m.attachment &&
    m.editCount < MESSAGE_ACTION_LIMITS.maxEdits &&
    now - momentOf(m) < MESSAGE_ACTION_LIMITS.editWindowMs
  );
}

/** Whether I may still delete this message for everyone: my own, within the window. */
export function canDeleteForEveryone(m: Actionable, now = Date.now()): boolean {
  return m.direction === 'out' && !m.deleted && !m.call && now - momentOf(m) < MESSAGE_ACTION_LIMITS.deleteWindowMs;
}
