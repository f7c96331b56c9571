import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Actions,
  LocalStore,
  MessageEvents,
  Messaging,
  openDatabase,
  type ServerSession,
  SignalService,
} from '@parley/desktop';
import type { ClientEvents, Envelope, UploadKeysRequest } from '@parley/shared';
import { createSignalDevice } from '@parley/test-support/signal';
import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * Receiving a page of envelopes against a real (encrypted) local store and real libsignal
 * sessions, the server replaced by the page itself: one commit per page, every good message of
 * it kept in order, and nothing stored (so nothing acked) when the commit does not happen.
 */
const dirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

type Emit = ConstructorParameters<typeof MessageEvents>[1];

/** Bob's receiving side, wired as the session wires it, and the message events it emits. */
async function receiver() {
  const dir = await mkdtemp(join(tmpdir(), 'parley-receive-'));
  dirs.push(dir);
  const store = new LocalStore(openDatabase(join(dir, 'parley.db'), randomBytes(32)));
  const me = { userId: randomUUID(), deviceId: randomUUID() };
  const signal = new SignalService(store, () => {});
  const keys = await signal.createDeviceKeys();
  const messages: ClientEvents['message'][] = [];
  const emit: Emit = (event, payload) => {
    if (event === 'message') messages.push(payload as ClientEvents['message']);
  };
  // Receiving never calls the server (only sending does).
  const events = new MessageEvents(store.messages, emit);
  const actions = new Actions(me, store, { kick() {} }, events, () => {});
  const messaging = new Messaging(me, store, signal, {} as ServerSession, events, () => {}, actions);
  return { store, me, keys, messaging, messages };
}

let clock = Date.parse('2030-01-01T00:00:00Z');

/** A sender holding Bob's bundle (with the one-time prekey `preKey`): `send` makes the envelope Bob's queue would hold. */
async function sender(bob: { me: { userId: string; deviceId: string }; keys: UploadKeysRequest }, preKey: number) {
  const device = await createSignalDevice();
  const bundle = { deviceId: bob.me.deviceId, ...bob.keys, preKey: bob.keys.preKeys[preKey] ?? null };
  const userId = randomUUID();
  const deviceId = randomUUID();
  return {
    userId,
    async send(text: string): Promise<Envelope> {
      const sentAt = new Date(clock).toISOString();
      const { type, content } = await device.encrypt(
        bundle,
        JSON.stringify({ kind: 'text', text, sentAt, to: bob.me.userId }),
      );
      return {
        id: randomUUID(),
        kind: 'message',
        messageId: randomUUID(),
        senderUserId: userId,
        senderDeviceId: deviceId,
        type,
        content,
        serverTimestamp: new Date(clock++).toISOString(),
      };
    },
  };
}

describe('receiving a page', () => {
  it('decrypts a page from several senders (first messages and follow-ups, one corrupt) and commits it once', async () => {
    const bob = await receiver();
    const [alice, carol, dave] = [await sender(bob, 0), await sender(bob, 1), await sender(bob, 2)];
    // Every message of a sender is session-opening (PreKey) until Bob answers: each one after the
    // first decrypts only with the session state the first one of the page advanced.
    const corrupt = { ...(await carol.send('never seen')), content: randomBytes(120).toString('base64') };
    const page = [
      await alice.send('alice 1'),
      await carol.send('carol 1'),
      await alice.send('alice 2'),
      corrupt,
      await dave.send('dave 1'),
      await carol.send('carol 2'),
      await alice.send('alice 3'),
    ];
    const good = page.filter((e) => e !== corrupt);
    const stored = () => page.filter((e) => bob.store.messages.has(e.messageId));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

    // A crash before the page's commit: nothing of it is stored, and nothing is acked (the
    // connection acks only what `receivePage` returns).
    const transaction = vi.spyOn(bob.store, 'transaction').mockImplementationOnce(() => {
      throw new Error('simulated crash');
    });
    await expect(bob.messaging.receivePage(page)).rejects.toThrow('simulated crash');
    expect(stored()).toEqual([]);
    expect(bob.messages).toEqual([]);

    // Delivered again, the page decrypts from the state as it was: every good message, one commit.
    transaction.mockClear();
    expect(await bob.messaging.receivePage(page)).toEqual(page.map((e) => e.id));
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(stored()).toEqual(good);
    expect(bob.messages.map((m) => m.text)).toEqual(['alice 1', 'carol 1', 'alice 2', 'dave 1', 'carol 2', 'alice 3']);
    // Events go out after the commit: the first one already sees the whole page.
    expect(bob.messages[0]?.unreadTotal).toBe(good.length);
    expect(warn).toHaveBeenCalledTimes(2); // the corrupt envelope, in each delivery
    expect(warn.mock.calls[1]?.[0]).toContain(`dropped envelope ${corrupt.id}`);
    const texts = (userId: string) => bob.store.messages.history(userId, undefined, 10).messages.map((m) => m.text);
    expect(texts(alice.userId)).toEqual(['alice 1', 'alice 2', 'alice 3']);
    expect(texts(carol.userId)).toEqual(['carol 1', 'carol 2']);

    // Redelivered once stored (the ack was lost): acked again, not decrypted again, not shown twice.
    expect(await bob.messaging.receivePage(good)).toEqual(good.map((e) => e.id));
    expect(bob.messages).toHaveLength(good.length);
    expect(warn).toHaveBeenCalledTimes(2);

    // The committed session state carries on into the next page.
    const next = [await alice.send('alice 4'), await dave.send('dave 2')];
    await bob.messaging.receivePage(next);
    expect(bob.messages.map((m) => m.text).slice(-2)).toEqual(['alice 4', 'dave 2']);
  });
});
