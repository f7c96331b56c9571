import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AttachmentDecryptor, AttachmentEncryptor, newAttachmentKey, sodiumReady } from '@parley/desktop';
import { API_PREFIX, type AuthResponse, attachmentCiphertextSize } from '@parley/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dumpDatabase } from '../../../tests/support/database.js';
import { call, expectError, register } from '../../../tests/support/http.js';
import { RELAXED_LIMITS, startServer, withServer } from '../../../tests/support/server.js';

const MAX_BYTES = 1024 * 1024;
const t = withServer({ ATTACHMENT_MAX_BYTES: String(MAX_BYTES) });

/** A file encrypted as the app does it: its key and its ciphertext. */
async function encrypted(plain: Buffer): Promise<{ key: Uint8Array; cipher: Buffer }> {
  await sodiumReady;
  const key = newAttachmentKey();
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from([plain]).pipe(new AttachmentEncryptor(key))) chunks.push(chunk);
  return { key, cipher: Buffer.concat(chunks) };
}

async function decrypted(key: Uint8Array, cipher: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from([cipher]).pipe(new AttachmentDecryptor(key))) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const announce = (baseUrl: string, from: AuthResponse, to: AuthResponse, size: number) =>
  call(baseUrl, 'POST', '/attachments', { token: from.accessToken, body: { recipientUserId: to.user.id, size } });

function upload(baseUrl: string, from: AuthResponse, id: string, body: Buffer, length = body.length) {
  return fetch(`${baseUrl}${API_PREFIX}/attachments/${id}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${from.accessToken}`,
      'content-type': 'application/octet-stream',
      'content-length': String(length),
    },
    body,
  });
}

async function download(baseUrl: string, who: AuthResponse, id: string) {
  const res = await fetch(`${baseUrl}${API_PREFIX}/attachments/${id}`, {
    headers: { authorization: `Bearer ${who.accessToken}` },
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('attachments', () => {
  let alice: AuthResponse;
  let bob: AuthResponse;
  let eve: AuthResponse;
  beforeAll(async () => {
    [alice, bob, eve] = [await register(t.url), await register(t.url), await register(t.url)];
  });

  it('go up as ciphertext and come down, unchanged, to the uploader and the recipient only', async () => {
    const marker = `plaintext-marker-${randomBytes(8).toString('hex')}`;
    const plain = Buffer.from(`${marker}\n`.repeat(5_000));
    const { key, cipher } = await encrypted(plain);
    expect(cipher.length).toBe(attachmentCiphertextSize(plain.length));

    const created = await announce(t.url, alice, bob, cipher.length);
    expect(created.status).toBe(201);
    expect(created.body.maxBytes).toBe(MAX_BYTES);
    const id: string = created.body.id;
    expect((await upload(t.url, alice, id, cipher)).status).toBe(204);

    for (const who of [bob, alice]) {
      const got = await download(t.url, who, id);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(cipher)).toBe(true);
      expect((await decrypted(key, got.bytes)).equals(plain)).toBe(true);
    }
    // Someone else cannot tell it from a blob that does not exist.
    const stranger = await download(t.url, eve, id);
    expect(stranger.status).toBe(404);
    expectError(await call(t.url, 'GET', `/attachments/${id}`, { token: eve.accessToken }), 404, 'NOT_FOUND');

    // Neither the blob store nor the database holds the plaintext.
    const blobs = join(t.server.dataDir, 'attachments');
    const stored = await readFile(join(blobs, id));
    expect(stored.equals(cipher)).toBe(true);
    for (const name of await readdir(blobs)) {
      if (name !== '.partial') expect((await readFile(join(blobs, name))).includes(marker)).toBe(false);
    }
    expect(await dumpDatabase(t.db)).not.toContain(marker);
  });

  it('over the size limit is refused when announced, before any byte is sent', async () => {
    const tooBig = await announce(t.url, alice, bob, attachmentCiphertextSize(MAX_BYTES + 1));
    expectError(tooBig, 413, 'ATTACHMENT_TOO_LARGE');
    expect(tooBig.body.error.details).toEqual({ maxBytes: MAX_BYTES });
    expect((await announce(t.url, alice, bob, attachmentCiphertextSize(MAX_BYTES))).status).toBe(201);
  });

  it('only the uploader uploads, exactly the announced size, once', async () => {
    const { cipher } = await encrypted(randomBytes(10_000));
    const { id } = (await announce(t.url, alice, bob, cipher.length)).body;
    expect((await upload(t.url, bob, id, cipher)).status).toBe(404);
    const short = await upload(t.url, alice, id, cipher.subarray(1));
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    const asJson = await call(t.url, 'PUT', `/attachments/${id}`, { token: alice.accessToken, body: { a: 1 } });
    expectError(asJson, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect((await download(t.url, bob, id)).status).toBe(404);

    expect((await upload(t.url, alice, id, cipher)).status).toBe(204);
    const again = await upload(t.url, alice, id, cipher);
    expect(again.status).toBe(409);
    expect((await download(t.url, bob, id)).bytes.equals(cipher)).toBe(true);
  });

  it('an upload cut off by a server restart is never served half-written; sent again, it completes', {
    timeout: 60_000,
  }, async () => {
    const { key, cipher } = await encrypted(randomBytes(600_000));
    const { id } = (await announce(t.url, alice, bob, cipher.length)).body;

    // Half the bytes, then the server dies with the upload open.
    const cutOff = new Promise<void>((resolve) => {
      const req = request(`${t.url}${API_PREFIX}/attachments/${id}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${alice.accessToken}`,
          'content-type': 'application/octet-stream',
          'content-length': String(cipher.length),
        },
      });
      req.on('error', () => resolve());
      req.on('response', () => resolve());
      req.write(cipher.subarray(0, cipher.length / 2));
    });
    await waitForPartial(join(t.server.dataDir, 'attachments', '.partial'));
    await t.server.kill();
    await cutOff;
    await t.server.restart(); // access tokens outlive a restart (the JWT secret is kept in DATA_DIR)

    expect((await download(t.url, bob, id)).status).toBe(404);
    expect(existsSync(join(t.server.dataDir, 'attachments', id))).toBe(false);
    expect((await upload(t.url, alice, id, cipher)).status).toBe(204);
    const got = await download(t.url, bob, id);
    expect((await decrypted(key, got.bytes)).length).toBe(600_000);
  });
});

describe('attachment retention', () => {
  it('deletes blobs and their records after ATTACHMENT_RETENTION_SECONDS', { timeout: 60_000 }, async () => {
    const db = await createTestDatabase();
    const server = await startServer({ DATABASE_URL: db.url, ...RELAXED_LIMITS, ATTACHMENT_RETENTION_SECONDS: '3' });
    try {
      const [alice, bob] = [await register(server.baseUrl), await register(server.baseUrl)];
      const { cipher } = await encrypted(randomBytes(1_000));
      const { id } = (await announce(server.baseUrl, alice, bob, cipher.length)).body;
      expect((await upload(server.baseUrl, alice, id, cipher)).status).toBe(204);
      expect((await download(server.baseUrl, bob, id)).status).toBe(200);
      await expect.poll(async () => (await download(server.baseUrl, bob, id)).status, { timeout: 15_000 }).toBe(404);
      expect(existsSync(join(server.dataDir, 'attachments', id))).toBe(false);
      expect(await db.query('SELECT id FROM attachments')).toEqual([]);
    } finally {
      await server.stop();
      await db.drop();
    }
  });
});

/** Waits until the server has started writing an upload (so the cut really is half-way). */
async function waitForPartial(dir: string): Promise<void> {
  await expect.poll(async () => (await readdir(dir)).length, { timeout: 10_000 }).toBeGreaterThan(0);
}
