import { randomUUID } from 'node:crypto';
import { type Envelope, type EnvelopeBatch, LIMITS } from '@parley/shared';
import { describe, expect, it, vi } from 'vitest';
import { DeliveryLoop, type DeliveryQueue, type DeviceLink } from '../src/messages/delivery-loop.js';
import type { Queued } from '../src/messages/messages.repository.js';

// The loop's paging against an in-memory queue and link; the real socket and database are covered
// end to end (messaging.test.ts, memory.test.ts).

const caller = { userId: randomUUID(), deviceId: randomUUID() };

const envelope = (): Envelope => ({
  id: randomUUID(),
  kind: 'delivered',
  messageId: randomUUID(),
  senderUserId: randomUUID(),
  senderDeviceId: randomUUID(),
  type: null,
  content: null,
  serverTimestamp: new Date().toISOString(),
});

/** A device's queue: pages oldest first, acks delete. */
class MemoryQueue implements DeliveryQueue {
  queued: Queued[] = [];
  reads = 0;
  private seq = 0;

  /** Queues `count` envelopes; answers them, as a wake that knows them would carry them. */
  add(count: number): Queued[] {
    const added = Array.from({ length: count }, () => ({ seq: ++this.seq, envelope: envelope() }));
    this.queued.push(...added);
    return added;
  }

  async queuePage(deviceId: string): Promise<Queued[]> {
    expect(deviceId).toBe(caller.deviceId);
    this.reads++;
    return this.queued.slice(0, LIMITS.drainPage);
  }

  async ack(_: unknown, ids: string[]): Promise<void> {
    const acked = new Set(ids);
    this.queued = this.queued.filter((q) => !acked.has(q.envelope.id));
  }
}

/** A connection whose device answers when the test says so. */
class MemoryLink implements DeviceLink {
  connected = true;
  drainedTimes = 0;
  /** Pages delivered and not yet answered. */
  readonly pending: { batch: EnvelopeBatch; answer: (reply: unknown) => void }[] = [];
  delivered = 0;

  deliver(batch: EnvelopeBatch): Promise<unknown> {
    this.delivered++;
    return new Promise((resolve) => this.pending.push({ batch, answer: resolve }));
  }

  drained(): void {
    this.drainedTimes++;
  }

  /** Waits for the one page in flight, and answers it with the ids of `share` of it. */
  async ackNext(share = 1): Promise<EnvelopeBatch> {
    await vi.waitFor(() => expect(this.pending).toHaveLength(1));
    const [page] = this.pending.splice(0, 1);
    if (!page) throw new Error('no page');
    const ids = page.batch.envelopes.map((e) => e.id);
    page.answer({ ids: ids.slice(0, Math.ceil(ids.length * share)) });
    return page.batch;
  }
}

function setUp(queued: number) {
  const queue = new MemoryQueue();
  queue.add(queued);
  const link = new MemoryLink();
  const errors: unknown[] = [];
  const loop = new DeliveryLoop(caller, link, queue, (error) => errors.push(error));
  return { queue, link, loop, errors };
}

describe('delivery loop', () => {
  it('delivers a page at a time, the next only after the ack, and stops on a short page', async () => {
    const { queue, link, loop, errors } = setUp(2 * LIMITS.drainPage + 7);
    loop.wake();
    expect((await link.ackNext()).envelopes).toHaveLength(LIMITS.drainPage);
    expect((await link.ackNext()).envelopes).toHaveLength(LIMITS.drainPage);
    expect((await link.ackNext()).envelopes).toHaveLength(7);
    await loop.settled();
    // A short page was the whole queue: no fourth read, and the device is told once.
    expect(queue.reads).toBe(3);
    expect(queue.queued).toEqual([]);
    expect(link.drainedTimes).toBe(1);
    expect(link.delivered).toBe(3);
    expect(errors).toEqual([]);
  });

  it('keeps one page in flight however often it is woken, and reads again after the run', async () => {
    const { queue, link, loop } = setUp(5);
    loop.wake();
    await vi.waitFor(() => expect(link.pending).toHaveLength(1));
    queue.add(3);
    loop.wake();
    loop.wake();
    // Woken during the run: no second page before the first is acked.
    await new Promise((r) => setTimeout(r, 20));
    expect(link.delivered).toBe(1);
    expect((await link.ackNext()).envelopes).toHaveLength(5);
    expect((await link.ackNext()).envelopes).toHaveLength(3);
    await loop.settled();
    expect(queue.queued).toEqual([]);
    expect(link.drainedTimes).toBe(1);
  });

  it('resumes on a wake after it went idle', async () => {
    const { queue, link, loop } = setUp(0);
    loop.wake();
    await loop.settled();
    expect(link.delivered).toBe(0);
    expect(link.drainedTimes).toBe(1);
    queue.add(2);
    loop.wake();
    expect((await link.ackNext()).envelopes).toHaveLength(2);
    await loop.settled();
    expect(queue.queued).toEqual([]);
    expect(link.drainedTimes).toBe(1);
  });

  it('ends the run on a partial or missing ack, keeping the rest queued, without spinning', async () => {
    const { queue, link, loop } = setUp(LIMITS.drainPage + 1);
    loop.wake();
    await link.ackNext(0.5);
    await loop.settled();
    expect(queue.reads).toBe(1);
    expect(queue.queued).toHaveLength(LIMITS.drainPage / 2 + 1);
    expect(link.drainedTimes).toBe(0);

    // No answer at all (a timeout or a disconnection) acknowledges nothing.
    loop.wake();
    await vi.waitFor(() => expect(link.pending).toHaveLength(1));
    link.pending.splice(0, 1)[0]?.answer(undefined);
    await loop.settled();
    expect(queue.reads).toBe(2);
    expect(queue.queued).toHaveLength(LIMITS.drainPage / 2 + 1);

    // A wake resumes where the device left off.
    loop.wake();
    expect((await link.ackNext()).envelopes).toHaveLength(LIMITS.drainPage / 2 + 1);
    await loop.settled();
    expect(queue.queued).toEqual([]);
  });

  it('sends what a wake brings without reading when it is idle and has delivered everything', async () => {
    const { queue, link, loop } = setUp(1);
    loop.wake();
    await link.ackNext();
    await loop.settled();
    expect(queue.reads).toBe(1);

    const added = queue.add(2);
    loop.wake(added);
    expect((await link.ackNext()).envelopes).toEqual(added.map((q) => q.envelope));
    await loop.settled();
    expect(queue.reads).toBe(1);
    expect(queue.queued).toEqual([]);
  });

  it('reads instead when a read may already have delivered what a wake brings, so nothing arrives twice', async () => {
    const { queue, link, loop } = setUp(0);
    loop.wake();
    await loop.settled();
    // Stored and read before the wake that carries it was handled: the read delivered it.
    const added = queue.add(1);
    loop.wake();
    await link.ackNext();
    await loop.settled();
    loop.wake(added);
    await loop.settled();
    expect(link.delivered).toBe(1);
    expect(queue.reads).toBe(3);
  });

  it('reads instead of sending what a wake brings when it is busy or behind', async () => {
    const { queue, link, loop } = setUp(2);
    loop.wake();
    await vi.waitFor(() => expect(link.pending).toHaveLength(1));
    // Busy: the wake only asks for another read after the run.
    loop.wake(queue.add(1));
    await link.ackNext();
    expect((await link.ackNext()).envelopes).toHaveLength(1);
    await loop.settled();
    expect(queue.reads).toBe(2);

    // Behind (the last page was not acked): what is queued goes first, in order.
    const first = queue.add(1);
    loop.wake(first);
    await link.ackNext(0);
    await loop.settled();
    const second = queue.add(1);
    loop.wake(second);
    expect((await link.ackNext()).envelopes).toEqual([...first, ...second].map((q) => q.envelope));
    await loop.settled();
    expect(queue.queued).toEqual([]);
  });

  it('delivers nothing once the connection has gone', async () => {
    const { queue, link, loop } = setUp(3);
    link.connected = false;
    loop.wake();
    await loop.settled();
    expect(queue.reads).toBe(0);
    expect(link.delivered).toBe(0);
    expect(link.drainedTimes).toBe(0);
  });
});
