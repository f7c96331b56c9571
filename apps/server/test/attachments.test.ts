import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey } from '@aws-sdk/client-s3';
import { AttachmentDecryptor, AttachmentEncryptor, newAttachmentKey, sodiumReady } from '@parley/desktop';
import { API_PREFIX, type AuthResponse, attachmentCiphertextSize } from '@parley/shared';
import { createTestDatabase, dumpDatabase } from '@parley/test-support/database';
import { call, expectError, register } from '@parley/test-support/http';
import { RELAXED_LIMITS, type ServerProcess, startServer, withServer } from '@parley/test-support/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ByteMeter, byteMeter } from './support/byte-meter.js';
import { type CephS3, startCephS3 } from './support/ceph-s3.js';

const MAX_BYTES = 1024 * 1024;

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

/** An upload that has sent half of `body` and waits, its connection open. */
function halfUpload(baseUrl: string, from: AuthResponse, id: string, body: Buffer) {
  const req = request(`${baseUrl}${API_PREFIX}/attachments/${id}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${from.accessToken}`,
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
    },
  });
  req.write(body.subarray(0, body.length / 2));
  return req;
}

async function download(baseUrl: string, who: AuthResponse, id: string) {
  const res = await fetch(`${baseUrl}${API_PREFIX}/attachments/${id}`, {
    headers: { authorization: `Bearer ${who.accessToken}` },
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** The blob store under test, seen from outside the server: what it holds, read directly. */
interface Store {
  /** The server environment choosing this store; an S3 store gets a fresh bucket each time. */
  setup(): Promise<Record<string, string>>;
  /** The stored bytes of blob `id`; undefined when there is no such blob. */
  blob(server: ServerProcess, id: string): Promise<Buffer | undefined>;
  /** Every complete blob the store holds. */
  blobs(server: ServerProcess): Promise<Buffer[]>;
  /** Call before an upload, to see the server write its body to the store, and drop it. */
  watchWrite(server: ServerProcess): { started(): Promise<void>; dropped(): Promise<void> };
  close(): Promise<void>;
}

function filesystemStore(): Store {
  const dir = (server: ServerProcess) => join(server.dataDir, 'attachments');
  return {
    setup: async () => ({}),
    blob: (server, id) => readFile(join(dir(server), id)).catch(() => undefined),
    blobs: async (server) => {
      const names = (await readdir(dir(server))).filter((name) => name !== '.partial');
      return Promise.all(names.map((name) => readFile(join(dir(server), name))));
    },
    // A partial file appears as soon as the server starts writing the body, and goes if it fails.
    watchWrite: (server) => {
      const partials = async () => (await readdir(join(dir(server), '.partial'))).length;
      return {
        started: () => expect.poll(partials, { timeout: 10_000 }).toBeGreaterThan(0),
        dropped: () => expect.poll(partials, { timeout: 10_000 }).toBe(0),
      };
    },
    close: async () => {},
  };
}

/** A bucket on the test's Ceph RADOS Gateway, reached by the server through a byte meter. */
function s3Store(ceph: () => CephS3): Store {
  const PREFIX = 'blobs/';
  let bucket = '';
  let meter: ByteMeter | undefined;
  const get = async (key: string) => {
    try {
      const object = await ceph().client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await (object.Body as NonNullable<typeof object.Body>).transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  };
  return {
    setup: async () => {
      bucket = await ceph().createBucket();
      const target = new URL(ceph().endpoint);
      meter = await byteMeter({ host: target.hostname, port: Number(target.port) });
      return {
        ATTACHMENT_S3_BUCKET: bucket,
        ATTACHMENT_S3_ENDPOINT: meter.url,
        ATTACHMENT_S3_ACCESS_KEY_ID: ceph().accessKeyId,
        ATTACHMENT_S3_SECRET_ACCESS_KEY: ceph().secretAccessKey,
        ATTACHMENT_S3_PREFIX: PREFIX,
      };
    },
    blob: (_server, id) => get(`${PREFIX}${id}`),
    blobs: async () => {
      const listed = await ceph().client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const found = await Promise.all((listed.Contents ?? []).map((object) => get(object.Key as string)));
      return found.filter((bytes) => bytes !== undefined);
    },
    // The PUT's body passing the meter on its way to the gateway (well past its headers); the
    // server aborting the PUT closes its connection.
    watchWrite: () => {
      const m = meter as ByteMeter;
      const [sent, closed] = [m.sent(), m.closed()];
      return {
        started: () => expect.poll(() => m.sent() - sent, { timeout: 10_000 }).toBeGreaterThan(100_000),
        dropped: () => expect.poll(() => m.closed() - closed, { timeout: 10_000 }).toBeGreaterThan(0),
      };
    },
    close: async () => meter?.close(),
  };
}

// One Ceph cluster for the file; both store kinds run the same tests.
let ceph: CephS3 | undefined;
beforeAll(async () => {
  ceph = await startCephS3();
}, 120_000);
afterAll(async () => {
  await ceph?.stop();
});
const STORES = {
  filesystem: filesystemStore,
  s3: () => s3Store(() => ceph as CephS3),
} as const;

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('attachments (%s blob store)', (kind) => {
  const store = STORES[kind]();
  let storeEnv: Record<string, string> = {};
  beforeAll(async () => {
    storeEnv = await store.setup();
  });
  afterAll(() => store.close());
  const t = withServer(() => ({ ATTACHMENT_MAX_BYTES: String(MAX_BYTES), ...storeEnv }));

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
    expect((await store.blob(t.server, id))?.equals(cipher)).toBe(true);
    const blobs = await store.blobs(t.server);
    expect(blobs.length).toBeGreaterThan(0);
    for (const blob of blobs) expect(blob.includes(marker)).toBe(false);
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
    expect(await store.blob(t.server, id)).toBeUndefined();

    expect((await upload(t.url, alice, id, cipher)).status).toBe(204);
    const again = await upload(t.url, alice, id, cipher);
    expect(again.status).toBe(409);
    expect((await download(t.url, bob, id)).bytes.equals(cipher)).toBe(true);
  });

  it('an upload the client cuts off stores nothing and is no server fault; sent again, it completes', async () => {
    const { cipher } = await encrypted(randomBytes(600_000));
    const { id } = (await announce(t.url, alice, bob, cipher.length)).body;
    const write = store.watchWrite(t.server);
    const req = halfUpload(t.url, alice, id, cipher);
    req.on('error', () => {});
    await write.started();
    const logged = t.server.output().length;
    req.destroy();
    await write.dropped();
    await expect.poll(() => t.server.output().slice(logged)).toContain('request aborted');
    expect(t.server.output().slice(logged)).not.toMatch(/"level":(50|60)/);

    expect((await download(t.url, bob, id)).status).toBe(404);
    expect(await store.blob(t.server, id)).toBeUndefined();
    expect((await upload(t.url, alice, id, cipher)).status).toBe(204);
    expect((await store.blob(t.server, id))?.equals(cipher)).toBe(true);
  });

  it('an upload cut off by a server restart is never served half-written; sent again, it completes', {
    timeout: 60_000,
  }, async () => {
    const { key, cipher } = await encrypted(randomBytes(600_000));
    const { id } = (await announce(t.url, alice, bob, cipher.length)).body;

    // Half the bytes, then the server dies with the upload open.
    const write = store.watchWrite(t.server);
    const cutOff = new Promise<void>((resolve) => {
      const req = halfUpload(t.url, alice, id, cipher);
      req.on('error', () => resolve());
      req.on('response', () => resolve());
    });
    await write.started();
    await t.server.kill();
    await cutOff;
    await t.server.restart(); // access tokens outlive a restart (the JWT secret is kept in DATA_DIR)

    expect((await download(t.url, bob, id)).status).toBe(404);
    expect(await store.blob(t.server, id)).toBeUndefined();
    expect((await upload(t.url, alice, id, cipher)).status).toBe(204);
    const got = await download(t.url, bob, id);
    expect((await decrypted(key, got.bytes)).length).toBe(600_000);
    expect((await store.blob(t.server, id))?.equals(cipher)).toBe(true);
  });
});

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('attachment retention (%s blob store)', (kind) => {
  it('deletes blobs and their records after ATTACHMENT_RETENTION_SECONDS', { timeout: 60_000 }, async () => {
    const store = STORES[kind]();
    const db = await createTestDatabase();
    const server = await startServer({
      DATABASE_URL: db.url,
      ...RELAXED_LIMITS,
      ATTACHMENT_RETENTION_SECONDS: '3',
      ...(await store.setup()),
    });
    try {
      const [alice, bob] = [await register(server.baseUrl), await register(server.baseUrl)];
      const { cipher } = await encrypted(randomBytes(1_000));
      const { id } = (await announce(server.baseUrl, alice, bob, cipher.length)).body;
      expect((await upload(server.baseUrl, alice, id, cipher)).status).toBe(204);
      expect((await download(server.baseUrl, bob, id)).status).toBe(200);
      expect(await store.blob(server, id)).toBeDefined();
      await expect.poll(async () => (await download(server.baseUrl, bob, id)).status, { timeout: 15_000 }).toBe(404);
      await expect.poll(() => store.blob(server, id), { timeout: 5_000 }).toBeUndefined();
      expect(await store.blobs(server)).toEqual([]);
      expect(await db.query('SELECT id FROM attachments')).toEqual([]);
    } finally {
      await server.stop();
      await store.close();
      await db.drop();
    }
  });
});

describe('an S3 blob store that cannot be used', () => {
  it('stops the boot naming ATTACHMENT_S3_BUCKET, and never shows the secret', async () => {
    const s3 = ceph as CephS3;
    const base = { ATTACHMENT_S3_ENDPOINT: s3.endpoint, ATTACHMENT_S3_ACCESS_KEY_ID: s3.accessKeyId };
    const db = await createTestDatabase();
    try {
      const bucket = await s3.createBucket();
      for (const [env, why] of [
        [
          {
            ...base,
            ATTACHMENT_S3_BUCKET: 'parley-no-such-bucket',
            ATTACHMENT_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
          },
          'does not exist',
        ],
        [
          { ...base, ATTACHMENT_S3_BUCKET: bucket, ATTACHMENT_S3_SECRET_ACCESS_KEY: 'wrong-secret-0123456789' },
          'access denied',
        ],
      ] as const) {
        const dataDir = await mkdtemp(join(tmpdir(), 'parley-server-'));
        const failed = await startServer(
          { DATABASE_URL: db.url, DATA_DIR: dataDir, ...env },
          { timeoutMs: 20_000 },
        ).then(
          async (server) => {
            await server.stop();
            return '';
          },
          (error: Error) => error.message,
        );
        await rm(dataDir, { recursive: true, force: true });
        expect(failed).toContain('ATTACHMENT_S3_BUCKET');
        expect(failed).toContain(why);
        expect(failed).not.toContain(env.ATTACHMENT_S3_SECRET_ACCESS_KEY);
      }
    } finally {
      await db.drop();
    }
  });
});
