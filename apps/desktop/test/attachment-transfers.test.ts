import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AttachmentTransfers, createApiClient, ServerSession, type UploadedAttachment } from '@parley/desktop';
import type { AttachmentPointer, AuthResponse } from '@parley/shared';
import { readAll, sha256 } from '@parley/test-support/bytes';
import { register } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAX_BYTES = 4 * 1024 * 1024;
const t = withServer({ ATTACHMENT_MAX_BYTES: String(MAX_BYTES) });

describe('attachment transfers through the core, against a real server', () => {
  const dirs: string[] = [];
  let alice: { auth: AuthResponse; session: ServerSession; transfers: AttachmentTransfers; dir: string };
  let bob: { auth: AuthResponse; session: ServerSession; transfers: AttachmentTransfers; dir: string };

  async function device() {
    const auth = await register(t.url);
    const session = new ServerSession(
      createApiClient(t.url),
      auth.refreshToken,
      {
        persistRefreshToken: async () => {},
        revoked: () => {},
      },
      auth,
    );
    const dir = await mkdtemp(join(tmpdir(), 'parley-attachments-'));
    dirs.push(dir);
    return { auth, session, transfers: new AttachmentTransfers(t.url, session, dir), dir };
  }

  beforeAll(async () => {
    alice = await device();
    bob = await device();
  });
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const pointer = (uploaded: UploadedAttachment): AttachmentPointer => ({
    ...uploaded,
    name: 'notes.txt',
    contentType: 'text/plain',
  });

  it('a file goes up and comes down whole, with progress, and is never readable on disk', async () => {
    const marker = `marker-${randomBytes(6).toString('hex')}`;
    const file = Buffer.concat([Buffer.from(marker), randomBytes(3 * 1024 * 1024), Buffer.from(marker)]);
    const sent: number[] = [];
    const uploaded = await alice.transfers.prepare(bob.auth.user.id, Readable.from([file]), file.length);
    await alice.transfers.upload(uploaded.id, (done) => sent.push(done));
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.at(-1)).toBeGreaterThan(file.length);

    const received: number[] = [];
    await bob.transfers.download(pointer(uploaded), (done) => received.push(done));
    expect(received.length).toBeGreaterThan(1);
    expect(sha256(await readAll(bob.transfers.open(pointer(uploaded))))).toBe(sha256(file));
    // The sender reads its own copy too.
    expect(sha256(await readAll(alice.transfers.open(pointer(uploaded))))).toBe(sha256(file));
    for (const dir of [alice.dir, bob.dir]) {
      for (const name of await readdir(dir)) {
        if (name !== '.partial') expect((await readFile(join(dir, name))).includes(marker)).toBe(false);
      }
    }
  });

  it('a file over the server limit is refused before a byte of it is read', async () => {
    const untouched = new Readable({
      read() {
        throw new Error('the file was read');
      },
    });
    await expect(alice.transfers.prepare(bob.auth.user.id, untouched, MAX_BYTES + 1)).rejects.toMatchObject({
      code: 'ATTACHMENT_TOO_LARGE',
      details: { maxBytes: MAX_BYTES },
    });
  });

  it('a cancelled upload is not served; retried from the local copy, it completes', async () => {
    const file = randomBytes(2 * 1024 * 1024);
    const uploaded = await alice.transfers.prepare(bob.auth.user.id, Readable.from([file]), file.length);
    const abort = new AbortController();
    const cancelled = alice.transfers.upload(
      uploaded.id,
      (done) => {
        if (done > 512 * 1024) abort.abort();
      },
      abort.signal,
    );
    await expect(cancelled).rejects.toThrow();
    await expect(bob.transfers.download(pointer(uploaded))).rejects.toMatchObject({ code: 'NOT_FOUND' });

    await alice.transfers.upload(uploaded.id);
    await bob.transfers.download(pointer(uploaded));
    expect(sha256(await readAll(bob.transfers.open(pointer(uploaded))))).toBe(sha256(file));
    // The server took the cut-off upload as the client's doing, not as a fault of its own.
    expect(t.server.output()).toMatch(/"method":"PUT".*"request aborted"/);
    expect(t.server.output()).not.toMatch(/"level":50/);
  });

  it('a source sending more than the announced size is cut off at once, and nothing is kept', async () => {
    const file = randomBytes(100_000);
    const uploaded = await alice.transfers.prepare(bob.auth.user.id, Readable.from([file]), file.length);
    // A hostile blob source: the real ciphertext, then bytes without end (up to 256 MiB).
    const ciphertext = await readFile(join(alice.dir, uploaded.id));
    let sent = 0;
    const hostile = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const junk = randomBytes(1024 * 1024);
      const more = () => {
        while (sent < 256 * 1024 * 1024 && !res.destroyed) {
          const chunk = sent === 0 ? ciphertext : junk;
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    await new Promise<void>((ok) => hostile.listen(0, '127.0.0.1', ok));
    const { port } = hostile.address() as AddressInfo;
    const dir = await mkdtemp(join(tmpdir(), 'parley-hostile-'));
    dirs.push(dir);
    try {
      const transfers = new AttachmentTransfers(`http://127.0.0.1:${port}`, bob.session, dir);
      await expect(transfers.download(pointer(uploaded))).rejects.toMatchObject({ code: 'ATTACHMENT_CORRUPT' });
      // Cut off within what socket buffers hold, not after the whole stream.
      expect(sent).toBeLessThan(ciphertext.length + 32 * 1024 * 1024);
      expect(await readdir(dir, { recursive: true })).not.toContainEqual(expect.stringContaining(uploaded.id));
    } finally {
      hostile.closeAllConnections();
      hostile.close();
    }
  });

  it('a local copy already on disk is checked against the digest too: a tampered one is fetched again', async () => {
    const file = randomBytes(100_000);
    const uploaded = await alice.transfers.prepare(bob.auth.user.id, Readable.from([file]), file.length);
    await alice.transfers.upload(uploaded.id);
    await bob.transfers.download(pointer(uploaded));
    const local = join(bob.dir, uploaded.id);
    const genuine = await readFile(local);
    const tampered = Buffer.from(genuine);
    tampered[tampered.length - 1] = (tampered.at(-1) as number) ^ 1;
    await writeFile(local, tampered);
    await bob.transfers.download(pointer(uploaded));
    expect((await readFile(local)).equals(genuine)).toBe(true);
    expect(sha256(await readAll(bob.transfers.open(pointer(uploaded))))).toBe(sha256(file));
  });

  it('a download that does not match its digest is refused and leaves nothing behind', async () => {
    const file = randomBytes(100_000);
    const uploaded = await alice.transfers.prepare(bob.auth.user.id, Readable.from([file]), file.length);
    await alice.transfers.upload(uploaded.id);
    const forged = { ...pointer(uploaded), digest: Buffer.alloc(32).toString('base64') };
    await expect(bob.transfers.download(forged)).rejects.toMatchObject({ code: 'ATTACHMENT_CORRUPT' });
    // Neither the local copy nor a partial one is left.
    expect(await readdir(bob.dir, { recursive: true })).not.toContainEqual(expect.stringContaining(uploaded.id));
    await bob.transfers.download(pointer(uploaded));
    expect(sha256(await readAll(bob.transfers.open(pointer(uploaded))))).toBe(sha256(file));
  });
});
