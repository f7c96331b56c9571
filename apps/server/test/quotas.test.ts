import { randomUUID } from 'node:crypto';
import { type AuthResponse, attachmentCiphertextSize, type OutgoingEnvelope, SERVER_EVENTS } from '@parley/shared';
import { createDevice, opaqueEnvelopesFor, type TestDevice } from '@parley/test-support/devices';
import { call, expectError, register } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { describe, expect, it } from 'vitest';

const ATTACHMENT_MAX_BYTES = 1000;
const FULL_FILE = attachmentCiphertextSize(ATTACHMENT_MAX_BYTES);
const RETENTION_SECONDS = 6;

// One proxy in front (the test plays it), so tests can present several client IPs.
const t = withServer({
  TRUST_PROXY: '1',
  QUEUE_MAX_PER_DEVICE: '50',
  QUEUE_SHARE_PER_SENDER: '20',
  QUEUE_SHARE_PER_STRANGER: '5',
  RATE_LIMIT_KEYS_PER_TARGET: '3/600',
  RATE_LIMIT_KEYS_PER_TARGET_IP: '5/600',
  ATTACHMENT_MAX_BYTES: String(ATTACHMENT_MAX_BYTES),
  ATTACHMENT_QUOTA_BYTES: String(3 * FULL_FILE),
  ATTACHMENT_RETENTION_SECONDS: String(RETENTION_SECONDS),
  RATE_LIMIT_ATTACHMENT_ANNOUNCE_PER_USER: '8/600',
});

/** Sends the same envelopes under a new message id (the ciphertext does not matter to the queue). */
const send = (from: TestDevice, to: TestDevice, envelopes: OutgoingEnvelope[]) =>
  call(t.url, 'POST', '/messages', {
    token: from.accessToken,
    body: { messageId: randomUUID(), recipientUserId: to.user.id, envelopes },
  });

/** Bundles of `userId` fetched by `from`, the request coming through the proxy from `ip`. */
const fetchBundles = (from: TestDevice, userId: string, ip: string) =>
  call(t.url, 'GET', `/keys/${userId}`, { token: from.accessToken, headers: { 'x-forwarded-for': ip } });

async function preKeysLeft(device: TestDevice): Promise<number> {
  const [row] = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM one_time_prekeys WHERE device_id = $1', [
    device.deviceId,
  ]);
  return Number(row?.n);
}

describe("a device's queue", () => {
  it('a stranger fills only their share of it: contacts and other strangers still get through; acks free it', async () => {
    const bob = await createDevice(t.url);
    const carol = await createDevice(t.url); // Bob's contact
    const mallory = await createDevice(t.url); // a stranger
    const eve = await createDevice(t.url); // another stranger
    const added = await call(t.url, 'POST', '/contacts', { token: bob.accessToken, body: { userId: carol.user.id } });
    expect(added.status).toBe(200);
    const [toBobFromMallory, toBobFromCarol, toBobFromEve] = await Promise.all(
      [mallory, carol, eve].map((from) => opaqueEnvelopesFor(from, bob.user.id)),
    );

    for (let i = 0; i < 5; i++)
      expect((await send(mallory, bob, toBobFromMallory as OutgoingEnvelope[])).status).toBe(200);
    const refused = await send(mallory, bob, toBobFromMallory as OutgoingEnvelope[]);
    expectError(refused, 429, 'QUEUE_FULL');
    expect(refused.body.error.details).toEqual({ devices: [bob.deviceId] });

    // Bob still gets mail: from a contact, past a stranger's share, and from another stranger.
    for (let i = 0; i < 10; i++)
      expect((await send(carol, bob, toBobFromCarol as OutgoingEnvelope[])).status).toBe(200);
    expect((await send(eve, bob, toBobFromEve as OutgoingEnvelope[])).status).toBe(200);

    // Bob's device comes online and acks everything: Mallory's share is free again.
    const socket = await connectClient(t.url, bob.accessToken);
    try {
      await eventually(() => socket.events(SERVER_EVENTS.queueEmpty).length > 0, 20_000, "Bob's queue drained");
      await eventually(
        async () =>
          (
            await t.db.query("SELECT 1 FROM envelopes WHERE destination_device_id = $1 AND kind = 'message'", [
              bob.deviceId,
            ])
          ).length === 0,
        10_000,
        'acks',
      );
    } finally {
      socket.close();
    }
    expect((await send(mallory, bob, toBobFromMallory as OutgoingEnvelope[])).status).toBe(200);
  });
});

describe('one-time prekeys', () => {
  it('one account signed in on five devices takes no more of them than its limit', async () => {
    const victim = await createDevice(t.url, undefined, 50);
    const attacker = await createDevice(t.url);
    const signIns = [attacker];
    for (let i = 0; i < 4; i++) signIns.push(await createDevice(t.url, attacker));
    // Each device from its own address, so only the per-account limit can stop them.
    const statuses: number[] = [];
    for (const [i, device] of signIns.entries()) {
      for (let j = 0; j < 2; j++) statuses.push((await fetchBundles(device, victim.user.id, `10.5.${i}.1`)).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    expect(await preKeysLeft(victim)).toBe(47);
  });

  it('many accounts from one address take no more of them than the per-address limit', async () => {
    const victim = await createDevice(t.url, undefined, 50);
    const accounts = [await createDevice(t.url), await createDevice(t.url), await createDevice(t.url)];
    const statuses: number[] = [];
    for (const account of accounts) {
      for (let j = 0; j < 3; j++) statuses.push((await fetchBundles(account, victim.user.id, '10.6.0.1')).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429]);
    expect(await preKeysLeft(victim)).toBe(45);
    // From another address the next account still gets a bundle.
    expect((await fetchBundles(await createDevice(t.url), victim.user.id, '10.6.0.2')).status).toBe(200);
  });
});

describe('attachment quota', () => {
  const announce = (from: AuthResponse, to: AuthResponse, size = FULL_FILE) =>
    call(t.url, 'POST', '/attachments', { token: from.accessToken, body: { recipientUserId: to.user.id, size } });

  it('refuses an announcement past the quota, with what is used; the quota frees when files expire', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    for (let i = 0; i < 3; i++) expect((await announce(alice, bob)).status).toBe(201);
    const refused = await announce(alice, bob);
    expectError(refused, 413, 'ATTACHMENT_QUOTA_EXCEEDED');
    expect(refused.body.error.details).toEqual({ usedBytes: 3 * FULL_FILE, quotaBytes: 3 * FULL_FILE });
    // Another user's quota is their own.
    expect((await announce(bob, alice)).status).toBe(201);

    // Past retention the files are deleted, and their bytes no longer count.
    await eventually(
      async () =>
        (await t.db.query('SELECT 1 FROM attachments WHERE owner_user_id = $1', [alice.user.id])).length === 0,
      RETENTION_SECONDS * 1000 + 10_000,
      "Alice's attachments swept",
    );
    expect((await announce(alice, bob)).status).toBe(201);
  });

  it('limits announcements per user', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const small = attachmentCiphertextSize(1);
    for (let i = 0; i < 8; i++) expect((await announce(alice, bob, small)).status).toBe(201);
    const refused = await announce(alice, bob, small);
    expectError(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('server data', () => {
  it("a revoked device's queue, prekeys and refresh tokens are deleted", async () => {
    const alice = await createDevice(t.url);
    const bob = await createDevice(t.url);
    const bob2 = await createDevice(t.url, bob);
    expect((await send(alice, bob, await opaqueEnvelopesFor(alice, bob.user.id))).status).toBe(200);
    const left = async (table: string, column: string) =>
      (await t.db.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [bob2.deviceId])).length;
    expect(await left('envelopes', 'destination_device_id')).toBe(1);
    expect(await left('one_time_prekeys', 'device_id')).toBeGreaterThan(0);

    expect((await call(t.url, 'DELETE', `/devices/${bob2.deviceId}`, { token: bob.accessToken })).status).toBe(204);
    expect(await left('envelopes', 'destination_device_id')).toBe(0);
    expect(await left('one_time_prekeys', 'device_id')).toBe(0);
    expect(await left('refresh_tokens', 'device_id')).toBe(0);
    const [device] = await t.db.query('SELECT signed_prekey, signed_prekey_signature FROM devices WHERE id = $1', [
      bob2.deviceId,
    ]);
    expect(device).toEqual({ signed_prekey: null, signed_prekey_signature: null });
    // Bob's other device keeps its queue.
    expect((await t.db.query('SELECT 1 FROM envelopes WHERE destination_device_id = $1', [bob.deviceId])).length).toBe(
      1,
    );
  });

  it('sends past retention are pruned; recent ones stay', async () => {
    const alice = await createDevice(t.url);
    const bob = await createDevice(t.url);
    const envelopes = await opaqueEnvelopesFor(alice, bob.user.id);
    const old = await send(alice, bob, envelopes);
    const recent = await send(alice, bob, envelopes);
    expect([old.status, recent.status]).toEqual([200, 200]);
    // The first send is 31 days old (the default retention is 30), as if the server had run that long.
    await t.db.query("UPDATE sends SET server_timestamp = now() - interval '31 days' WHERE message_id = $1", [
      old.body.messageId,
    ]);
    await t.server.restart(); // the sweep runs at start, then hourly
    const sends = await t.db.query('SELECT message_id FROM sends WHERE sender_device_id = $1', [alice.deviceId]);
    expect(sends).toEqual([{ message_id: recent.body.messageId }]);
  });
});
