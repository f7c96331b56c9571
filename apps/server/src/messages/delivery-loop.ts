import { type Envelope, type EnvelopeBatch, EnvelopeBatchAck, LIMITS } from '@parley/shared';
import type { Caller } from '../http/route.js';

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
  queuePage(deviceId: string): Promise<Envelope[]>;
  ack(caller: Caller, ids: string[]): Promise<void>;
}

/**
 * Delivers one connected device's queue, in order, a page at a time, always read from the
 * database: at most one page is in flight, so a device that never acknowledges costs the server
 * one page however much is queued for it. New envelopes only wake the loop; one run at a time.
 */
export class DeliveryLoop {
  private running: Promise<void> | undefined;
  /** Woken during a run: read the queue again when the run ends. */
  private again = false;
  private drainedOnce = false;

  constructor(
    private readonly caller: Caller,
    private readonly link: DeviceLink,
    private readonly queue: DeliveryQueue,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The queue may hold something new. */
  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Settles when the run under way, if any, has. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      while (this.link.connected) {
        const page = await this.queue.queuePage(this.caller.deviceId);
        if (page.length === 0) break;
        // No answer (a timeout, or the connection went) acknowledges nothing.
        const answer = await this.link.deliver({ envelopes: page });
        const acked = EnvelopeBatchAck.safeParse(answer).data?.ids ?? [];
        await this.queue.ack(this.caller, acked);
        // What was not acked stays queued for the next wake or connection: do not spin on it.
        if (acked.length < page.length) return;
        // A short page was the whole queue as of the read; anything queued since woke the loop.
        if (page.length < LIMITS.drainPage) break;
      }
      if (!this.drainedOnce && this.link.connected) {
        this.drainedOnce = true;
        this.link.drained();
      }
    } while (this.again && this.link.connected);
  }
}
