import { randomUUID } from 'node:crypto';
import {
  CLIENT_EVENTS,
  type PresenceEvent,
  SERVER_EVENTS,
  SOCKET_EVENTS,
  SocketError,
  type User,
} from '@parley/shared';
import { createDevice, opaqueEnvelopesFor, type TestDevice } from '@parley/test-support/devices';
import { call } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually, refusedConnection, type TestClient } from '@parley/test-support/socket';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';

const JWT_SECRET = 'gateway-test-secret-that-is-long-enough-0123456789';
const t = withServer({ JWT_SECRET });

const addContact = async (owner: TestDevice, contact: TestDevice) =>
  expect(
    (await call(t.url, 'POST', '/contacts', { token: owner.accessToken, body: { userId: contact.user.id } })).status,
  ).toBe(200);
const presenceOf = (client: TestClient, userId: string) =>
  (client.events(SERVER_EVENTS.presence) as PresenceEvent[]).filter((p) => p.userId === userId);

describe('handshake', () => {
  it('refuses a missing, forged, expired or revoked token with a code the client can act on', async () => {
    const alice = await createDevice(t.url);
    expect(await refusedConnection(t.url, {})).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await refusedConnection(t.url, { token: 'forged.token.here' })).toMatchObject({ code: 'UNAUTHENTICATED' });

    const key = new TextEncoder().encode(JWT_SECRET);
    const expired = await new SignJWT({ did: alice.deviceId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice.user.id)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    expect(await refusedConnection(t.url, { token: expired })).toMatchObject({ code: 'TOKEN_EXPIRED' });

    const connected = await connectClient(t.url, alice.accessToken);
    expect((await call(t.url, 'POST', '/auth/logout', { token: alice.accessToken })).status).toBe(204);
    // Revocation closes the live socket at once, telling it why.
    await eventually(() => !connected.socket.connected, 2_000, 'disconnect on revoke');
    expect(connected.events(SERVER_EVENTS.sessionEnded)).toEqual([{ reason: 'revoked', by: 'user' }]);
    expect(await refusedConnection(t.url, { token: alice.accessToken })).toMatchObject({
      code: 'SESSION_REVOKED',
      details: { by: 'user' },
    });
  });

  it('keeps one connection per device: a new one replaces the old', async () => {
    const alice = await createDevice(t.url);
    const first = await connectClient(t.url, alice.accessToken);
    const second = await connectClient(t.url, alice.accessToken);
    await eventually(() => !first.socket.connected, 2_000, 'old connection closed');
    expect(first.events(SERVER_EVENTS.sessionEnded)).toEqual([{ reason: 'replaced' }]);
    expect(second.socket.connected).toBe(true);
    second.close();
  });
});

describe('presence and typing', () => {
  it('shows X online within 1 s and offline with last seen within 5 s, only to users X lists', async () => {
    const x = await createDevice(t.url);
    const x2 = await createDevice(t.url, x);
    const y = await createDevice(t.url);
    const stranger = await createDevice(t.url);
    await addContact(x, y);
    await addContact(stranger, x); // the stranger lists X, but X does not list the stranger
    const yClient = await connectClient(t.url, y.accessToken);
    const strangerClient = await connectClient(t.url, stranger.accessToken);

    const connectedAt = Date.now();
    const xClient = await connectClient(t.url, x.accessToken);
    await eventually(() => presenceOf(yClient, x.user.id).some((p) => p.online), 1_000, 'online');
    expect(Date.now() - connectedAt).toBeLessThan(1_000);
    const x2Client = await connectClient(t.url, x2.accessToken);

    // The contacts list carries presence too: Y sees X's, the stranger sees nothing of X.
    const yList = await call(t.url, 'GET', '/contacts', { token: y.accessToken });
    expect(yList.body.items).toEqual([]);
    await addContact(y, x);
    const listed = await call(t.url, 'GET', '/contacts', { token: y.accessToken });
    expect(listed.body.items[0].presence).toEqual({ online: true, lastSeenAt: null });
    const strangerList = await call(t.url, 'GET', '/contacts', { token: stranger.accessToken });
    expect(strangerList.body.items[0].presence).toBeNull();

    // Typing reaches Y (listed by X), and is refused towards the stranger.
    expect(await xClient.request(CLIENT_EVENTS.typing, { toUserId: y.user.id, state: 'started' })).toEqual({
      ok: true,
      data: {},
    });
    await eventually(() => yClient.events(SERVER_EVENTS.typing).length === 1, 1_000, 'typing');
    expect(yClient.events(SERVER_EVENTS.typing)[0]).toEqual({ fromUserId: x.user.id, state: 'started' });
    expect(await xClient.request(CLIENT_EVENTS.typing, { toUserId: stranger.user.id, state: 'started' })).toMatchObject(
      {
        ok: false,
        error: { code: 'NOT_A_CONTACT' },
      },
    );

    // Online while any device is connected; offline with last seen when the last one leaves.
    xClient.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(presenceOf(yClient, x.user.id).at(-1)?.online).toBe(true);
    const leftAt = Date.now();
    x2Client.close();
    await eventually(() => presenceOf(yClient, x.user.id).at(-1)?.online === false, 5_000, 'offline');
    expect(Date.now() - leftAt).toBeLessThan(5_000);
    const lastSeen = Date.parse(presenceOf(yClient, x.user.id).at(-1)?.lastSeenAt ?? '');
    expect(Math.abs(lastSeen - leftAt)).toBeLessThan(5_000);
    const afterwards = await call(t.url, 'GET', '/contacts', { token: y.accessToken });
    expect(afterwards.body.items[0].presence).toMatchObject({ online: false, lastSeenAt: expect.any(String) });

    expect(presenceOf(strangerClient, x.user.id)).toEqual([]);
    expect(strangerClient.events(SERVER_EVENTS.typing)).toEqual([]);
    yClient.close();
    strangerClient.close();
  });

  it('"online" means an app window is open: a connection without one announces nothing until one opens', async () => {
    const x = await createDevice(t.url);
    const y = await createDevice(t.url);
    await addContact(x, y);
    await addContact(y, x);
    const yClient = await connectClient(t.url, y.accessToken);
    const xClient = await connectClient(t.url, x.accessToken, { active: false });
    await new Promise((r) => setTimeout(r, 500));
    expect(presenceOf(yClient, x.user.id)).toEqual([]);
    expect((await call(t.url, 'GET', '/contacts', { token: y.accessToken })).body.items[0].presence.online).toBe(false);

    expect(await xClient.request(CLIENT_EVENTS.presence, { active: true })).toEqual({ ok: true, data: {} });
    await eventually(() => presenceOf(yClient, x.user.id).at(-1)?.online === true, 2_000, 'online');
    expect((await call(t.url, 'GET', '/contacts', { token: y.accessToken })).body.items[0].presence.online).toBe(true);
    // The window closes, the connection stays (the app runs on): offline, with last seen.
    await xClient.request(CLIENT_EVENTS.presence, { active: false });
    await eventually(() => presenceOf(yClient, x.user.id).at(-1)?.online === false, 2_000, 'offline');
    expect(presenceOf(yClient, x.user.id).at(-1)?.lastSeenAt).toEqual(expect.any(String));
    expect(xClient.socket.connected).toBe(true);
    // Said twice, it changes nothing and tells no one.
    await xClient.request(CLIENT_EVENTS.presence, { active: false });
    xClient.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(presenceOf(yClient, x.user.id).map((p) => p.online)).toEqual([true, false]);
    yClient.close();
  });

  it('a new display name reaches my contacts, those who list me and my own devices, and no one else', async () => {
    const x = await createDevice(t.url);
    const x2 = await createDevice(t.url, x);
    const listed = await createDevice(t.url);
    const lister = await createDevice(t.url);
    const stranger = await createDevice(t.url);
    await addContact(x, listed);
    await addContact(lister, x);
    const clients = await Promise.all(
      [x2, listed, lister, stranger].map((device) => connectClient(t.url, device.accessToken)),
    );
    const renamed = await call(t.url, 'PATCH', '/users/me', { token: x.accessToken, body: { displayName: 'Xavier' } });
    expect(renamed.status).toBe(200);
    const updates = (client: TestClient) => client.events(SERVER_EVENTS.userUpdated) as User[];
    const [x2Client, listedClient, listerClient, strangerClient] = clients as [
      TestClient,
      TestClient,
      TestClient,
      TestClient,
    ];
    for (const client of [x2Client, listedClient, listerClient]) {
      await eventually(() => updates(client).length === 1, 2_000, 'user:updated');
      expect(updates(client)).toEqual([{ id: x.user.id, username: x.user.username, displayName: 'Xavier' }]);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(updates(strangerClient)).toEqual([]);
    for (const client of clients) client.close();
  });
});

describe('ephemeral signals', () => {
  it('relays signals only to online devices of a user who lists the caller, and stores nothing', async () => {
    const caller = await createDevice(t.url);
    const callee = await createDevice(t.url);
    const callee2 = await createDevice(t.url, callee);
    const calleeClient = await connectClient(t.url, callee.accessToken);
    const callerClient = await connectClient(t.url, caller.accessToken);
    const marker = Buffer.from(`sdp-like-${randomUUID()}`).toString('base64');
    const envelopes = [callee, callee2].map((d) => ({ deviceId: d.deviceId, type: 'whisper', content: marker }));

    const refused = await callerClient.request(CLIENT_EVENTS.signal, { toUserId: callee.user.id, envelopes });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_A_CONTACT' } });
    await addContact(callee, caller);

    const sent = await callerClient.request(CLIENT_EVENTS.signal, { toUserId: callee.user.id, envelopes });
    expect(sent).toEqual({ ok: true, data: { deliveredTo: [callee.deviceId] } }); // callee2 is offline
    await eventually(() => calleeClient.events(SERVER_EVENTS.signal).length === 1, 2_000, 'signal');
    expect(calleeClient.events(SERVER_EVENTS.signal)[0]).toMatchObject({
      fromUserId: caller.user.id,
      fromDeviceId: caller.deviceId,
      type: 'whisper',
      content: marker,
    });
    const stored = await t.db.query("SELECT 1 FROM envelopes WHERE encode(content, 'base64') = $1", [marker]);
    expect(stored).toEqual([]);

    // Like a send, a signal must address every device of the callee, and only theirs.
    const wrongDevice = await callerClient.request(CLIENT_EVENTS.signal, {
      toUserId: callee.user.id,
      envelopes: [{ deviceId: caller.deviceId, type: 'whisper', content: marker }],
    });
    expect(wrongDevice).toMatchObject({
      ok: false,
      error: {
        code: 'MISMATCHED_DEVICES',
        details: { extraDevices: [{ userId: caller.user.id, deviceId: caller.deviceId }] },
      },
    });
    const partial = await callerClient.request(CLIENT_EVENTS.signal, {
      toUserId: callee.user.id,
      envelopes: envelopes.slice(0, 1),
    });
    expect(partial).toMatchObject({
      ok: false,
      error: {
        code: 'MISMATCHED_DEVICES',
        details: { missingDevices: [{ userId: callee.user.id, deviceId: callee2.deviceId }], extraDevices: [] },
      },
    });
    calleeClient.close();
    callerClient.close();
  });
});

describe('authorization', () => {
  it("cannot ack, drain or read another device's queue, send as another device or join other rooms", async () => {
    const alice = await createDevice(t.url);
    const bob = await createDevice(t.url);
    const mallory = await createDevice(t.url);
    const messageId = randomUUID();
    const envelopes = await opaqueEnvelopesFor(alice, bob.user.id);
    expect(
      (
        await call(t.url, 'POST', '/messages', {
          token: alice.accessToken,
          body: { messageId, recipientUserId: bob.user.id, envelopes },
        })
      ).status,
    ).toBe(200);
    const [queued] = await t.db.query('SELECT id FROM envelopes WHERE destination_device_id = $1', [bob.deviceId]);

    // Mallory drains only her own queue, and slipping Bob's envelope id into her ack does nothing.
    const toMallory = await opaqueEnvelopesFor(alice, mallory.user.id);
    await call(t.url, 'POST', '/messages', {
      token: alice.accessToken,
      body: { messageId: randomUUID(), recipientUserId: mallory.user.id, envelopes: toMallory },
    });
    const malloryClient = await connectClient(t.url, mallory.accessToken, {
      ackIds: (page) => [...page.map((e) => e.id), queued?.id],
    });
    await eventually(() => malloryClient.events(SERVER_EVENTS.queueEmpty).length === 1, 2_000);
    expect(malloryClient.envelopes.map((e) => e.messageId)).not.toContain(messageId);
    expect(malloryClient.envelopes).toHaveLength(1);
    const join = await malloryClient.request('join', { room: `device:${bob.deviceId}` });
    expect(join).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    const ackOther = await malloryClient.request(CLIENT_EVENTS.read, {
      receipts: [{ messageId, senderUserId: alice.user.id }],
    });
    expect(ackOther).toEqual({ ok: true, data: { accepted: 0 } }); // she never received it
    // Sending as someone else: the sender comes from the token; a sender field is rejected.
    const spoof = await malloryClient.request(CLIENT_EVENTS.send, {
      messageId: randomUUID(),
      recipientUserId: bob.user.id,
      envelopes: [],
      senderDeviceId: alice.deviceId,
    });
    expect(spoof).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await t.db.query('SELECT id FROM envelopes WHERE id = $1', [queued?.id])).toHaveLength(1);

    // Bob gets it, from Alice.
    const bobClient = await connectClient(t.url, bob.accessToken);
    await eventually(() => bobClient.envelopes.length === 1, 2_000);
    expect(bobClient.envelopes[0]).toMatchObject({
      id: queued?.id,
      senderUserId: alice.user.id,
      senderDeviceId: alice.deviceId,
    });
    malloryClient.close();
    bobClient.close();
  });
});

describe('malformed socket payloads', () => {
  it('answers every bad payload of every event with a typed error and keeps serving everyone', async () => {
    const alice = await createDevice(t.url);
    const bob = await createDevice(t.url);
    const bystander = await connectClient(t.url, bob.accessToken);
    const client = await connectClient(t.url, alice.accessToken);
    const bad: unknown[] = [
      undefined,
      null,
      42,
      'text',
      [],
      {},
      { unexpected: true },
      { toUserId: 'not-a-uuid', state: 'started', messageId: 5 },
      { receipts: 'x', envelopes: {}, messageId: randomUUID(), recipientUserId: randomUUID() },
      { huge: 'x'.repeat(500_000) },
      JSON.parse('{"__proto__": {"polluted": true}}'),
    ];
    const events = Object.values(SOCKET_EVENTS.client).map((e) => e.name);
    for (const event of events) {
      for (const payload of bad) {
        const answer = await client.request(event, payload);
        expect(answer.ok, `${event} ${JSON.stringify(payload)?.slice(0, 40)}`).toBe(false);
        if (!answer.ok) expect(SocketError.safeParse(answer.error).success).toBe(true);
        expect(answer.ok === false && answer.error.code).not.toBe('INTERNAL');
      }
      // Without an acknowledgement callback the error arrives as an event.
      client.socket.emit(event, { nonsense: true });
    }
    await eventually(() => client.events(SERVER_EVENTS.error).length === events.length, 2_000, 'app:error events');
    client.socket.emit('no-such-event', 1, 2, 3);
    await eventually(
      () => client.events(SERVER_EVENTS.error).some((e) => (e as { code: string }).code === 'UNKNOWN_EVENT'),
      2_000,
    );

    expect(client.socket.connected).toBe(true);
    expect(bystander.socket.connected).toBe(true);
    expect((await call(t.url, 'GET', '/health')).status).toBe(200);
    expect(t.server.output()).not.toMatch(/"level":50/);
    client.close();
    bystander.close();
  });
});
