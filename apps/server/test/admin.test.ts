import { randomBytes, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { attachmentCiphertextSize, CLIENT_EVENTS, SERVER_EVENTS } from '@parley/shared';
import { admin, runAdmin } from '@parley/test-support/admin';
import { storeAttachment } from '@parley/test-support/attachments';
import { createTestDatabase, dumpDatabase, type TestDatabase } from '@parley/test-support/database';
import { createDevice, opaqueEnvelopesFor, type TestDevice } from '@parley/test-support/devices';
import { call, expectError, login, PASSWORD, uniqueName } from '@parley/test-support/http';
import { RELAXED_LIMITS, type ServerProcess, startServer } from '@parley/test-support/server';
import { connectClient, eventually, type TestClient } from '@parley/test-support/socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Two instances on one database (no Redis between them): an admin command reaches both.
let db: TestDatabase;
let a: ServerProcess;
let b: ServerProcess;
const env = () => ({ DATABASE_URL: db.url, DATA_DIR: a.dataDir });

beforeAll(async () => {
  db = await createTestDatabase();
  const shared = { DATABASE_URL: db.url, JWT_SECRET: randomBytes(32).toString('hex'), ...RELAXED_LIMITS };
  a = await startServer(shared);
  b = await startServer(shared);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await db?.drop();
});

/** Resolves once the server has ended the client's session (told it, then disconnected it). */
async function ended(client: TestClient): Promise<void> {
  await eventually(() => !client.socket.connected, 5_000, 'the socket ended by the server');
  expect(client.events(SERVER_EVENTS.sessionEnded)).toEqual([{ reason: 'revoked', by: 'server' }]);
}

async function send(client: TestClient, from: TestDevice, to: TestDevice): Promise<void> {
  const answer = await client.request(CLIENT_EVENTS.send, {
    messageId: randomUUID(),
    recipientUserId: to.user.id,
    envelopes: await opaqueEnvelopesFor(from, to.user.id),
  });
  expect(answer).toMatchObject({ ok: true });
}

// Each command is a process of its own that loads the server's code: seconds on a busy machine.
describe('parley-admin', { timeout: 180_000 }, () => {
  it('create-user makes an account that signs in; a taken or invalid name is refused in words', async () => {
    const username = uniqueName('made');
    const made = await admin(
      env(),
      ['create-user', username, '--display-name', 'Made By Admin', '--password-stdin'],
      `${PASSWORD}\n`,
    );
    expect(made.username).toBe(username);
    expect((await login(a.baseUrl, username)).status).toBe(200);

    const generated = await admin(env(), ['create-user', uniqueName('gen')]);
    expect((await login(a.baseUrl, generated.username, generated.password)).status).toBe(200);

    const taken = await runAdmin(env(), ['create-user', username]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('taken');
    const invalid = await runAdmin(env(), ['create-user', 'No Spaces!']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^username: /);
    expect((await runAdmin(env(), ['no-such-command'])).code).toBe(64);
  });

  it('disable ends the sockets on every instance at once and refuses sign-in; enable lets the user back', async () => {
    const alice = await createDevice(a.baseUrl);
    const laptop = await createDevice(a.baseUrl, alice);
    const onA = await connectClient(a.baseUrl, alice.accessToken);
    const onB = await connectClient(b.baseUrl, laptop.accessToken);

    expect(await admin(env(), ['disable', alice.user.username])).toEqual({ revokedDevices: 2 });
    await ended(onA);
    await ended(onB);
    expectError(await call(b.baseUrl, 'GET', '/users/me', { token: alice.accessToken }), 401, 'SESSION_REVOKED');
    expectError(await login(a.baseUrl, alice.user.username), 403, 'ACCOUNT_DISABLED');
    // A wrong password learns nothing about the account's state.
    expectError(await login(a.baseUrl, alice.user.username, 'wrong password'), 401, 'INVALID_CREDENTIALS');

    await admin(env(), ['enable', alice.user.username]);
    expect((await login(b.baseUrl, alice.user.username)).status).toBe(200);
  });

  it('reset-password signs every device out; only the new password works', async () => {
    const alice = await createDevice(a.baseUrl);
    const live = await connectClient(b.baseUrl, alice.accessToken);
    const result = await admin(
      env(),
      ['reset-password', alice.user.username, '--password-stdin'],
      'a brand new password\n',
    );
    expect(result).toEqual({ revokedDevices: 1 });
    await ended(live);
    expectError(await login(a.baseUrl, alice.user.username), 401, 'INVALID_CREDENTIALS');
    expect((await login(a.baseUrl, alice.user.username, 'a brand new password')).status).toBe(200);
  });

  it('devices lists the signed-in devices; revoke-device ends that one only', async () => {
    const alice = await createDevice(a.baseUrl);
    const laptop = await createDevice(a.baseUrl, alice);
    const phoneClient = await connectClient(a.baseUrl, alice.accessToken);
    const laptopClient = await connectClient(b.baseUrl, laptop.accessToken);
    const listed = await admin<{ id: string }[]>(env(), ['devices', alice.user.username]);
    expect(listed.map((d) => d.id).sort()).toEqual([alice.deviceId, laptop.deviceId].sort());

    await admin(env(), ['revoke-device', alice.user.username, laptop.deviceId]);
    await ended(laptopClient);
    expect(phoneClient.socket.connected).toBe(true);
    expect((await admin<{ id: string }[]>(env(), ['devices', alice.user.username])).map((d) => d.id)).toEqual([
      alice.deviceId,
    ]);
    // Someone else's device, or one already revoked, is refused.
    const bob = await createDevice(a.baseUrl);
    expect((await runAdmin(env(), ['revoke-device', alice.user.username, bob.deviceId])).code).toBe(1);
    expect((await runAdmin(env(), ['revoke-device', alice.user.username, laptop.deviceId])).code).toBe(1);
    phoneClient.close();
  });

  it('stats counts what the deployment holds', async () => {
    const before = await admin(env(), ['stats']);
    const alice = await createDevice(a.baseUrl);
    const bob = await createDevice(a.baseUrl);
    const client = await connectClient(a.baseUrl, alice.accessToken);
    await send(client, alice, bob);
    await storeAttachment(a.baseUrl, alice, bob.user.id);
    const after = await admin(env(), ['stats']);
    expect(after.users).toBe(before.users + 2);
    expect(after.activeDevices).toBe(before.activeDevices + 2);
    expect(after.queuedEnvelopes).toBe(before.queuedEnvelopes + 1);
    expect(after.attachmentBytes).toBe(before.attachmentBytes + attachmentCiphertextSize(1_000));
    client.close();
  });

  it('delete-user erases the account and everything the server holds about it', async () => {
    const alice = await createDevice(a.baseUrl);
    const aliceLaptop = await createDevice(a.baseUrl, alice);
    const bob = await createDevice(a.baseUrl);
    for (const [from, to] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      expect(
        (await call(a.baseUrl, 'POST', '/contacts', { token: from.accessToken, body: { userId: to.user.id } })).status,
      ).toBe(200);
    }
    const aliceClient = await connectClient(a.baseUrl, alice.accessToken, { autoAck: false });
    const bobClient = await connectClient(b.baseUrl, bob.accessToken, { autoAck: false });
    await send(aliceClient, alice, bob);
    await send(bobClient, bob, alice);
    const files = [
      (await storeAttachment(a.baseUrl, alice, bob.user.id)).id,
      (await storeAttachment(a.baseUrl, bob, alice.user.id)).id,
    ];
    const blobs = () => readdir(join(a.dataDir, 'attachments'));
    expect(await blobs()).toEqual(expect.arrayContaining(files));
    expect((await runAdmin(env(), ['delete-user', '--yes'])).code).toBe(64); // no username
    expect((await runAdmin(env(), ['delete-user', alice.user.username])).code).toBe(64); // no --yes

    expect(await admin(env(), ['delete-user', alice.user.username, '--yes'])).toEqual({ attachments: 2 });
    await ended(aliceClient);
    const dump = await dumpDatabase(db);
    for (const trace of [alice.user.id, alice.user.username, alice.deviceId, aliceLaptop.deviceId]) {
      expect(dump).not.toContain(trace);
    }
    for (const id of files) expect(await blobs()).not.toContain(id);
    // Bob's account carries on, without Alice in it.
    expect((await call(a.baseUrl, 'GET', '/contacts', { token: bob.accessToken })).body.items).toEqual([]);
    expectError(await login(a.baseUrl, alice.user.username), 401, 'INVALID_CREDENTIALS');
    bobClient.close();
  });
});
