import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Actions,
  CoreError,
  LocalStore,
  MessageEvents,
  Messaging,
  openDatabase,
  type ServerSession,
  SignalService,
} from '@parley/desktop';
import {
  type ClientEvents,
  type Envelope,
  type LocalMessage,
  MESSAGE_ACTION_LIMITS,
  type MessageContent,
  UNTOUCHED,
  type UploadKeysRequest,
} from '@parley/shared';
import { createSignalDevice } from '@parley/test-support/signal';
import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * Message actions as Bob's core receives them: real encrypted store, real libsignal sessions, the
 * server replaced by the envelopes it would deliver (so their server times are the test's to
 * choose). Out-of-order arrival, repeated delivery, the time windows, and forged actions.
 */
const dirs: string[] = [];
const stores: LocalStore[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** Bob's receiving side on a data directory (opened again on the same one: a restart). */
function open(dir: string, key: Buffer, me: { userId: string }) {
  const store = new LocalStore(openDatabase(join(dir, 'parley.db'), key));
  stores.push(store);
  const signal = new SignalService(store, () => {});
  const changed: ClientEvents['messagesChanged'][] = [];
  const events = new MessageEvents(store.messages, (event, payload) => {
    if (event === 'messagesChanged') changed.push(payload as ClientEvents['messagesChanged']);
  });
  const kicks = { n: 0 };
  const actions = new Actions(me, store, { kick: () => kicks.n++ }, events, () => {});
  const messaging = new Messaging(me, store, signal, {} as ServerSession, events, () => {}, actions);
  return { store, signal, messaging, actions, changed, kicks };
}

async function bob() {
  const dir = await mkdtemp(join(tmpdir(), 'parley-actions-'));
  dirs.push(dir);
  const key = randomBytes(32);
  const me = { userId: randomUUID(), deviceId: randomUUID() };
  const side = open(dir, key, me);
  const keys = await side.signal.createDeviceKeys();
  return { ...side, me, keys, restart: () => open(dir, key, me) };
}

let preKey = 0;
/** Someone with a session to Bob's device; `send` makes the envelope the server would deliver, at a server time. */
async function peer(bob: { me: { userId: string; deviceId: string }; keys: UploadKeysRequest }) {
  const device = await createSignalDevice();
  const bundle = { deviceId: bob.me.deviceId, ...bob.keys, preKey: bob.keys.preKeys[preKey++] ?? null };
  const userId = randomUUID();
  const deviceId = randomUUID();
  return {
    userId,
    async send(content: MessageContent, serverMs: number, messageId = randomUUID()): Promise<Envelope> {
      const { type, content: ciphertext } = await device.encrypt(bundle, JSON.stringify(content));
      return {
        id: randomUUID(),
        kind: 'message',
        messageId,
        senderUserId: userId,
        senderDeviceId: deviceId,
        type,
        content: ciphertext,
        serverTimestamp: at(serverMs),
      };
    },
  };
}

const text = (to: string, body: string): MessageContent => ({ kind: 'text', text: body, sentAt: at(0), to });

/** My own sent message, accepted by the server at `serverMs`. */
function mine(store: LocalStore, userId: string, peerUserId: string, serverMs: number): LocalMessage {
  const when = new Date(serverMs).toISOString();
  const message: LocalMessage = {
    id: randomUUID(),
    peerUserId,
    senderUserId: userId,
    direction: 'out',
    text: 'my words',
    attachment: null,
    attachmentReady: false,
    call: null,
    status: 'sent',
    sentAt: when,
    serverTimestamp: when,
    readAt: null,
    ...UNTOUCHED,
  };
  store.messages.insert(message, serverMs);
  return message;
}

describe('message actions received', () => {
  it('an edit, a reaction and a delete that come before their target are held (across a restart) and applied when it comes', async () => {
    const b = await bob();
    const alice = await peer(b);
    const target = { id: randomUUID(), author: alice.userId };
    const to = b.me.userId;
    const early = [
      await alice.send({ kind: 'edit', target, text: 'fixed typo', sentAt: at(2 * HOUR), to }, 2 * HOUR),
      await alice.send({ kind: 'reaction', target, emoji: '👍', sentAt: at(3 * HOUR), to }, 3 * HOUR),
    ];
    // Delivered in the reverse order of their sending: the server time orders them, not arrival.
    await b.messaging.receivePage(early);
    expect(b.store.messages.has(target.id)).toBe(false);
    expect(b.store.pendingActions.countFrom(alice.userId)).toBe(2);

    // Bob's app restarts; the target arrives afterwards.
    b.store.close();
    const again = b.restart();
    await again.messaging.receivePage([await alice.send(text(to, 'fixed typp'), HOUR, target.id)]);
    const message = again.store.messages.get(target.id) as LocalMessage;
    expect(message).toMatchObject({
      text: 'fixed typo',
      editCount: 1,
      editedAt: at(2 * HOUR),
      reactions: [{ userId: alice.userId, emoji: '👍' }],
    });
    expect(again.store.messages.versions(target.id)).toEqual([{ text: 'fixed typp', at: at(HOUR) }]);
    expect(again.store.pendingActions.countFrom(alice.userId)).toBe(0);
    expect(again.changed.at(-1)).toMatchObject({ peerUserId: alice.userId, changed: [{ id: target.id }], removed: [] });
    // Search finds the current text only.
    expect(again.store.messages.search('typo', 10).map((h) => h.message.id)).toEqual([target.id]);
    expect(again.store.messages.search('typp', 10)).toEqual([]);
  });

  it('repeated delivery changes nothing: the same edit, reaction and delete applied twice', async () => {
    const b = await bob();
    const alice = await peer(b);
    const to = b.me.userId;
    const first = await alice.send(text(to, 'one'), 0);
    await b.messaging.receivePage([first]);
    const target = { id: first.messageId, author: alice.userId };
    const editId = randomUUID();
    const reactionId = randomUUID();
    const edit: MessageContent = { kind: 'edit', target, text: 'one, edited', sentAt: at(HOUR), to };
    const reaction: MessageContent = { kind: 'reaction', target, emoji: '❤️', sentAt: at(HOUR), to };
    // The same action ids twice (a sender's retry after a lost answer), in one page and in the next.
    const page = [await alice.send(edit, HOUR, editId), await alice.send(edit, HOUR, editId)];
    await b.messaging.receivePage(page);
    await b.messaging.receivePage([
      await alice.send(edit, HOUR, editId),
      await alice.send(reaction, HOUR, reactionId),
      await alice.send(reaction, HOUR, reactionId),
    ]);
    expect(b.store.messages.get(target.id)).toMatchObject({
      text: 'one, edited',
      editCount: 1,
      reactions: [{ userId: alice.userId, emoji: '❤️' }],
    });
    expect(b.store.messages.versions(target.id)).toHaveLength(1);

    // A redelivered envelope (its page stored, the ack lost) cannot be decrypted twice: dropped, harmless.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const deletion = await alice.send({ kind: 'delete', targets: [target], sentAt: at(2 * HOUR), to }, 2 * HOUR);
    await b.messaging.receivePage([deletion]);
    await b.messaging.receivePage([deletion]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(b.store.messages.get(target.id)).toMatchObject({ deleted: true, text: '', reactions: [], editCount: 0 });
    expect(b.store.messages.versions(target.id)).toEqual([]);
    expect(b.store.messages.search('edited', 10)).toEqual([]);

    // A reaction that arrives late (older than the removal) does not bring the reaction back.
    const c = await bob();
    const carol = await peer(c);
    const m = await carol.send(text(c.me.userId, 'hi'), 0);
    const ref = { id: m.messageId, author: carol.userId };
    await c.messaging.receivePage([
      m,
      await carol.send({ kind: 'reaction', target: ref, emoji: null, sentAt: at(2 * HOUR), to: c.me.userId }, 2 * HOUR),
      await carol.send({ kind: 'reaction', target: ref, emoji: '😂', sentAt: at(HOUR), to: c.me.userId }, 2 * HOUR),
    ]);
    expect(c.store.messages.get(ref.id)?.reactions).toEqual([]);
  });

  it('keeps the time windows and the edit limit', async () => {
    const b = await bob();
    const alice = await peer(b);
    const to = b.me.userId;
    const [late, inTime] = [await alice.send(text(to, 'late'), 0), await alice.send(text(to, 'in time'), 0)];
    await b.messaging.receivePage([late, inTime]);
    const refLate = { id: late.messageId, author: alice.userId };
    const refInTime = { id: inTime.messageId, author: alice.userId };
    const window = MESSAGE_ACTION_LIMITS.acceptWindowMs;
    await b.messaging.receivePage([
      await alice.send({ kind: 'edit', target: refLate, text: 'too late', sentAt: at(0), to }, window + 1),
      await alice.send({ kind: 'delete', targets: [refLate], sentAt: at(0), to }, window + 1),
      await alice.send({ kind: 'edit', target: refInTime, text: 'edit 1', sentAt: at(1), to }, window - 1),
    ]);
    expect(b.store.messages.get(refLate.id)).toMatchObject({ text: 'late', editCount: 0, deleted: false });
    expect(b.store.messages.get(refInTime.id)).toMatchObject({ text: 'edit 1', editCount: 1 });

    // At most ten edits: the eleventh and later are ignored.
    const more = [];
    for (let i = 2; i <= 12; i++)
      more.push(await alice.send({ kind: 'edit', target: refInTime, text: `edit ${i}`, sentAt: at(i), to }, HOUR));
    await b.messaging.receivePage(more);
    expect(b.store.messages.get(refInTime.id)).toMatchObject({ text: 'edit 10', editCount: 10 });
    expect(b.store.messages.versions(refInTime.id)).toHaveLength(10);
  });

  it('refuses forged actions: edits and deletes by someone other than the author, a stranger reacting, a peer deleting for me', async () => {
    const b = await bob();
    const alice = await peer(b);
    const mallory = await peer(b);
    const to = b.me.userId;
    const original = await alice.send(text(to, 'meet at noon'), 0);
    await b.messaging.receivePage([original]);
    const real = { id: original.messageId, author: alice.userId };
    const claimed = { id: original.messageId, author: mallory.userId };
    // Bob's own message in the chat: Alice is in the conversation, but it is not hers to edit or delete.
    const bobs = mine(b.store, b.me.userId, alice.userId, T0);
    const asBob = { id: bobs.id, author: b.me.userId };
    const asAlice = { id: bobs.id, author: alice.userId };
    await b.messaging.receivePage([
      await alice.send({ kind: 'edit', target: asBob, text: 'I owe Alice £100', sentAt: at(1), to }, HOUR),
      await alice.send({ kind: 'edit', target: asAlice, text: 'I owe Alice £100', sentAt: at(1), to }, HOUR),
      await alice.send({ kind: 'delete', targets: [asBob], sentAt: at(1), to }, HOUR),
      await alice.send({ kind: 'delete', targets: [asAlice], sentAt: at(1), to }, HOUR),
    ]);
    expect(b.store.messages.get(bobs.id)).toMatchObject({ text: 'my words', editCount: 0, deleted: false });
    await b.messaging.receivePage([
      // Mallory names Alice as the author, or herself: neither is the sender-and-author of the message.
      await mallory.send({ kind: 'edit', target: real, text: 'meet at midnight', sentAt: at(1), to }, HOUR),
      await mallory.send({ kind: 'edit', target: claimed, text: 'meet at midnight', sentAt: at(1), to }, HOUR),
      await mallory.send({ kind: 'delete', targets: [real], sentAt: at(1), to }, HOUR),
      await mallory.send({ kind: 'delete', targets: [claimed], sentAt: at(1), to }, HOUR),
      // Not in this conversation: she cannot react in it either.
      await mallory.send({ kind: 'reaction', target: real, emoji: '💩', sentAt: at(1), to }, HOUR),
      // Alice may delete her message for everyone, but never delete anything "for me" on Bob's devices.
      await alice.send({ kind: 'deleteForMe', targets: [real], sentAt: at(1), to }, HOUR),
    ]);
    expect(b.store.messages.get(real.id)).toMatchObject({
      text: 'meet at noon',
      editCount: 0,
      deleted: false,
      reactions: [],
    });
    expect(b.changed).toEqual([]);

    // Held actions are bounded per sender: flooding with actions for messages that never come keeps the newest.
    const flood = [];
    const limit = 500;
    for (let i = 0; i < limit + 20; i++)
      flood.push(
        await mallory.send(
          { kind: 'reaction', target: { id: randomUUID(), author: mallory.userId }, emoji: '👀', sentAt: at(i), to },
          HOUR,
        ),
      );
    for (let i = 0; i < flood.length; i += 100) await b.messaging.receivePage(flood.slice(i, i + 100));
    expect(b.store.pendingActions.countFrom(mallory.userId)).toBe(limit);
  });
});

describe('my own message actions', () => {
  it('edits within 24 hours, at most ten times, and deletes for everyone within 24 hours; each queued once', async () => {
    const b = await bob();
    const peerId = randomUUID();
    const day = MESSAGE_ACTION_LIMITS.editWindowMs;
    const old = mine(b.store, b.me.userId, peerId, Date.now() - day - 60_000);
    const fresh = mine(b.store, b.me.userId, peerId, Date.now() - day + 60_000);
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        return (error as CoreError).code;
      }
      return 'ok';
    };
    expect(code(() => b.actions.edit(old.id, 'new'))).toBe('FORBIDDEN');
    expect(code(() => b.actions.delete([old.id], true))).toBe('FORBIDDEN');
    for (let i = 1; i <= 10; i++) expect(code(() => b.actions.edit(fresh.id, `take ${i}`))).toBe('ok');
    expect(code(() => b.actions.edit(fresh.id, 'take 11'))).toBe('FORBIDDEN');
    expect(b.store.messages.get(fresh.id)).toMatchObject({ text: 'take 10', editCount: 10 });
    // Someone else's message: never mine to edit or delete for everyone; deleting it for me is fine.
    expect(code(() => b.actions.delete([old.id], false))).toBe('ok');
    expect(b.store.messages.get(old.id)).toBeUndefined();
    expect(b.store.messages.history(peerId, undefined, 10).messages.map((m) => m.id)).toEqual([fresh.id]);
    expect(code(() => b.actions.delete([fresh.id], true))).toBe('ok');
    expect(b.store.messages.get(fresh.id)).toMatchObject({ deleted: true, text: '' });
    // Every action is an outbox job of its own, written with the change.
    const jobs = b.store.outbox.due(Date.now() + 1);
    expect(jobs.map((j) => (j.kind === 'action' ? `${j.payload.content.kind}:${j.payload.selfOnly}` : j.kind))).toEqual(
      [...Array(10).fill('edit:false'), 'deleteForMe:true', 'delete:false'],
    );
  });
});
