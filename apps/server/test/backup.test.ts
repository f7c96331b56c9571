import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_EVENTS } from '@parley/shared';
import { storeAttachment } from '@parley/test-support/attachments';
import { createTestDatabase, type TestDatabase } from '@parley/test-support/database';
import { createDevice, opaqueEnvelopesFor } from '@parley/test-support/devices';
import { call, login } from '@parley/test-support/http';
import { RELAXED_LIMITS, REPO_ROOT, startServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = (name: string) => join(REPO_ROOT, 'deploy', name);
const majorOf = (text: string) => Number(/(\d+)(?:\.\d+)?/.exec(text)?.[1]);

let original: TestDatabase;
let restored: TestDatabase;
let work: string;
let compatible = true;
let lost = false;

beforeAll(async () => {
  original = await createTestDatabase();
  restored = await createTestDatabase();
  work = await mkdtemp(join(tmpdir(), 'parley-backup-'));
  const [{ server_version }] = (await original.query('SHOW server_version')) as [{ server_version: string }];
  try {
    compatible = majorOf(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' })) >= majorOf(server_version);
  } catch {
    compatible = false; // no pg_dump installed (PostgreSQL's client tools)
  }
});
afterAll(async () => {
  if (!lost) await original?.drop();
  await restored?.drop();
  await rm(work, { recursive: true, force: true });
});

describe('backup and restore (deploy/backup.sh, deploy/restore.sh)', () => {
  // Skipped only without a usable pg_dump: none installed, or older than the test PostgreSQL (it
  // refuses a newer server, e.g. the embedded PostgreSQL 18 when no local one runs).
  it('brings back accounts, queued messages and attachments', { timeout: 180_000 }, async (ctx) => {
    if (!compatible) ctx.skip('no pg_dump as new as the test PostgreSQL');
    const dataDir = join(work, 'data');
    const server = await startServer({ DATABASE_URL: original.url, DATA_DIR: dataDir, ...RELAXED_LIMITS });
    const alice = await createDevice(server.baseUrl);
    const bob = await createDevice(server.baseUrl); // offline: his messages wait in his queue
    const aliceClient = await connectClient(server.baseUrl, alice.accessToken);
    const envelopes = await opaqueEnvelopesFor(alice, bob.user.id);
    const sent = [randomUUID(), randomUUID(), randomUUID()];
    for (const messageId of sent) {
      expect(
        await aliceClient.request(CLIENT_EVENTS.send, { messageId, recipientUserId: bob.user.id, envelopes }),
      ).toMatchObject({ ok: true });
    }
    aliceClient.close();
    const file = await storeAttachment(server.baseUrl, alice, bob.user.id, 5_000);

    // Backed up while the server runs, then everything is lost.
    const backup = join(work, 'backup');
    execFileSync(script('backup.sh'), [backup], {
      env: { ...process.env, DATABASE_URL: original.url, DATA_DIR: dataDir },
    });
    expect(await server.stop()).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
    await original.drop();
    lost = true;

    const newDataDir = join(work, 'restored-data');
    execFileSync(script('restore.sh'), [backup], {
      env: { ...process.env, DATABASE_URL: restored.url, DATA_DIR: newDataDir },
    });
    const again = await startServer({ DATABASE_URL: restored.url, DATA_DIR: newDataDir, ...RELAXED_LIMITS });
    try {
      expect((await login(again.baseUrl, alice.user.username)).status).toBe(200);
      // Bob's device, signed in before the backup, carries on: its session and queue are back.
      const refreshed = await call(again.baseUrl, 'POST', '/auth/refresh', {
        body: { refreshToken: bob.refreshToken },
      });
      expect(refreshed.status).toBe(200);
      const bobClient = await connectClient(again.baseUrl, refreshed.body.accessToken);
      await eventually(() => bobClient.envelopes.length >= sent.length, 10_000, 'the queued messages');
      expect(bobClient.envelopes.map((e) => e.messageId)).toEqual(sent);
      bobClient.close();
      const download = await fetch(`${again.baseUrl}/api/v1/attachments/${file.id}`, {
        headers: { authorization: `Bearer ${refreshed.body.accessToken}` },
      });
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(file.ciphertext)).toBe(true);
    } finally {
      await again.stop();
    }
  });
});
