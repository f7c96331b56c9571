import type { ReadReceiptsRequest } from '@parley/shared';
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
/** Held until the user accepts the new safety number (which makes every job due again). */
const HOLD_MS = 3600_000;

export interface OutboxTransport extends Transport {
  sendReadReceipts(request: ReadReceiptsRequest): Promise<void>;
}

/**
 * Runs the persistent outbox: every job (a message to send, read receipts to tell) survives
 * restarts and is retried with backoff. Jobs of one conversation go out in order: a job waiting
 * for a retry holds back the later ones of its conversation.
 */
export class Outbox {
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
    await this.running;
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
      try {
        await this.execute(job);
        this.store.completeJob(job.id);
      } catch (error) {
        const code = error instanceof CoreError ? error.code : 'NETWORK';
        if (code === 'IDENTITY_UNTRUSTED') {
          heldBack.add(job.peerUserId);
          this.store.retryJob(job.id, job.attempts, Date.now() + HOLD_MS, code);
        } else if (RETRYABLE.has(code)) {
          heldBack.add(job.peerUserId);
          this.store.retryJob(
            job.id,
            job.attempts + 1,
            Date.now() + backoffMs(job.attempts),
            `${code}: ${(error as Error).message}`,
          );
        } else {
          this.store.completeJob(job.id);
          if (job.messageId && this.store.advanceStatus(job.messageId, 'failed')) this.onStatus(job.messageId);
        }
      }
    }
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
