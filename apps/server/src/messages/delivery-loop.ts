import { type EnvelopeBatch, EnvelopeBatchAck, LIMITS } from '@parley/shared';
import type { Caller } from '../http/route.js';
import type { Queued } from './messages.repository.js';

/** A device's connection as the delivery loop needs it; the gateway implements it over a socket. */
export interface DeviceLink {
  readonly connected: boolean;
  /** Sends a page; resolves with the device's answer, or undefined when none came (timeout, disconnection). */
  deliver(batch: EnvelopeBatch): Promise<unknown>;
  /** Tells the device its queue has been drained. */
  drained(): void;
}

/** Where the loop reads a device's queue and writes its acks (MessagesService). */
export interface DeliveryQueue {
  /** The oldest page of the device's queue, lowest `seq` first. */
  queuePage(deviceId: string): Promise<Queued[]>;
  ack(caller: Caller, ids: string[]): Promise<void>;
}

/**
 * Delivers one connected device's queue, in order, a page at a time: at most one page is in
 * flight, so a device that never acknowledges costs the server one page however much is queued
 * for it. New envelopes wake the loop; one run at a time. A loop that is idle and has delivered
 * everything it was woken for sends what a wake brings (envelopes just stored) as it is, unless a
 * read may have seen them already (a `seq` not above every one read): otherwise it reads its queue.
 */
export class DeliveryLoop {
  private running: Promise<void> | undefined;
  /** Woken during a run: read the queue again when the run ends. */
  private again = false;
  /** Every envelope the loop was woken for has been delivered and acknowledged. */
  private caughtUp = false;
  /** The highest `seq` a read of the queue gave: an envelope at or below it may have been delivered. */
  private readUpTo = 0;
  private drainedOnce = false;

  constructor(
    private readonly caller: Caller,
    private readonly link: DeviceLink,
    private readonly queue: DeliveryQueue,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The queue may hold something new: `queued`, when the wake knows what (envelopes just stored). */
  wake(queued?: readonly Queued[]): void {
    if (this.running) {
      this.again = true;
      return;
    }
    const handed =
      this.caughtUp && queued && queued.length <= LIMITS.drainPage && queued.every((q) => q.seq > this.readUpTo)
        ? [...queued].sort((a, b) => a.seq - b.seq)
        : undefined;
    this.running = this.run(handed)
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Settles when the run under way, if any, has. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(handed: Queued[] | undefined): Promise<void> {
    do {
      this.again = false;
      this.caughtUp = false;
      while (this.link.connected) {
        const wasRead = !handed;
        const page = handed ?? (await this.queue.queuePage(this.caller.deviceId));
        handed = undefined;
        if (page.length === 0) {
          this.caughtUp = true;
          break;
        }
        if (wasRead) this.readUpTo = Math.max(this.readUpTo, ...page.map((q) => q.seq));
        // No answer (a timeout, or the connection went) acknowledges nothing.
        const answer = await this.link.deliver({ envelopes: page.map((q) => q.envelope) });
        const acked = EnvelopeBatchAck.safeParse(answer).data?.ids ?? [];
        await this.queue.ack(this.caller, acked);
        // What was not acked stays queued for the next wake or connection: do not spin on it.
        if (acked.length < page.length) return;
        // A short page read was the whole queue as of the read, and a page handed over was what the
        // wake brought: anything queued since woke the loop again.
        if (!wasRead || page.length < LIMITS.drainPage) {
          this.caughtUp = true;
          break;
        }
      }
      if (!this.drainedOnce && this.link.connected) {
        this.drainedOnce = true;
        this.link.drained();
      }
    } while (this.again && this.link.connected);
  }
}
