import { randomUUID } from 'node:crypto';
import {
  type AttachmentPointer,
  type ConversationSummary,
  type HistoryPage,
  LIMITS,
  type LocalMessage,
  MESSAGE_ACTION_LIMITS,
  type Quote,
  type SearchHit,
  UNTOUCHED,
} from '@parley/shared';
import { CoreError } from '../errors.js';
import type { SignalService } from '../signal/signal-service.js';
import type { LocalStore } from '../store/local-store.js';
import type { MessageEvents } from './message-events.js';
import type { Outbox } from './outbox.js';

const HISTORY_PAGE = 50;
const MAX_TEXT = 8_000;

/** Conversations as the UI sees them: reading, writing (into the outbox), marking read, resending. */
export class Conversations {
  constructor(
    private readonly me: { userId: string },
    private readonly store: Pick<LocalStore, 'messages' | 'outbox' | 'transaction'>,
    private readonly signal: Pick<SignalService, 'assertTrusted'>,
    private readonly outbox: Pick<Outbox, 'kick'>,
    private readonly events: MessageEvents,
  ) {}

  list(): ConversationSummary[] {
    return this.store.messages.conversations();
  }

  history(peerUserId: string, before?: string, limit = HISTORY_PAGE): HistoryPage {
    return this.store.messages.history(peerUserId, before, Math.min(Math.max(1, limit), 500));
  }

  search(query: string, limit = 50): SearchHit[] {
    return this.store.messages.search(query, Math.min(Math.max(1, limit), 200));
  }

  sendText(peerUserId: string, text: string, replyTo?: string): LocalMessage {
    const body = text.trim();
    if (!body) throw new CoreError('VALIDATION_FAILED', 'A message cannot be empty');
    return this.queue(peerUserId, body, null, { quote: this.quote(peerUserId, replyTo) });
  }

  /** What a reply carries of the message it answers (one of the same conversation, still there). */
  quote(peerUserId: string, replyTo: string | undefined): Quote | null {
    if (!replyTo) return null;
    const original = this.store.messages.get(replyTo);
    if (!original || original.peerUserId !== peerUserId || original.deleted || original.call)
      throw new CoreError('NOT_FOUND', 'The message replied to is not in this chat');
    const { name, contentType } = original.attachment ?? {};
    return {
      id: original.id,
      author: original.senderUserId,
      text: [...original.text].slice(0, MESSAGE_ACTION_LIMITS.quoteChars).join(''),
      ...(name && contentType ? { attachment: { name, contentType } } : {}),
    };
  }

  /**
   * Sends copies of messages (of one conversation or several) to another chat, oldest first, each
   * as a new message marked forwarded. A file keeps its pointer: the outbox lets the new recipient
   * fetch it from the server (uploading the local copy again only if the server no longer has it).
   */
  forward(messageIds: string[], toPeerUserId: string): LocalMessage[] {
    const originals = messageIds.map((id) => {
      const message = this.store.messages.get(id);
      if (!message || message.deleted || message.call) throw new CoreError('NOT_FOUND', 'No such message');
      return message;
    });
    originals.sort((a, b) => Date.parse(a.serverTimestamp ?? a.sentAt) - Date.parse(b.serverTimestamp ?? b.sentAt));
    return this.store.transaction(() =>
      originals.map((m) =>
        this.queue(toPeerUserId, m.text, m.attachment, {
          forwarded: true,
          attachmentReady: m.attachmentReady,
        }),
      ),
    );
  }

  /** Stores an outgoing message with its outbox job (one transaction: once this returns, it will be sent). */
  queue(
    peerUserId: string,
    text: string,
    attachment: AttachmentPointer | null,
    { id = randomUUID(), quote = null, forwarded = false, attachmentReady = attachment !== null } = {} as {
      id?: string;
      quote?: Quote | null;
      forwarded?: boolean;
      attachmentReady?: boolean;
    },
  ): LocalMessage {
    this.signal.assertTrusted(peerUserId, this.me.userId);
    if (text.length > MAX_TEXT) throw new CoreError('VALIDATION_FAILED', 'A message can be at most 8,000 characters');
    const now = new Date();
    const message: LocalMessage = {
      id,
      peerUserId,
      senderUserId: this.me.userId,
      direction: 'out',
      text,
      attachment,
      attachmentReady,
      call: null,
      status: 'pending',
      sentAt: now.toISOString(),
      serverTimestamp: null,
      readAt: null,
      ...UNTOUCHED,
      quote,
      forwarded,
    };
    this.store.transaction(() => {
      this.store.messages.insert(message, now.getTime());
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
