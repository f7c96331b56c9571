import { type LocalMessage, type ReadReceiptsRequest, RetryAfterDetails } from '@parley/shared';
import { CoreError } from '../errors.js';
import type { LocalStore } from '../store/local-store.js';
import type { OutboxJob, UnreadableJob } from '../store/outbox.js';
import { isAction } from './actions.js';
import type { Messaging, Transport } from './messaging.js';

/** Backoff between attempts: 1 s, 2 s, 4 s … capped at 5 minutes, with ±20% jitter. */
export function backoffMs(attempts: number): number {
  const base = Math.min(1_000 * 2 ** attempts, 300_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * When to try a failed job again: when the server said (RATE_LIMITED, SERVER_BUSY: its
 * `retryAfterSeconds`, plus up to half again of jitter so that the clients it refused together do
 * not return together), else after the backoff.
 */
export function retryDelayMs(error: unknown, attempts: number): number {
  const told = error instanceof CoreError ? RetryAfterDetails.safeParse(error.details).data : undefined;
  if (told) return Math.round(told.retryAfterSeconds * 1_000 * (1 + Math.random() * 0.5));
  return backoffMs(attempts);
}

/** Failures worth retrying: the network, the server's load or limits. Others fail the job. */
const RETRYABLE = new Set([
  'NETWORK',
  'RATE_LIMITED',
  'SERVER_BUSY',
  'QUEUE_FULL',
  'INTERNAL',
  'SERVICE_UNAVAILABLE',
  'TOKEN_EXPIRED',
]);
/**
 * How long a held job waits unless made due sooner: a send held until the user accepts a new safety
 * number (which makes every job due), a message while its upload runs (its end makes it due).
 */
const HOLD_MS = 3600_000;

export interface OutboxTransport extends Transport {
  sendReadReceipts(request: ReadReceiptsRequest): Promise<void>;
  /** Uploads a message's attachment (again, after a failure: it is sent from the local copy). */
  upload(message: LocalMessage, signal: AbortSignal): Promise<void>;
}

/**
 * Runs the persistent outbox: every job (a message to send, read receipts to tell) survives
 * restarts and is retried with backoff. Jobs of one conversation go out in order: a job waiting
 * for a retry holds back the later ones of its conversation. A message with an attachment is
 * sent once its upload is done; uploads run beside the queue, so a big file holds back only its
 * own conversation.
 */
export class Outbox {
  private readonly uploads = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: Pick<LocalStore, 'messages' | 'outbox'>,
    private readonly messaging: Pick<Messaging, 'deliver' | 'deliverAction'>,
    private readonly transport: OutboxTransport,
    /** An outgoing message moved on (sent, or failed). */
    private readonly onStatus: (message: LocalMessage) => void,
  ) {}

  /** Runs due jobs now (after a write, or when the connection comes back). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      } else {
        this.schedule();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // An upload cut off here resumes at the next start (connecting makes every job due): its job stays.
    for (const upload of this.uploads.values()) upload.abort();
    await this.running;
  }

  /** Gives up sending a pending message (an upload in flight is stopped): it fails, and can be retried. */
  cancel(messageId: string): void {
    const upload = this.uploads.get(messageId);
    if (upload) {
      upload.abort(); // the upload's failure fails the message
      return;
    }
    const job = this.store.outbox.ofMessage(messageId);
    if (job) this.fail(job);
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    const next = this.store.outbox.nextAt();
    if (next === null || this.stopped) return;
    this.timer = setTimeout(() => this.kick(), Math.max(0, next - Date.now()));
    this.timer.unref?.();
  }

  private async run(): Promise<void> {
    const heldBack = new Set<string>();
    for (const job of this.store.outbox.due(Date.now())) {
      if (this.stopped) return;
      if (heldBack.has(job.peerUserId)) continue;
      if (job.kind === 'unreadable') {
        console.warn(`parley: gave up outbox job ${job.id}, which cannot be read: ${job.error}`);
        this.fail(job);
        continue;
      }
      const message = job.kind === 'message' && job.messageId ? this.store.messages.get(job.messageId) : undefined;
      if (job.kind === 'message' && message?.attachment && !job.payload.uploaded) {
        heldBack.add(job.peerUserId);
        this.startUpload(job, message);
        continue;
      }
      try {
        await this.execute(job);
        this.store.outbox.complete(job.id);
      } catch (error) {
        if (this.failed(job, error)) heldBack.add(job.peerUserId);
      }
    }
  }

  /** Records a failed attempt; true when the job will be tried again, false when its message failed. */
  private failed(job: OutboxJob, error: unknown): boolean {
    const code = error instanceof CoreError ? error.code : 'NETWORK';
    if (code === 'IDENTITY_UNTRUSTED') {
      this.store.outbox.retry(job.id, job.attempts, Date.now() + HOLD_MS, code);
      return true;
    }
    if (RETRYABLE.has(code)) {
      const reason = `${code}: ${(error as Error).message}`;
      this.store.outbox.retry(job.id, job.attempts + 1, Date.now() + retryDelayMs(error, job.attempts), reason);
      return true;
    }
    this.fail(job);
    return false;
  }

  /** Gives up on a job: its message shows as failed (the user can send it again). */
  private fail(job: OutboxJob | UnreadableJob): void {
    this.store.outbox.complete(job.id);
    const failed = job.messageId ? this.store.messages.advanceStatus(job.messageId, 'failed') : undefined;
    if (failed) this.onStatus(failed);
  }

  private startUpload(job: OutboxJob, message: LocalMessage): void {
    // Not due while its upload runs (else the queue would spin on it); the next start, or the
    // upload's end, makes it due again.
    this.store.outbox.schedule(job.id, Date.now() + HOLD_MS);
    if (this.uploads.has(message.id)) return;
    const abort = new AbortController();
    this.uploads.set(message.id, abort);
    this.transport
      .upload(message, abort.signal)
      .then(
        () => this.store.outbox.scheduleMessage(job.id, Date.now(), { uploaded: true }),
        (error: unknown) => {
          if (this.stopped) return;
          if (abort.signal.aborted) this.fail(job);
          else this.failed(job, error);
        },
      )
      .finally(() => {
        this.uploads.delete(message.id);
        this.kick();
      });
  }

  private async execute(job: OutboxJob): Promise<void> {
    if (job.kind === 'read') {
      await this.transport.sendReadReceipts(job.payload);
      return;
    }
    if (job.kind === 'action') {
      if (!isAction(job.payload.content) || !job.messageId) return;
      await this.messaging.deliverAction(job.messageId, job.payload.content, job.payload.selfOnly, this.transport);
      return;
    }
    const message = job.messageId ? this.store.messages.get(job.messageId) : undefined;
    // Deleted before it went: there is nothing to send (the delete that follows finds nothing there).
    if (!message || message.deleted) return;
    const ack = await this.messaging.deliver(message, this.transport);
    const sent = this.store.messages.advanceStatus(message.id, 'sent', ack.serverTimestamp);
    if (sent) this.onStatus(sent);
  }
}
