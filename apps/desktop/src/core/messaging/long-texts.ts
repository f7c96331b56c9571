import { Readable } from 'node:stream';
import { type AttachmentPointer, LIMITS, type LocalMessage, utf8Bytes, utf8Prefix } from '@parley/shared';
import type { AttachmentTransfers } from '../attachments/transfers.js';
import { CoreError } from '../errors.js';
import type { MessagesRepository } from '../store/messages.js';
import type { MessageEvents } from './message-events.js';

/** What a long text's body is called inside its (encrypted) pointer. */
const LONG_TEXT_NAME = 'message.txt';
const LONG_TEXT_TYPE = 'text/plain; charset=utf-8';

/** A text too long for the envelope. */
export const isLongText = (text: string): boolean => utf8Bytes(text) > LIMITS.inlineTextBytes;

/** What the envelope carries of a long text: its beginning. */
export const longTextBeginning = (text: string): string => utf8Prefix(text, LIMITS.longTextPreviewBytes);

/** Failures that mean the body will never come: the server forgot it, or it is not what was sent. */
const FOR_GOOD = new Set(['NOT_FOUND', 'ATTACHMENT_CORRUPT', 'VALIDATION_FAILED']);

/**
 * Texts longer than an envelope carries (`LIMITS.inlineTextBytes`): the sender encrypts the whole
 * text as an attachment (uploaded by the outbox before the message, like a file) and sends its
 * beginning inline with the pointer; every receiving device fetches the body by itself, checks
 * it and puts the whole text in its store (and its search index), then drops the local copy.
 */
export class LongTexts {
  private readonly fetching = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly transfers: Pick<AttachmentTransfers, 'prepare' | 'download' | 'open' | 'discard'>,
    private readonly messages: MessagesRepository,
    private readonly events: Pick<MessageEvents, 'changed'>,
  ) {}

  /** Encrypts a long text's body into a local copy, announced to the server for `peerUserId`. */
  async prepare(peerUserId: string, text: string): Promise<AttachmentPointer> {
    const body = Buffer.from(text, 'utf8');
    const uploaded = await this.transfers.prepare(peerUserId, Readable.from([body]), body.byteLength);
    return { ...uploaded, name: LONG_TEXT_NAME, contentType: LONG_TEXT_TYPE };
  }

  /** Fetches every body still missing (at the start, and whenever the connection is back). */
  fetchPending(): void {
    for (const id of this.messages.incompleteTexts()) void this.fetch(id);
  }

  /** Fetches one message's body (once at a time); a network failure leaves it for the next try. */
  fetch(messageId: string): Promise<void> {
    const running = this.fetching.get(messageId);
    if (running) return running;
    const done = this.complete(messageId)
      .catch((error: unknown) => {
        if (this.abort.signal.aborted) return;
        const code = (error as Partial<CoreError>).code ?? '';
        if (FOR_GOOD.has(code)) this.changed(this.messages.textUnavailable(messageId));
        else console.warn(`parley: the rest of message ${messageId} did not arrive yet: ${(error as Error).message}`);
      })
      .finally(() => this.fetching.delete(messageId));
    this.fetching.set(messageId, done);
    return done;
  }

  /** Stops the fetches (signing out, closing); what is missing is fetched at the next start. */
  stop(): void {
    this.abort.abort();
  }

  private async complete(messageId: string): Promise<void> {
    const pointer = this.messages.longText(messageId);
    if (!pointer || this.abort.signal.aborted) return;
    if (pointer.size > LIMITS.messageTextBytes)
      throw new CoreError('VALIDATION_FAILED', 'A long text larger than the limit');
    await this.transfers.download(pointer, () => {}, this.abort.signal);
    const chunks: Buffer[] = [];
    for await (const chunk of this.transfers.open(pointer)) chunks.push(chunk as Buffer);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    } catch {
      throw new CoreError('VALIDATION_FAILED', 'A long text that is not UTF-8');
    }
    if (this.abort.signal.aborted) return;
    const complete = this.messages.completeText(messageId, text);
    await this.transfers.discard(pointer.id);
    this.changed(complete);
  }

  private changed(message: LocalMessage | undefined): void {
    if (message) this.events.changed(message.peerUserId, [message.id], []);
  }
}
