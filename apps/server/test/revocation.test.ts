import { randomUUID } from 'node:crypto';
import { CLIENT_EVENTS, SERVER_EVENTS } from '@parley/shared';
import { bundles, createDevice, opaqueEnvelopesFor, type TestDevice } from '@parley/test-support/devices';
import { call, expectError } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually, refusedConnection, type TestClient } from '@parley/test-support/socket';
import { describe, expect, it } from 'vitest';

const ACCESS_TTL_SECONDS = 30;
const t = withServer({ ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_SECONDS) });

const refresh = (refreshToken: string) => call(t.url, 'POST', '/auth/refresh', { body: { refreshToken } });

/** Plays the holder of an ended socket: it tries to send to `to`; nothing may get through. */
async function expectSendFails(client: TestClient, from: TestDevice, to: TestDevice): Promise<void> {
  const messageId = randomUUID();
  const envelopes = (await bundles(to, to.user.id)).devices.map((b) => ({
    deviceId: b.deviceId,
    registrationId: b.registrationId,
    type: 'whisper',
    content: Buffer.from('from an ended session').toString('base64'),
  }));
  await expect(
    client.socket.timeout(1_000).emitWithAck(CLIENT_EVENTS.send, { messageId, recipientUserId: to.user.id, envelopes }),
  ).rejects.toThrow();
  expect(await t.db.query('SELECT 1 FROM sends WHERE sender_device_id = $1', [from.deviceId])).toEqual([]);
}

describe('revocation ends live sockets at once', () => {
  it('refresh-token reuse disconnects the device and its socket can no longer send', async () => {
    const bob = await createDevice(t.url);
    const alice = await createDevice(t.url);
    const live = await connectClient(t.url, alice.accessToken);
    // The device's refresh token was copied: one party rotates (and uses the successor), the other presents the old one.
    const first = await refresh(alice.refreshToken);
    expect((await refresh(first.body.refreshToken)).status).toBe(200);
    expectError(await refresh(alice.refreshToken), 401, 'SESSION_REVOKED');

    await eventually(() => !live.socket.connected, 5_000, 'disconnect after reuse detection');
    expect(live.events(SERVER_EVENTS.sessionEnded)).toEqual([{ reason: 'revoked', by: 'server' }]);
    await expectSendFails(live, alice, bob);
    expect(await refusedConnection(t.url, { token: alice.accessToken })).toMatchObject({ code: 'SESSION_REVOKED' });
  });

  it('logout and revoking from another device end the socket', async () => {
    const bob = await createDevice(t.url);
    const alice = await createDevice(t.url);
    const laptop = await createDevice(t.url, alice);
    const aliceClient = await connectClient(t.url, alice.accessToken);
    const laptopClient = await connectClient(t.url, laptop.accessToken);

    expect((await call(t.url, 'DELETE', `/devices/${laptop.deviceId}`, { token: alice.accessToken })).status).toBe(204);
    await eventually(() => !laptopClient.socket.connected, 5_000, 'disconnect after revoke');
    expect(laptopClient.events(SERVER_EVENTS.sessionEnded)).toEqual([{ reason: 'revoked', by: 'user' }]);
    await expectSendFails(laptopClient, laptop, bob);

    expect((await call(t.url, 'POST', '/auth/logout', { token: alice.accessToken })).status).toBe(204);
    await eventually(() => !aliceClient.socket.connected, 5_000, 'disconnect after logout');
    await expectSendFails(aliceClient, alice, bob);
  });
});

describe('access token expiry', () => {
  it('ends the socket when its access token expires; the device refreshes and reconnects', {
    timeout: (ACCESS_TTL_SECONDS + 20) * 1_000,
  }, async () => {
    const alice = await createDevice(t.url);
    const claims = JSON.parse(Buffer.from(alice.accessToken.split('.')[1] as string, 'base64url').toString());
    const expiresAt = claims.exp * 1_000;
    const live = await connectClient(t.url, alice.accessToken);

    await eventually(() => !live.socket.connected, expiresAt - Date.now() + 3_000, 'disconnect at expiry');
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 100);
    expect(live.events(SERVER_EVENTS.sessionEnded)).toEqual([{ reason: 'expired' }]);
    const bob = await createDevice(t.url);
    await expectSendFails(live, alice, bob);

    // Expired, not revoked: a refreshed token connects and the device gets its mail.
    const fresh = await refresh(alice.refreshToken);
    expect(fresh.status).toBe(200);
    const again = await connectClient(t.url, fresh.body.accessToken);
    const messageId = randomUUID();
    const bobClient = await connectClient(t.url, bob.accessToken);
    const envelopes = await opaqueEnvelopesFor(bob, alice.user.id);
    expect(
      (await bobClient.request(CLIENT_EVENTS.send, { messageId, recipientUserId: alice.user.id, envelopes })).ok,
    ).toBe(true);
    await eventually(() => again.envelopes.some((e) => e.messageId === messageId), 5_000, 'delivery after reconnect');
    again.close();
    bobClient.close();
  });
});
