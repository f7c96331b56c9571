import { randomUUID } from 'node:crypto';
import {
  CLIENT_EVENTS,
  type Envelope,
  type ErrorBody,
  type PresenceEvent,
  RetryAfterDetails,
  SERVER_EVENTS,
} from '@parley/shared';
import { createDevice, opaqueEnvelopesFor, type TestDevice } from '@parley/test-support/devices';
import { call, expectError, login, register, uniqueName } from '@parley/test-support/http';
import { RELAXED_LIMITS, type ServerProcess, startServer, withServer } from '@parley/test-support/server';
import { connectClient, eventually, refusedConnection, type TestClient } from '@parley/test-support/socket';
import { afterAll, describe, expect, it } from 'vitest';

const t = withServer({
  RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME_IP: '3/600',
  RATE_LIMIT_SEARCH_PER_USER: '3/600',
  RATE_LIMIT_RECEIPTS_PER_DEVICE: '3/600',
  RATE_LIMIT_CONTACTS_PER_USER: '3/600',
  RATE_LIMIT_PROFILE_PER_USER: '3/600',
  RATE_LIMIT_CONNECT_PER_USER: '3/600',
});

/** A RATE_LIMITED refusal's wait, checked against the shared schema: at most the window. */
function expectRateLimited(details: unknown, maxSeconds: number): number {
  const { retryAfterSeconds } = RetryAfterDetails.parse(details);
  expect(retryAfterSeconds).toBeLessThanOrEqual(maxSeconds);
  return retryAfterSeconds;
}

function expectRetryAfter(res: Awaited<ReturnType<typeof call>>, maxSeconds: number) {
  expectError(res, 429, 'RATE_LIMITED');
  const seconds = expectRateLimited((res.body as ErrorBody).error.details, maxSeconds);
  expect(Number(res.headers.get('retry-after'))).toBe(seconds);
}

/** Lets stray events (a receipt or presence that should not come) arrive before checking there are none. */
const settle = () => new Promise((r) => setTimeout(r, 500));

describe('rate limits', () => {
  it('limits failed logins per username and address, even with the right password after that', async () => {
    const alice = await register(t.url);
    for (let i = 0; i < 3; i++)
      expectError(await login(t.url, alice.user.username, 'wrong password'), 401, 'INVALID_CREDENTIALS');
    expectRetryAfter(await login(t.url, alice.user.username), 600);
    // Another username from the same address is not affected.
    const bob = await register(t.url);
    expect((await login(t.url, bob.user.username)).status).toBe(200);
  });

  it('limits searches per user', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    for (let i = 0; i < 3; i++)
      expect((await call(t.url, 'GET', '/users/search?q=abc', { token: alice.accessToken })).status).toBe(200);
    expectRetryAfter(await call(t.url, 'GET', '/users/search?q=abc', { token: alice.accessToken }), 600);
    expect((await call(t.url, 'GET', '/users/search?q=abc', { token: bob.accessToken })).status).toBe(200);
  });

  it('limits profile changes per user; the refused change is not made', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const rename = (token: string, displayName: string) =>
      call(t.url, 'PATCH', '/users/me', { token, body: { displayName } });
    for (let i = 1; i <= 3; i++) expect((await rename(alice.accessToken, `Alice ${i}`)).status).toBe(200);
    expectRetryAfter(await rename(alice.accessToken, 'Alice 4'), 600);
    expect((await call(t.url, 'GET', '/users/me', { token: alice.accessToken })).body.displayName).toBe('Alice 3');
    expect((await rename(bob.accessToken, 'Bob 1')).status).toBe(200);
  });

  it('limits contact additions and removals per user; the refused ones are not made', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const carol = await register(t.url);
    const dave = await register(t.url);
    const add = (owner: typeof alice, contact: typeof alice) =>
      call(t.url, 'POST', '/contacts', { token: owner.accessToken, body: { userId: contact.user.id } });
    const remove = (owner: typeof alice, contact: typeof alice) =>
      call(t.url, 'DELETE', `/contacts/${contact.user.id}`, { token: owner.accessToken });
    expect((await add(alice, bob)).status).toBe(200);
    expect((await remove(alice, bob)).status).toBe(204);
    expect((await add(alice, carol)).status).toBe(200);
    expectRetryAfter(await add(alice, dave), 600);
    expectRetryAfter(await remove(alice, carol), 600);
    const listed = await call(t.url, 'GET', '/contacts', { token: alice.accessToken });
    expect(listed.body.items.map((c: { userId: string }) => c.userId)).toEqual([carol.user.id]);
    expect((await add(bob, dave)).status).toBe(200);
  });

  it('limits read receipts per device, and a repeated receipt writes and pushes nothing', async () => {
    const alice = await createDevice(t.url);
    const bob = await createDevice(t.url);
    const bob2 = await createDevice(t.url, bob);
    const messageIds = [randomUUID(), randomUUID(), randomUUID()];
    for (const messageId of messageIds) {
      const sent = await call(t.url, 'POST', '/messages', {
        token: alice.accessToken,
        body: { messageId, recipientUserId: bob.user.id, envelopes: await opaqueEnvelopesFor(alice, bob.user.id) },
      });
      expect(sent.status).toBe(200);
    }
    const clients: TestClient[] = [];
    const connect = async (device: TestDevice) => {
      const client = await connectClient(t.url, device.accessToken);
      clients.push(client);
      return client;
    };
    const aliceClient = await connect(alice);
    const bobClient = await connect(bob);
    const bob2Client = await connect(bob2);
    const readsOf = (messageId: string) =>
      aliceClient.envelopes.filter((e: Envelope) => e.kind === 'read' && e.messageId === messageId);
    const read = (client: TestClient, messageId: string) =>
      client.request<{ accepted: number }>(CLIENT_EVENTS.read, {
        receipts: [{ messageId, senderUserId: alice.user.id }],
      });
    const [first, second, third] = messageIds as [string, string, string];

    expect(await read(bobClient, first)).toEqual({ ok: true, data: { accepted: 1 } });
    await eventually(() => readsOf(first).length === 1, 5_000, 'the read receipt');
    // Again, after Alice took the first one from her queue: nothing new is queued or pushed.
    await eventually(
      async () => (await t.db.query("SELECT 1 FROM envelopes WHERE kind = 'read'")).length === 0,
      5_000,
      'acks',
    );
    expect(await read(bobClient, first)).toEqual({ ok: true, data: { accepted: 0 } });
    expect(await read(bob2Client, first)).toEqual({ ok: true, data: { accepted: 0 } });
    expect(await read(bobClient, second)).toEqual({ ok: true, data: { accepted: 1 } });

    // Bob's first device has used its three: the fourth is refused, and Alice hears nothing of it.
    const refused = await read(bobClient, third);
    expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expectRateLimited(refused.ok ? undefined : refused.error.details, 600);
    await settle();
    expect(readsOf(third)).toEqual([]);
    expect(readsOf(first)).toHaveLength(1);

    // His other device is not affected.
    expect(await read(bob2Client, third)).toEqual({ ok: true, data: { accepted: 1 } });
    await eventually(() => readsOf(third).length === 1, 5_000, "the other device's read receipt");
    for (const client of clients) client.close();
  });

  it('refuses a reconnect storm with a typed connect_error, and announces nothing for it', async () => {
    const storm = await createDevice(t.url);
    const watcher = await createDevice(t.url);
    const other = await createDevice(t.url);
    const added = await call(t.url, 'POST', '/contacts', {
      token: storm.accessToken,
      body: { userId: watcher.user.id },
    });
    expect(added.status).toBe(200);
    const watcherClient = await connectClient(t.url, watcher.accessToken);
    const presence = () =>
      (watcherClient.events(SERVER_EVENTS.presence) as PresenceEvent[]).filter((p) => p.userId === storm.user.id);

    for (let i = 1; i <= 3; i++) {
      const client = await connectClient(t.url, storm.accessToken);
      await eventually(() => presence().filter((p) => p.online).length === i, 5_000, 'online');
      client.close();
      await eventually(() => presence().filter((p) => !p.online).length === i, 5_000, 'offline');
    }
    const refused = await refusedConnection(t.url, { token: storm.accessToken });
    expect(refused.code).toBe('RATE_LIMITED');
    expectRateLimited(refused.details, 600);
    await settle();
    expect(presence()).toHaveLength(6);

    // Another user connects as usual.
    const otherClient = await connectClient(t.url, other.accessToken);
    expect(otherClient.socket.connected).toBe(true);
    otherClient.close();
    watcherClient.close();
  });
});

describe('presence changes', () => {
  it('a window opened and closed over and over is refused past the per-user limit, and announces nothing more', async () => {
    const flapper = await createDevice(t.url);
    const watcher = await createDevice(t.url);
    await call(t.url, 'POST', '/contacts', { token: flapper.accessToken, body: { userId: watcher.user.id } });
    const watcherClient = await connectClient(t.url, watcher.accessToken);
    const presence = () =>
      (watcherClient.events(SERVER_EVENTS.presence) as PresenceEvent[]).filter((p) => p.userId === flapper.user.id);
    // The connection takes one of the three; two changes take the rest.
    const client = await connectClient(t.url, flapper.accessToken, { active: false });
    expect(await client.request(CLIENT_EVENTS.presence, { active: true })).toMatchObject({ ok: true });
    expect(await client.request(CLIENT_EVENTS.presence, { active: false })).toMatchObject({ ok: true });
    await eventually(() => presence().length === 2, 5_000, 'online, then offline');
    const refused = await client.request(CLIENT_EVENTS.presence, { active: true });
    expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expectRateLimited((refused as { error: { details: unknown } }).error.details, 600);
    await settle();
    expect(presence().map((p) => p.online)).toEqual([true, false]);
    client.close();
    watcherClient.close();
  });
});

describe('per-address limits', () => {
  let strict: ServerProcess;
  afterAll(async () => strict?.stop());

  it('limits registrations and logins per IP', async () => {
    strict = await startServer({
      DATABASE_URL: t.db.url,
      ...RELAXED_LIMITS,
      RATE_LIMIT_REGISTER_PER_IP: '2/3600',
      RATE_LIMIT_LOGIN_PER_IP: '2/60',
    });
    const first = await register(strict.baseUrl);
    await register(strict.baseUrl);
    const third = await call(strict.baseUrl, 'POST', '/auth/register', {
      body: { username: uniqueName(), password: 'long enough', displayName: 'X', device: { name: 'x' } },
    });
    expectRetryAfter(third, 3600);

    for (let i = 0; i < 2; i++) expect((await login(strict.baseUrl, first.user.username)).status).toBe(200);
    expectRetryAfter(await login(strict.baseUrl, first.user.username), 60);
  });
});
