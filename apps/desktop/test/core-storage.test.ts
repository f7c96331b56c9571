import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYCHAIN_SERVICE, KeychainSecretStore, keychainAccount, LocalStore, openDatabase } from '@parley/desktop';
import { API_PREFIX, type SessionInfo } from '@parley/shared';
import { openCore, registerCore, type TestCore } from '@parley/test-support/cores';
import { PASSWORD, register } from '@parley/test-support/http';
import { REPO_ROOT, withServer } from '@parley/test-support/server';
import { createSignalDevice } from '@parley/test-support/signal';
import { eventually } from '@parley/test-support/socket';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Access tokens shorter than the refresh margin: every call refreshes, so rotation is exercised throughout.
const t = withServer({ ACCESS_TOKEN_TTL_SECONDS: '30' });
const cores: TestCore[] = [];

afterAll(async () => {
  for (const c of cores) await c.close();
});

const idOf = async (c: TestCore) => (await c.core.session())?.user.id as string;

/** Every byte under a directory, as latin1 text, to search for markers. */
async function bytesUnder(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const name of await readdir(dir)) parts.push((await readFile(join(dir, name))).toString('latin1'));
  return parts.join('\n');
}

describe('what is stored, and where', () => {
  let alice: TestCore;
  let bob: TestCore;
  const marker = `secret-marker-${randomUUID()}`;
  const russian = 'Встречаемся у фонтана в семь';
  const english = 'Bring the blueprints tomorrow';

  beforeAll(async () => {
    alice = await registerCore(t.server.baseUrl, 'alice');
    bob = await registerCore(t.server.baseUrl, 'bob');
    cores.push(alice);
    const [aliceId, bobId] = [await idOf(alice), await idOf(bob)];
    await alice.core.sendText(bobId, marker);
    await alice.core.sendText(bobId, russian);
    await eventually(async () => (await bob.conversation(aliceId)).length === 2, 10_000, 'bob has 2');
    await bob.core.sendText(aliceId, english);
    await eventually(async () => (await bob.conversation(aliceId)).length === 3, 10_000, 'bob has 3');
    await eventually(async () => (await alice.conversation(bobId)).length === 3, 10_000, 'alice has 3');
  });

  it('keeps no plaintext on disk: the local stores are encrypted and the marker is in neither database', async () => {
    await bob.close(); // flush and release the files
    for (const c of [alice, bob]) {
      const disk = await bytesUnder(c.dataDir);
      expect(disk).not.toContain(marker);
      expect(disk).not.toContain('SQLite format 3');
    }
    const tables = await t.db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    for (const { table_name } of tables) {
      const rows = JSON.stringify(await t.db.query(`SELECT * FROM "${table_name}"`));
      expect(rows).not.toContain(marker);
    }
  });

  it('keeps the secrets in the keychain and nowhere in the data directory', async () => {
    const entries = await keytar.findCredentials(KEYCHAIN_SERVICE);
    const bobId = (await readProfile(bob.dataDir)).user.id;
    const entry = entries.find((e) => e.account.includes(bobId));
    expect(entry).toBeDefined();
    const secrets = JSON.parse(entry?.password ?? '{}') as { refreshToken: string; databaseKey: string };
    expect(Buffer.from(secrets.databaseKey, 'base64')).toHaveLength(32);
    const disk = await bytesUnder(bob.dataDir);
    expect(disk).not.toContain(secrets.refreshToken);
    expect(disk).not.toContain(secrets.databaseKey);
    expect(disk).not.toContain(Buffer.from(secrets.databaseKey, 'base64').toString('hex'));
  });

  it('uploads keys left unsent at sign-in, replacing a registration id an older version made out of range', {
    timeout: 60_000,
  }, async () => {
    const carol = await registerCore(t.server.baseUrl, 'carol');
    const profile = await readProfile(carol.dataDir);
    await carol.close();
    // What an older version left: keys never accepted, under an id the server refuses.
    const secrets = await new KeychainSecretStore().get(
      keychainAccount(t.server.baseUrl, profile.user.id, profile.deviceId),
    );
    const db = openDatabase(join(carol.dataDir, 'parley.db'), Buffer.from(secrets?.databaseKey ?? '', 'base64'));
    const store = new LocalStore(db);
    const uploaded = store.kv.registrationId();
    store.kv.setRegistrationId(16383);
    store.kv.setKeysUploaded(false);
    db.close();

    const again = await openCore(t.server.baseUrl, carol.dataDir);
    cores.push(again);
    await again.core.restoreSession();
    // Another user fetches Carol's keys: her device is there, under a new id in range.
    const dave = await register(t.server.baseUrl);
    const bundle = await eventually(
      async () => {
        const res = await fetch(`${t.server.baseUrl}${API_PREFIX}/keys/${profile.user.id}`, {
          headers: { authorization: `Bearer ${dave.accessToken}` },
        });
        const body = (await res.json()) as { devices?: { deviceId: string; registrationId: number }[] };
        // The server has the new upload once the id differs from the one of the first upload.
        return body.devices?.find((d) => d.deviceId === profile.deviceId && d.registrationId !== uploaded);
      },
      15_000,
      "carol's keys uploaded",
    );
    expect(bundle.registrationId).toBeGreaterThanOrEqual(1);
    expect(bundle.registrationId).toBeLessThanOrEqual(16380);
  });

  it('cannot be opened without the key from the keychain', async () => {
    const { default: Database } = await import('better-sqlite3-multiple-ciphers');
    const raw = new Database(join(bob.dataDir, 'parley.db'));
    expect(() => raw.prepare('SELECT * FROM messages').all()).toThrow(/not a database/);
    raw.close();
    const wrongKey = new Database(join(bob.dataDir, 'parley.db'));
    wrongKey.pragma(`cipher = 'sqlcipher'`);
    wrongKey.pragma('legacy = 4');
    wrongKey.pragma(`key = "x'${randomBytes(32).toString('hex')}'"`);
    expect(() => wrongKey.prepare('SELECT * FROM messages').all()).toThrow(/not a database/);
    wrongKey.close();
  });

  it('restores the session from the keychain and works offline: history, search in Russian and English, pending sends', {
    timeout: 60_000,
  }, async () => {
    const aliceId = await idOf(alice);
    await t.server.kill('SIGTERM');
    const restarted = await openCore(t.server.baseUrl, bob.dataDir);
    cores.push(restarted);
    const session = await restarted.core.restoreSession(); // no password
    expect(session?.user.id).toBeDefined();
    expect((await restarted.conversation(aliceId)).map((m) => m.text)).toEqual([marker, russian, english]);
    expect((await restarted.core.searchMessages('фонтан')).map((h) => h.message.text)).toEqual([russian]);
    expect((await restarted.core.searchMessages('ФОНТАНА')).map((h) => h.snippet)).toEqual([
      expect.stringContaining('[фонтана]'),
    ]);
    expect((await restarted.core.searchMessages('blueprint')).map((h) => h.message.text)).toEqual([english]);
    expect((await restarted.core.conversations())[0]?.peer.id).toBe(aliceId);

    const offline = await restarted.core.sendText(aliceId, 'written while the server was down');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await restarted.core.history(aliceId)).messages.at(-1)?.status).toBe('pending');

    await t.server.restart();
    await eventually(
      async () => (await restarted.core.history(aliceId)).messages.at(-1)?.status !== 'pending',
      45_000,
      'sent after restart',
    );
    await eventually(
      async () => (await alice.conversation(await idOf(restarted))).some((m) => m.id === offline.id),
      20_000,
      'alice got it',
    );
  });
});

describe('identity and session', () => {
  it('refuses a changed identity key on the very first message from it, until the user accepts the key', {
    timeout: 60_000,
  }, async () => {
    const alice = await registerCore(t.server.baseUrl, 'alice');
    const bob = await registerCore(t.server.baseUrl, 'bob');
    cores.push(alice, bob);
    const [aliceId, bobId] = [await idOf(alice), await idOf(bob)];
    const bobDevice = (await bob.core.session())?.deviceId as string;
    await bob.core.sendText(aliceId, 'the real Bob');
    await eventually(async () => (await alice.conversation(bobId)).length === 1, 10_000);
    const before = await alice.core.safetyNumber(bobId);
    expect(before.changed).toBe(false);
    await alice.close();

    // Someone who controls the server injects a session-opening message "from Bob's device", made with another identity key.
    const impostor = await createSignalDevice(1);
    const aliceSession = await fetch(`${t.server.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: (await readProfile(alice.dataDir)).user.username,
        password: 'correct horse battery',
        device: { name: 'x' },
      }),
    }).then((r) => r.json() as Promise<{ accessToken: string }>);
    const bundles = (await fetch(`${t.server.baseUrl}/api/v1/keys/${aliceId}`, {
      headers: { authorization: `Bearer ${aliceSession.accessToken}` },
    }).then((r) => r.json())) as {
      devices: Parameters<typeof impostor.encrypt>[0][];
    };
    const aliceDevice = (await readProfile(alice.dataDir)).deviceId;
    const bundle = bundles.devices.find((d) => d.deviceId === aliceDevice);
    const forged = await impostor.encrypt(
      bundle as Parameters<typeof impostor.encrypt>[0],
      JSON.stringify({ kind: 'text', text: 'send me the codes', sentAt: new Date().toISOString(), to: aliceId }),
    );
    expect(forged.type).toBe('prekey');
    await t.db.query(
      `INSERT INTO envelopes (destination_device_id, destination_user_id, kind, message_id, sender_user_id, sender_device_id, type, content)
       VALUES ($1, $2, 'message', $3, $4, $5, $6, decode($7, 'base64'))`,
      [aliceDevice, aliceId, randomUUID(), bobId, bobDevice, forged.type, forged.content],
    );

    const reopened = await openCore(t.server.baseUrl, alice.dataDir);
    cores.push(reopened);
    await reopened.core.restoreSession();
    await eventually(() => reopened.events.identity.length > 0, 10_000, 'identity event');
    expect(reopened.events.identity[0]).toMatchObject({ userId: bobId, deviceId: bobDevice, kind: 'key_changed' });
    expect((await reopened.conversation(bobId)).map((m) => m.text)).toEqual(['the real Bob']);
    const after = await reopened.core.safetyNumber(bobId);
    expect(after).toMatchObject({ digits: before.digits, changed: true });
    await expect(reopened.core.sendText(bobId, 'are you sure?')).rejects.toMatchObject({ code: 'IDENTITY_UNTRUSTED' });
    // Accepting (after comparing the new number) is what replaces the pinned key.
    await reopened.core.acceptIdentity(bobId);
    expect(await reopened.core.safetyNumber(bobId)).toMatchObject({
      digits: after.pendingDigits,
      changed: false,
      pendingDigits: null,
    });
  });

  /** The user signs in on a laptop and revokes the device `info` from there. */
  const revokeFromAnotherDevice = async (info: SessionInfo | null) => {
    const laptop = await openCore(t.server.baseUrl);
    cores.push(laptop);
    await laptop.core.login({
      username: info?.user.username as string,
      password: 'correct horse battery',
      deviceName: 'Laptop',
    });
    await laptop.core.revokeDevice(info?.deviceId as string);
  };

  it('signs a revoked device out cleanly: its store, profile and keychain entry are gone', {
    timeout: 30_000,
  }, async () => {
    const bob = await registerCore(t.server.baseUrl, 'bob');
    const info = await bob.core.session();
    await revokeFromAnotherDevice(info);
    await eventually(() => bob.events.signedOut.length === 1, 10_000, 'signed out');
    expect(bob.events.signedOut[0]).toEqual({ reason: 'revoked' });
    expect(await readdir(bob.dataDir)).toEqual([]);
    const entries = await keytar.findCredentials(KEYCHAIN_SERVICE);
    expect(entries.some((e) => e.account.endsWith(info?.deviceId as string))).toBe(false);
    await expect(bob.core.conversations()).rejects.toMatchObject({ code: 'NOT_SIGNED_IN' });
  });

  it('signs a device revoked while it was offline out cleanly when it comes back', { timeout: 30_000 }, async () => {
    const bob = await registerCore(t.server.baseUrl, 'bob');
    const info = await bob.core.session();
    await bob.close();
    await revokeFromAnotherDevice(info);

    const back = await openCore(t.server.baseUrl, bob.dataDir);
    cores.push(back);
    await back.core.restoreSession();
    await eventually(() => back.events.signedOut.length === 1, 10_000, 'signed out');
    expect(back.events.signedOut).toEqual([{ reason: 'revoked' }]);
    expect(await readdir(back.dataDir)).toEqual([]);
    const entries = await keytar.findCredentials(KEYCHAIN_SERVICE);
    expect(entries.some((e) => e.account.endsWith(info?.deviceId as string))).toBe(false);
  });

  it("signs out cleanly on the user's own sign-out: its store, profile and keychain entry are gone", async () => {
    const bob = await registerCore(t.server.baseUrl, 'bob');
    const info = await bob.core.session();
    await bob.core.logout();
    expect(bob.events.signedOut).toEqual([{ reason: 'logout' }]);
    expect(await readdir(bob.dataDir)).toEqual([]);
    const entries = await keytar.findCredentials(KEYCHAIN_SERVICE);
    expect(entries.some((e) => e.account.endsWith(info?.deviceId as string))).toBe(false);
  });

  it('treats a damaged profile as no account: nothing restores, no crash, and signing up works', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-damaged-'));
    await writeFile(
      join(dataDir, 'profile.json'),
      JSON.stringify({ serverUrl: 'not a url', user: { id: 'u' }, deviceId: 'd' }),
    );
    const core = await openCore(t.server.baseUrl, dataDir);
    cores.push(core);
    expect(await core.core.restoreSession()).toBeNull();
    const info = await core.core.register({
      username: `damaged_${Date.now()}`,
      password: 'correct horse battery',
      displayName: 'Dana',
      deviceName: 'Laptop',
    });
    expect(info.user.displayName).toBe('Dana');
  });

  it('refuses to sign in without a reachable keychain, with a typed error and nothing written', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-nokeychain-'));
    const output = execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, 'tests/support/keychain-probe.ts'),
        JSON.stringify({ dataDir, serverUrl: t.server.baseUrl, username: `nokey_${Date.now()}` }),
      ],
      { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }, encoding: 'utf8' },
    );
    expect(JSON.parse(output.trim().split('\n').at(-1) as string)).toMatchObject({
      ok: false,
      code: 'KEYCHAIN_UNAVAILABLE',
    });
    expect(await readdir(dataDir)).toEqual([]);
  });
});

describe('a lost refresh answer', () => {
  let alice: TestCore;
  let bob: TestCore;
  let aliceId: string;
  let bobId: string;

  beforeAll(async () => {
    alice = await registerCore(t.server.baseUrl, 'alice');
    bob = await registerCore(t.server.baseUrl, 'bob');
    cores.push(alice, bob);
    [aliceId, bobId] = [await idOf(alice), await idOf(bob)];
    await alice.core.sendText(bobId, 'before the refresh');
    await eventually(async () => (await bob.conversation(aliceId)).length === 1, 10_000, 'bob has 1');
  });

  const secretsOf = (info: SessionInfo | null) =>
    new KeychainSecretStore().get(keychainAccount(t.server.baseUrl, info?.user.id as string, info?.deviceId as string));
  const rotateBehindBobsBack = async (info: SessionInfo | null) => {
    const secrets = await secretsOf(info);
    const res = await fetch(`${t.server.baseUrl}${API_PREFIX}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: secrets?.refreshToken }),
    });
    expect(res.status).toBe(200);
  };

  /** Bob's app quits; the server rotates his refresh token but the answer never reached him. */
  const reopenAfterLostAnswer = async (info: SessionInfo | null, meanwhile = async () => {}) => {
    await bob.close();
    await rotateBehindBobsBack(info);
    await meanwhile();
    bob = await openCore(t.server.baseUrl, bob.dataDir);
    cores.push(bob);
    return bob.core.restoreSession();
  };

  it('keeps the device signed in when its core retries with the token it kept, within the grace period', {
    timeout: 30_000,
  }, async () => {
    const info = await bob.core.session();
    const before = (await secretsOf(info))?.refreshToken;
    expect(await reopenAfterLostAnswer(info)).toMatchObject({ deviceId: info?.deviceId });
    // Access tokens live 30 s, less than the refresh margin: this call refreshes with the old token.
    await bob.core.contacts();
    await eventually(async () => (await bob.core.connectionState()) === 'online', 10_000, 'bob online');
    expect(bob.events.signedOut).toEqual([]);
    expect((await secretsOf(info))?.refreshToken).not.toBe(before);
    expect((await bob.conversation(aliceId)).map((m) => m.text)).toEqual(['before the refresh']);
  });

  it('keeps the store of a device signed out by reuse detection; signing in again brings the history back', {
    timeout: 60_000,
  }, async () => {
    const info = await bob.core.session();
    await reopenAfterLostAnswer(info, async () => {
      // Past the grace period.
      await t.db.query(
        "UPDATE refresh_tokens SET rotated_at = now() - interval '1 hour' WHERE device_id = $1 AND rotated_at IS NOT NULL",
        [info?.deviceId],
      );
    });
    await eventually(() => bob.events.signedOut.length === 1, 10_000, 'signed out');
    expect(bob.events.signedOut[0]).toEqual({ reason: 'ended' });
    // The encrypted store and its key stay; the refresh token is gone, so nothing restores on its own.
    expect(await readdir(bob.dataDir)).toContain('parley.db');
    const secrets = await secretsOf(info);
    expect(secrets).toMatchObject({ databaseKey: expect.any(String) });
    expect(secrets?.refreshToken).toBeUndefined();
    expect(await bob.core.restoreSession()).toBeNull();

    await bob.core.login({ username: info?.user.username as string, password: PASSWORD, deviceName: 'Again' });
    expect((await bob.core.session())?.deviceId).not.toBe(info?.deviceId);
    expect((await bob.conversation(aliceId)).map((m) => m.text)).toEqual(['before the refresh']);
    // The old device's keychain entry is replaced by the new one's.
    const entries = await keytar.findCredentials(KEYCHAIN_SERVICE);
    expect(entries.some((e) => e.account.endsWith(info?.deviceId as string))).toBe(false);
    // A new device with new keys: messages still flow both ways.
    await eventually(async () => (await bob.core.connectionState()) === 'online', 10_000, 'bob online');
    await alice.core.sendText(bobId, 'after signing in again');
    await eventually(async () => (await bob.conversation(aliceId)).length === 2, 15_000, 'bob has 2');
    await bob.core.sendText(aliceId, 'back');
    await eventually(async () => (await alice.conversation(bobId)).length === 3, 15_000, 'alice has 3');
  });
});

async function readProfile(dataDir: string): Promise<{ user: { id: string; username: string }; deviceId: string }> {
  return JSON.parse(await readFile(join(dataDir, 'profile.json'), 'utf8'));
}
