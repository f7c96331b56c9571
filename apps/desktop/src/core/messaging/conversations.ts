import { randomUUID } from 'node:crypto';
import {
  type AttachmentPointer,
  type ConversationSummary,
  type HistoryPage,
  LIMITS,
  type LinkPreview,
  type LocalMessage,
  type SearchHit,
  utf8Bytes,
} from '@parley/shared';
import { CoreError } from '../errors.js';
import type { SignalService } from '../signal/signal-service.js';
import type { LocalStore } from '../store/local-store.js';
import { isLongText, type LongTexts } from './long-texts.js';
import type { MessageEvents } from './message-events.js';
import type { Outbox } from './outbox.js';

const HISTORY_PAGE = 50;

/** What an outgoing message carries besides its text. */
export interface Extras {
  attachment?: AttachmentPointer;
  /** A long text's body, prepared for upload. */
  longText?: AttachmentPointer;
  preview?: LinkPreview;
}

/** Conversations as the UI sees them: reading, writing (into the outbox), marking read, resending. */
export class Conversations {
  constructor(
    private readonly me: { userId: string },
    private readonly store: Pick<LocalStore, 'messages' | 'outbox' | 'transaction'>,
    private readonly signal: Pick<SignalService, 'assertTrusted'>,
    private readonly outbox: Pick<Outbox, 'kick'>,
    private readonly events: MessageEvents,
    private readonly longTexts: Pick<LongTexts, 'prepare'>,
  ) {}

  list(): ConversationSummary[] {
    return this.store.messages.conversations();
  }

  history(peerUserId: string, before?: string, limit = HISTORY_PAGE): HistoryPage {
    return this.store.messages.history(peerUserId, before, Math.min(Math.max(1, limit), 500));
  }

  search(query: string, limit = 50, peerUserId?: string): SearchHit[] {
    return this.store.messages.search(query, Math.min(Math.max(1, limit), 200), peerUserId);
  }

  /**
   * Sends a text whole: up to `LIMITS.inlineTextBytes` inside the envelope, longer (up to
   * `LIMITS.messageTextBytes`) with its body as an encrypted attachment. Never cut.
   */
  async sendText(peerUserId: string, text: string, preview?: LinkPreview): Promise<LocalMessage> {
    const body = text.trim();
    if (!body) throw new CoreError('VALIDATION_FAILED', 'A message cannot be empty');
    const bytes = utf8Bytes(body);
    if (bytes > LIMITS.messageTextBytes)
      throw new CoreError('VALIDATION_FAILED', `A message can be at most ${LIMITS.messageTextBytes} bytes`, {
        bytes,
        maxBytes: LIMITS.messageTextBytes,
      });
    this.signal.assertTrusted(peerUserId, this.me.userId);
    const longText = isLongText(body) ? await this.longTexts.prepare(peerUserId, body) : undefined;
    return this.queue(peerUserId, body, { longText, preview });
  }

  /** Stores an outgoing message with its outbox job (one transaction: once this returns, it will be sent). */
  queue(peerUserId: string, text: string, extras: Extras, id: string = randomUUID()): LocalMessage {
    this.signal.assertTrusted(peerUserId, this.me.userId);
    if (!extras.longText && isLongText(text))
      throw new CoreError('VALIDATION_FAILED', `A caption can be at most ${LIMITS.inlineTextBytes} bytes`);
    const attachment = extras.attachment ?? null;
    const now = new Date();
    const message: LocalMessage = {
      id,
      peerUserId,
      senderUserId: this.me.userId,
      direction: 'out',
      text,
      attachment,
      attachmentReady: attachment !== null,
      call: null,
      status: 'pending',
      sentAt: now.toISOString(),
      serverTimestamp: null,
      readAt: null,
      ...(extras.preview ? { preview: extras.preview } : {}),
    };
    this.store.transaction(() => {
      this.store.messages.insert(message, now.getTime(), extras.longText);
      this.store.outbox.enqueue({ kind: 'message', peerUserId, messageId: message.id, payload: {} });
    });
    this.events.message(message);
    this.outbox.kick();
    return message;
  }

  /** Stores a message that is not sent (a call's history entry) and shows it. */
  record(message: LocalMessage): void {
    this.store.messages.insert(message, Date.parse(message.sentAt));
    this.events.message(message);
  }

  /** Sends a failed message again, or a pending one now. */
  retry(messageId: string): void {
    const { messages, outbox } = this.store;
    const resent = this.store.transaction(() => {
      const message = messages.resendFailed(messageId);
      if (message) outbox.enqueue({ kind: 'message', peerUserId: message.peerUserId, messageId, payload: {} });
      return message;
    });
    if (resent) this.events.status(resent);
    else if (!outbox.expediteMessage(messageId)) return;
    this.outbox.kick();
  }

  /** Marks a conversation read here and queues read receipts to its sender (in the same transaction). */
  markRead(peerUserId: string): void {
    const ids = this.store.transaction(() => {
      const read = this.store.messages.markRead(peerUserId);
      for (let i = 0; i < read.length; i += LIMITS.receiptsPerCall) {
        const receipts = read
          .slice(i, i + LIMITS.receiptsPerCall)
          .map((messageId) => ({ messageId, senderUserId: peerUserId }));
        this.store.outbox.enqueue({ kind: 'read', peerUserId, messageId: null, payload: { receipts } });
      }
      return read;
    });
    if (ids.length === 0) return;
    this.events.read(peerUserId);
    this.outbox.kick();
  }
}
