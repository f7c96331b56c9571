import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import {
  ATTACHMENT_APPEND_BYTES,
  type AttachmentPointer,
  type LocalMessage,
  type OutgoingFile,
  type TransferUpdate,
} from '@parley/shared';
import { CoreError } from '../errors.js';
import type { Emit } from '../events.js';
import type { Conversations } from '../messaging/conversations.js';
import type { Outbox } from '../messaging/outbox.js';
import type { SignalService } from '../signal/signal-service.js';
import type { MessagesRepository } from '../store/messages.js';
import type { AttachmentTransfers, Progress, UploadedAttachment } from './transfers.js';

/** A file the UI is appending: its bytes stream into the encryptor as they come. */
interface Draft {
  peerUserId: string;
  file: OutgoingFile;
  input: PassThrough;
  received: number;
  encrypted: Promise<UploadedAttachment>;
  abort: AbortController;
  /** Drops a draft the UI has abandoned (a window reloaded mid-file): nothing else would. */
  idle: NodeJS.Timeout;
}

const DRAFT_IDLE_MS = 10 * 60_000;

/** Progress is reported at most this often per transfer (and always at the end). */
const PROGRESS_INTERVAL_MS = 100;

/**
 * Files in messages: drafts the UI hands over in slices (`start` … `send`), the upload before a
 * message goes out (for the outbox), downloads, cancelling, and the `transfer` events of each.
 */
export class Attachments {
  /** Files being handed over by the UI, by message id. */
  private readonly drafts = new Map<string, Draft>();
  /** Downloads in flight, by message id. */
  private readonly downloads = new Map<string, { done: Promise<void>; abort: AbortController }>();

  constructor(
    private readonly me: { userId: string },
    private readonly transfers: AttachmentTransfers,
    private readonly messages: MessagesRepository,
    private readonly signal: Pick<SignalService, 'assertTrusted'>,
    private readonly conversations: Pick<Conversations, 'queue' | 'quote'>,
    private readonly outbox: Pick<Outbox, 'cancel'>,
    private readonly emit: Emit,
  ) {}

  async start(peerUserId: string, file: OutgoingFile): Promise<string> {
    this.signal.assertTrusted(peerUserId, this.me.userId);
    const attachmentId = await this.transfers.announce(peerUserId, file.size);
    const input = new PassThrough({ highWaterMark: ATTACHMENT_APPEND_BYTES });
    const abort = new AbortController();
    const encrypted = this.transfers.encrypt(attachmentId, input, file.size, abort.signal);
    encrypted.catch(() => {}); // reported to whoever appends or sends next
    const messageId = randomUUID();
    const idle = setTimeout(() => this.dropDraft(messageId), DRAFT_IDLE_MS);
    this.drafts.set(messageId, { peerUserId, file, input, received: 0, encrypted, abort, idle });
    return messageId;
  }

  async append(messageId: string, bytes: Uint8Array): Promise<void> {
    const draft = this.draft(messageId);
    if (draft.input.destroyed) await draft.encrypted; // rejects with why it stopped
    draft.idle.refresh();
    draft.received += bytes.byteLength;
    if (draft.received > draft.file.size) {
      this.dropDraft(messageId);
      throw new CoreError('VALIDATION_FAILED', `The file is larger than the ${draft.file.size} bytes announced`);
    }
    // Backpressure: the UI's next chunk waits until the encryptor has taken this one.
    if (!draft.input.write(bytes)) await Promise.race([once(draft.input, 'drain'), draft.encrypted]);
  }

  async send(messageId: string, caption: string, replyTo?: string): Promise<LocalMessage> {
    const draft = this.draft(messageId);
    const quote = this.conversations.quote(draft.peerUserId, replyTo);
    clearTimeout(draft.idle);
    draft.input.end();
    let uploaded: UploadedAttachment;
    try {
      uploaded = await draft.encrypted;
    } finally {
      this.drafts.delete(messageId);
    }
    const { name, contentType, image, voice } = draft.file;
    const attachment: AttachmentPointer = { ...uploaded, name, contentType, image, voice };
    return this.conversations.queue(draft.peerUserId, caption.trim(), attachment, { id: messageId, quote });
  }

  async download(messageId: string): Promise<void> {
    const message = this.messages.get(messageId);
    if (!message?.attachment) throw new CoreError('NOT_FOUND', 'No such attachment');
    if (message.attachmentReady) return;
    const running = this.downloads.get(messageId);
    if (running) return running.done;
    const abort = new AbortController();
    const pointer = message.attachment;
    const done = this.transfer(message, 'download', pointer.size, (progress) =>
      this.transfers.download(pointer, progress, abort.signal),
    )
      .then(() => this.messages.setAttachmentReady(messageId))
      .finally(() => this.downloads.delete(messageId));
    this.downloads.set(messageId, { done, abort });
    return done;
  }

  /**
   * Uploads a message's attachment for the outbox (again, after a failure: from the local copy).
   * Not uploaded for so long that the server forgot it: the message is not sent yet, so it can
   * point to a new announcement of the same ciphertext.
   */
  upload(message: LocalMessage, signal: AbortSignal): Promise<void> {
    const pointer = message.attachment as AttachmentPointer;
    if (message.forwarded) return this.share(message, pointer, signal);
    return this.transfer(message, 'upload', pointer.size, async (progress) => {
      try {
        await this.transfers.upload(pointer.id, progress, signal);
      } catch (error) {
        if ((error as CoreError).code !== 'NOT_FOUND') throw error;
        const id = await this.transfers.reannounce(pointer.id, message.peerUserId, pointer.size);
        this.messages.setAttachment(message.id, { ...pointer, id });
        await this.transfers.upload(id, progress, signal);
      }
    });
  }

  /**
   * A forwarded file: the server lets the new recipient fetch the blob it already has. Gone from
   * the server (past retention), the local copy is uploaded again under a new id.
   */
  private async share(message: LocalMessage, pointer: AttachmentPointer, signal: AbortSignal): Promise<void> {
    try {
      await this.transfers.share(pointer.id, message.peerUserId);
      return;
    } catch (error) {
      if ((error as CoreError).code !== 'NOT_FOUND' || !message.attachmentReady) throw error;
    }
    await this.transfer(message, 'upload', pointer.size, async (progress) => {
      const id = await this.transfers.announceCopy(pointer.id, message.peerUserId, pointer.size);
      this.messages.setAttachment(message.id, { ...pointer, id });
      await this.transfers.upload(id, progress, signal);
    });
  }

  /** The local copy of a file no message points at any more goes (a deleted message's). */
  dropLocalCopy(pointer: AttachmentPointer): void {
    void this.transfers.remove(pointer.id).catch((error: unknown) => {
      console.warn(`parley: could not remove a deleted attachment's local copy: ${(error as Error).message}`);
    });
  }

  /** Stops a file being prepared, uploaded (its message fails) or downloaded. */
  cancel(messageId: string): void {
    this.dropDraft(messageId);
    this.downloads.get(messageId)?.abort.abort();
    this.outbox.cancel(messageId);
  }

  /** The plaintext of a message's attachment from its local copy; null when there is none. */
  open(messageId: string): { pointer: AttachmentPointer; data: Readable } | null {
    const message = this.messages.get(messageId);
    if (!message?.attachment || !message.attachmentReady) return null;
    return { pointer: message.attachment, data: this.transfers.open(message.attachment) };
  }

  /** Removes what a crash left half written; before anything is transferred. */
  clearPartials(): Promise<void> {
    return this.transfers.clearPartials();
  }

  /** Drops the drafts and stops the downloads (signing out, closing). */
  stop(): void {
    for (const id of [...this.drafts.keys()]) this.dropDraft(id);
    for (const download of this.downloads.values()) download.abort.abort();
  }

  private draft(messageId: string): Draft {
    const draft = this.drafts.get(messageId);
    if (!draft) throw new CoreError('NOT_FOUND', 'No file is being prepared under this id');
    return draft;
  }

  private dropDraft(messageId: string): void {
    const draft = this.drafts.get(messageId);
    if (!draft) return;
    clearTimeout(draft.idle);
    draft.abort.abort();
    this.drafts.delete(messageId);
  }

  /**
   * Runs one upload or download of a message's attachment, telling the UI how it goes: progress
   * (throttled), then done, failed or cancelled.
   */
  private async transfer(
    message: LocalMessage,
    direction: TransferUpdate['direction'],
    total: number,
    run: (progress: Progress) => Promise<void>,
  ): Promise<void> {
    const update = (state: TransferUpdate['state'], done: number, error?: TransferUpdate['error']) =>
      this.emit('transfer', {
        messageId: message.id,
        peerUserId: message.peerUserId,
        direction,
        state,
        done,
        total,
        ...(error ? { error } : {}),
      });
    let reportedAt = 0;
    update('active', 0);
    try {
      await run((done, bytes) => {
        const now = Date.now();
        if (now - reportedAt < PROGRESS_INTERVAL_MS) return;
        reportedAt = now;
        // Ciphertext bytes, scaled to the file's size.
        update('active', Math.min(total, Math.round((done / bytes) * total)));
      });
      update('done', total);
    } catch (error) {
      const e = error as Partial<CoreError> & Error;
      if (e.name === 'AbortError') update('cancelled', 0);
      else update('failed', 0, { code: e.code ?? 'NETWORK', message: e.message });
      throw error;
    }
  }
}
