import type { LocalMessage, ReadReceiptsRequest } from '@parley/shared';
import { CoreError } from './errors.js';
import type { Messaging, Transport } from './messaging.js';
import type { LocalStore, OutboxJob } from './store/local-store.js';

/** Backoff between attempts: 1 s, 2 s, 4 s … capped at 5 minutes, with ±20% jitter. */
export function backoffMs(attempts: number): number {
  const base = Math.min(1_000 * 2 ** attempts, 300_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Failures worth retrying: the network, the server's load or limits. Others fail the job. */
const RETRYABLE = new Set([
  'NETWORK',
  'RATE_LIMITED',
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

/** A message job's payload: whether its attachment has reached the server. */
interface MessageJobPayload {
  uploaded?: boolean;
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
    private readonly store: LocalStore,
    private readonly messaging: Messaging,
    private readonly transport: OutboxTransport,
    private readonly onStatus: (messageId: string) => void,
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
    const job = this.store.jobOf(messageId);
    if (job) this.fail(job);
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    const next = this.store.nextJobAt();
    if (next === null || this.stopped) return;
    this.timer = setTimeout(() => this.kick(), Math.max(0, next - Date.now()));
    this.timer.unref?.();
  }

  private async run(): Promise<void> {
    const heldBack = new Set<string>();
    for (const job of this.store.dueJobs(Date.now())) {
      if (this.stopped) return;
      if (heldBack.has(job.peerUserId)) continue;
      const message = job.kind === 'message' && job.messageId ? this.store.message(job.messageId) : undefined;
      if (message?.attachment && !(JSON.parse(job.payload) as MessageJobPayload).uploaded) {
        heldBack.add(job.peerUserId);
        this.startUpload(job, message);
        continue;
      }
      try {
        await this.execute(job);
        this.store.completeJob(job.id);
      } catch (error) {
        if (this.failed(job, error)) heldBack.add(job.peerUserId);
      }
    }
  }

  /** Records a failed attempt; true when the job will be tried again, false when its message failed. */
  private failed(job: OutboxJob, error: unknown): boolean {
    const code = error instanceof CoreError ? error.code : 'NETWORK';
    if (code === 'IDENTITY_UNTRUSTED') {
      this.store.retryJob(job.id, job.attempts, Date.now() + HOLD_MS, code);
      return true;
    }
    if (RETRYABLE.has(code)) {
      const reason = `${code}: ${(error as Error).message}`;
      this.store.retryJob(job.id, job.attempts + 1, Date.now() + backoffMs(job.attempts), reason);
      return true;
    }
    this.fail(job);
    return false;
  }

  /** Gives up on a job: its message shows as failed (the user can send it again). */
  private fail(job: OutboxJob): void {
    this.store.completeJob(job.id);
    if (job.messageId && this.store.advanceStatus(job.messageId, 'failed')) this.onStatus(job.messageId);
  }

  private startUpload(job: OutboxJob, message: LocalMessage): void {
    // Not due while its upload runs (else the queue would spin on it); the next start, or the
    // upload's end, makes it due again.
    this.store.scheduleJob(job.id, Date.now() + HOLD_MS);
    if (this.uploads.has(message.id)) return;
    const abort = new AbortController();
    this.uploads.set(message.id, abort);
    this.transport
      .upload(message, abort.signal)
      .then(
        () => this.store.scheduleJob(job.id, Date.now(), { uploaded: true } satisfies MessageJobPayload),
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
      await this.transport.sendReadReceipts(JSON.parse(job.payload) as ReadReceiptsRequest);
      return;
    }
    const message = job.messageId ? this.store.message(job.messageId) : undefined;
    if (!message) return;
    const ack = await this.messaging.deliver(message, this.transport);
    if (this.store.advanceStatus(message.id, 'sent', ack.serverTimestamp)) this.onStatus(message.id);
  }
}
