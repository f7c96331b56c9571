import { randomUUID } from 'node:crypto';
import { CLIENT_EVENTS, type PresenceEvent, SERVER_EVENTS } from '@parley/shared';
import { createTestDatabase, type TestDatabase } from '@parley/test-support/database';
import { createDevice, opaqueEnvelopesFor } from '@parley/test-support/devices';
import { call } from '@parley/test-support/http';
import { RELAXED_LIMITS, type ServerProcess, startServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const redisUrl = inject('redisUrl');
let db: TestDatabase;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  if (!redisUrl) throw new Error('The scale-out tests need Redis: install redis-server, or set TEST_REDIS_URL');
  db = await createTestDatabase();
  const shared = {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `test-${randomUUID().slice(0, 8)}`,
    JWT_SECRET: 'scale-out-test-secret-long-enough-0123456789',
    ...RELAXED_LIMITS,
  };
  a = await startServer(shared);
  b = await startServer(shared);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await db?.drop();
});

describe('several instances on the Redis streams adapter', () => {
  it('a revocation on one instance ends the device socket on another at once', { timeout: 60_000 }, async () => {
    const refresh = (refreshToken: string) => call(a.baseUrl, 'POST', '/auth/refresh', { body: { refreshToken } });
    // Logout through A, socket on B.
    const alice = await createDevice(a.baseUrl);
    const aliceOnB = await connectClient(b.baseUrl, alice.accessToken);
    expect((await call(a.baseUrl, 'POST', '/auth/logout', { token: alice.accessToken })).status).toBe(204);
    await eventually(() => !aliceOnB.socket.connected, 5_000, 'disconnect on B after logout on A');
    expect(aliceOnB.events(SERVER_EVENTS.sessionEnded)).toEqual([{ reason: 'revoked', by: 'user' }]);

    // Refresh-token reuse detected by A, socket on B.
    const carol = await createDevice(a.baseUrl);
    const carolOnB = await connectClient(b.baseUrl, carol.accessToken);
    const first = await refresh(carol.refreshToken);
    expect((await refresh(first.body.refreshToken)).status).toBe(200);
    expect((await refresh(carol.refreshToken)).status).toBe(401);
    await eventually(() => !carolOnB.socket.connected, 5_000, 'disconnect on B after reuse detection on A');
    expect(carolOnB.events(SERVER_EVENTS.sessionEnded)).toEqual([{ reason: 'revoked', by: 'server' }]);

    // A connection to B racing a logout on A does not survive it, wherever the race lands.
    for (let i = 0; i < 30; i++) {
      const dave = await createDevice(a.baseUrl);
      const [connected] = await Promise.all([
        new Promise((r) => setTimeout(r, i)).then(() => connectClient(b.baseUrl, dave.accessToken).catch(() => null)),
        call(a.baseUrl, 'POST', '/auth/logout', { token: dave.accessToken }),
      ]);
      if (connected)
        await eventually(() => !connected.socket.connected, 5_000, `disconnect of the racing connection (${i})`);
    }
  });

  it('clients on different instances message each other and see presence; a killed instance loses nothing acked', {
    timeout: 60_000,
  }, async () => {
    const alice = await createDevice(a.baseUrl);
    const bob = await createDevice(b.baseUrl);
    await call(a.baseUrl, 'POST', '/contacts', { token: alice.accessToken, body: { userId: bob.user.id } });
    await call(b.baseUrl, 'POST', '/contacts', { token: bob.accessToken, body: { userId: alice.user.id } });

    const aliceOnA = await connectClient(a.baseUrl, alice.accessToken);
    const bobOnB = await connectClient(b.baseUrl, bob.accessToken);
    // Presence crosses instances: Alice (on A) sees Bob (on B), and the contacts list knows it too.
    await eventually(
      async () =>
        (await call(a.baseUrl, 'GET', '/contacts', { token: alice.accessToken })).body.items[0]?.presence?.online ===
        true,
      5_000,
      'presence across instances',
    );

    const toBob = await opaqueEnvelopesFor(alice, bob.user.id);
    const first = randomUUID();
    expect(
      (await aliceOnA.request(CLIENT_EVENTS.send, { messageId: first, recipientUserId: bob.user.id, envelopes: toBob }))
        .ok,
    ).toBe(true);
    await eventually(() => bobOnB.envelopes.some((e) => e.messageId === first), 5_000, 'delivery across instances');
    await eventually(
      () => aliceOnA.envelopes.some((e) => e.kind === 'delivered' && e.messageId === first),
      5_000,
      'receipt across instances',
    );

    // Typing crosses too.
    await bobOnB.request(CLIENT_EVENTS.typing, { toUserId: alice.user.id, state: 'started' });
    await eventually(() => aliceOnA.events(SERVER_EVENTS.typing).length === 1, 5_000, 'typing across instances');

    // Instance A dies. Bob keeps sending; Alice reconnects to B and gets every acked message once.
    await a.kill('SIGKILL');
    const toAlice = await opaqueEnvelopesFor(bob, alice.user.id);
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = randomUUID();
      const answer = await bobOnB.request(CLIENT_EVENTS.send, {
        messageId: id,
        recipientUserId: alice.user.id,
        envelopes: toAlice,
      });
      if (answer.ok) acked.push(id);
    }
    expect(acked).toHaveLength(20);
    aliceOnA.close();
    const aliceOnB = await connectClient(b.baseUrl, alice.accessToken);
    await eventually(
      () => acked.every((id) => aliceOnB.envelopes.some((e) => e.messageId === id)),
      10_000,
      'drain on B',
    );
    const received = aliceOnB.envelopes.filter((e) => e.kind === 'message').map((e) => e.messageId);
    expect(new Set(received).size).toBe(received.length);

    // Bob sees Alice online again through B.
    await eventually(
      () =>
        (bobOnB.events(SERVER_EVENTS.presence) as PresenceEvent[]).filter((p) => p.userId === alice.user.id).at(-1)
          ?.online === true,
      5_000,
    );
    aliceOnB.close();
    bobOnB.close();
  });
});
