import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backoffMs,
  CoreError,
  LocalStore,
  type Messaging,
  Outbox,
  type OutboxTransport,
  openDatabase,
} from '@parley/desktop';
import { type LocalMessage, type ReadReceiptsRequest, UNTOUCHED } from '@parley/shared';
import { eventually } from '@parley/test-support/socket';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The outbox against a real (encrypted) local store, with the network replaced: narrow unit
 * tests of its ordering, backoff, typed jobs and how a message with an attachment waits for its
 * upload. The whole path runs against a real server in core.test.ts and core-attachments.test.ts.
 */
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function openStore() {
  const dir = await mkdtemp(join(tmpdir(), 'parley-outbox-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'parley.db'), randomBytes(32));
  return { db, store: new LocalStore(db) };
}

function outgoing(peerUserId: string, extra: Partial<LocalMessage> = {}): LocalMessage {
  return {
    id: randomUUID(),
    peerUserId,
    senderUserId: randomUUID(),
    direction: 'out',
    text: 'hello',
    attachment: null,
    attachmentReady: false,
    call: null,
    ...UNTOUCHED,
    status: 'pending',
    sentAt: new Date().toISOString(),
    serverTimestamp: null,
    readAt: null,
    ...extra,
  };
}

/** Stores an outgoing message with its job, as `Conversations.queue` does. */
function queue(store: LocalStore, message: LocalMessage): void {
  store.messages.insert(message, Date.now());
  store.outbox.enqueue({ kind: 'message', peerUserId: message.peerUserId, messageId: message.id, payload: {} });
}

const ack = (m: LocalMessage) => ({ messageId: m.id, serverTimestamp: new Date().toISOString(), duplicate: false });

describe('the outbox', () => {
  it('keeps a conversation in order: a job waiting for a retry holds back the later ones of its conversation only', async () => {
    const { store } = await openStore();
    const [alice, bob] = [randomUUID(), randomUUID()];
    const [a1, a2, b1] = [outgoing(alice), outgoing(alice), outgoing(bob)];
    for (const m of [a1, a2, b1]) queue(store, m);

    const sent: string[] = [];
    let offline = true;
    const messaging = {
      deliver: async (m: LocalMessage) => {
        if (m.id === a1.id && offline) throw new CoreError('NETWORK', 'offline');
        sent.push(m.id);
        return ack(m);
      },
    } as unknown as Messaging;
    const statuses: string[] = [];
    const outbox = new Outbox(store, messaging, {} as OutboxTransport, (m) => statuses.push(`${m.id}:${m.status}`));
    const started = Date.now();
    outbox.kick();
    await eventually(() => sent.length === 1, 5_000, 'the other conversation sent');
    expect(sent).toEqual([b1.id]);
    expect(statuses).toEqual([`${b1.id}:sent`]);
    // The failed job waits 1 s (±20%) and counts the attempt; the one after it has not been tried.
    const [first, second] = store.outbox.due(Number.MAX_SAFE_INTEGER);
    expect(first?.messageId).toBe(a1.id);
    expect(first?.attempts).toBe(1);
    expect(first?.nextAttemptAt).toBeGreaterThanOrEqual(started + 800);
    expect(first?.nextAttemptAt).toBeLessThanOrEqual(Date.now() + 1_200);
    expect(second?.messageId).toBe(a2.id);
    expect(second?.attempts).toBe(0);

    offline = false;
    store.outbox.expediteAll(); // what a reconnect does
    outbox.kick();
    await eventually(() => sent.length === 3, 5_000, 'the held conversation sent');
    expect(sent).toEqual([b1.id, a1.id, a2.id]);
    expect(store.outbox.due(Number.MAX_SAFE_INTEGER)).toEqual([]);
    await outbox.stop();
    store.close();
  });

  it('fails a message at once on an error that no retry can fix, without holding back what follows', async () => {
    const { store } = await openStore();
    const peer = randomUUID();
    const [refused, next] = [outgoing(peer), outgoing(peer)];
    queue(store, refused);
    queue(store, next);
    const sent: string[] = [];
    const messaging = {
      deliver: async (m: LocalMessage) => {
        if (m.id === refused.id) throw new CoreError('VALIDATION_FAILED', 'refused');
        sent.push(m.id);
        return ack(m);
      },
    } as unknown as Messaging;
    const outbox = new Outbox(store, messaging, {} as OutboxTransport, () => {});
    outbox.kick();
    await eventually(() => sent.length === 1, 5_000, 'the next one sent');
    expect(store.messages.get(refused.id)?.status).toBe('failed');
    expect(store.messages.get(next.id)?.status).toBe('sent');
    expect(store.outbox.due(Number.MAX_SAFE_INTEGER)).toEqual([]);
    await outbox.stop();
    store.close();
  });

  it('backs off 1 s, 2 s, 4 s … up to 5 minutes, each ±20%', () => {
    for (let attempts = 0; attempts < 12; attempts++) {
      const base = Math.min(1_000 * 2 ** attempts, 300_000);
      for (let i = 0; i < 50; i++) {
        const wait = backoffMs(attempts);
        expect(wait).toBeGreaterThanOrEqual(base * 0.8);
        expect(wait).toBeLessThanOrEqual(base * 1.2);
      }
    }
  });

  it.each(['SERVER_BUSY', 'RATE_LIMITED'] as const)(
    'waits out a %s refusal as long as the server asked, with jitter',
    async (code) => {
      const { store } = await openStore();
      const message = outgoing(randomUUID());
      queue(store, message);
      let tries = 0;
      const messaging = {
        deliver: async () => {
          tries++;
          throw new CoreError(code, 'Try again later', { retryAfterSeconds: 7 });
        },
      } as unknown as Messaging;
      const outbox = new Outbox(store, messaging, {} as OutboxTransport, () => {});
      const started = Date.now();
      outbox.kick();
      await eventually(() => tries === 1, 5_000, 'the first attempt');
      await eventually(() => store.outbox.due(Number.MAX_SAFE_INTEGER)[0]?.attempts === 1, 5_000, 'the retry recorded');
      // Not the 1 s backoff of a first failure: 7 s, plus up to half again.
      const [job] = store.outbox.due(Number.MAX_SAFE_INTEGER);
      expect(job?.nextAttemptAt).toBeGreaterThanOrEqual(started + 7_000);
      expect(job?.nextAttemptAt).toBeLessThanOrEqual(Date.now() + 10_500);
      expect(store.messages.get(message.id)?.status).toBe('pending');
      await outbox.stop();
      store.close();
    },
  );

  it('hands a read job its parsed receipts, and gives up a stored job that does not parse instead of stalling', async () => {
    const { db, store } = await openStore();
    const peer = randomUUID();
    const receipts = [{ messageId: randomUUID(), senderUserId: peer }];
    store.outbox.enqueue({ kind: 'read', peerUserId: peer, messageId: null, payload: { receipts } });
    // Written by another version, or damaged: a message job and a read job whose payloads do not parse.
    const broken = outgoing(randomUUID());
    store.messages.insert(broken, Date.now());
    const insert = db.prepare(
      'INSERT INTO outbox (kind, peer_user_id, message_id, payload, next_attempt_at) VALUES (?, ?, ?, ?, ?)',
    );
    insert.run('message', broken.peerUserId, broken.id, '{"uploaded":"yes"}', Date.now());
    insert.run('read', peer, null, '{"receipts":[{"messageId":"not a uuid"}]}', Date.now());

    const told: ReadReceiptsRequest[] = [];
    const transport = { sendReadReceipts: async (request: ReadReceiptsRequest) => void told.push(request) };
    const failed: string[] = [];
    const outbox = new Outbox(
      store,
      {} as Messaging,
      transport as unknown as OutboxTransport,
      (m) => m.status === 'failed' && failed.push(m.id),
    );
    outbox.kick();
    await eventually(() => store.outbox.due(Number.MAX_SAFE_INTEGER).length === 0, 5_000, 'every job done');
    expect(told).toEqual([{ receipts }]);
    // The broken message shows as failed (the user can send it again); nothing else was sent.
    expect(failed).toEqual([broken.id]);
    expect(store.messages.get(broken.id)?.status).toBe('failed');
    await outbox.stop();
    store.close();
  });
});

describe('the outbox with an attachment to upload', () => {
  it('sends the message only after the upload, and does not spin on it meanwhile', async () => {
    const { store } = await openStore();
    const message = outgoing(randomUUID(), {
      text: '',
      attachment: {
        id: randomUUID(),
        key: randomBytes(32).toString('base64'),
        digest: randomBytes(32).toString('base64'),
        size: 10,
        name: 'a.bin',
        contentType: 'application/octet-stream',
      },
      attachmentReady: true,
    });
    queue(store, message);

    let uploads = 0;
    let finishUpload = () => {};
    const sent: string[] = [];
    const transport = {
      upload: () => {
        uploads++;
        return new Promise<void>((resolve) => {
          finishUpload = resolve;
        });
      },
    } as unknown as OutboxTransport;
    const messaging = {
      deliver: async (m: LocalMessage) => {
        sent.push(m.id);
        return ack(m);
      },
    } as unknown as Messaging;
    const outbox = new Outbox(store, messaging, transport, () => {});
    outbox.kick();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(uploads).toBe(1);
    expect(sent).toEqual([]);
    // While the upload runs the job is not due, so the queue is not run again and again for it.
    expect(store.outbox.due(Date.now())).toEqual([]);

    finishUpload();
    await eventually(() => sent.length === 1, 5_000, 'sent after the upload');
    expect(sent).toEqual([message.id]);
    await eventually(() => store.messages.get(message.id)?.status === 'sent', 5_000, 'status sent');
    expect(uploads).toBe(1);
    await outbox.stop();
    store.close();
  });
});
