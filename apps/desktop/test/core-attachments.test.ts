import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { attachmentResponse } from '@parley/desktop';
import { ATTACHMENT_APPEND_BYTES, type LocalMessage, type OutgoingFile } from '@parley/shared';
import { readAll, sha256 } from '@parley/test-support/bytes';
import { openCore, registerCore, type TestCore } from '@parley/test-support/cores';
import { withServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAX_BYTES = 8 * 1024 * 1024;
const t = withServer({ ATTACHMENT_MAX_BYTES: String(MAX_BYTES) });

/** What the UI does: announce, hand over the bytes in chunks, send. */
async function sendFile(c: TestCore, peer: string, bytes: Buffer, file: Partial<OutgoingFile> = {}, caption = '') {
  const id = await c.core.startAttachment(peer, {
    name: 'report.bin',
    contentType: 'application/octet-stream',
    size: bytes.length,
    ...file,
  });
  for (let at = 0; at < bytes.length; at += ATTACHMENT_APPEND_BYTES) {
    await c.core.appendAttachment(id, bytes.subarray(at, at + ATTACHMENT_APPEND_BYTES));
  }
  return c.core.sendAttachment(id, caption);
}

describe('files between cores, through a real server', () => {
  const cores: TestCore[] = [];
  let alice: TestCore;
  let bob: TestCore;
  let aliceId: string;
  let bobId: string;

  beforeAll(async () => {
    alice = await registerCore(t.url, 'alice');
    bob = await registerCore(t.url, 'bob');
    cores.push(alice, bob);
    aliceId = (await alice.core.session())?.user.id as string;
    bobId = (await bob.core.session())?.user.id as string;
  });
  afterAll(async () => {
    for (const c of cores) await c.close();
  });

  const received = async (id: string) =>
    eventually(async () => (await bob.conversation(aliceId)).find((m) => m.id === id), 15_000, `bob receives ${id}`);

  it('a file arrives whole: Bob downloads it with progress and reads exactly the bytes Alice sent', {
    timeout: 60_000,
  }, async () => {
    const marker = `marker-${randomBytes(6).toString('hex')}`;
    const bytes = Buffer.concat([Buffer.from(marker), randomBytes(3 * 1024 * 1024 + 123)]);
    const sent = await sendFile(alice, bobId, bytes, { name: 'Отчёт 2026.bin' }, '  the figures  ');
    expect(sent).toMatchObject({ status: 'pending', text: 'the figures', attachmentReady: true });
    expect(sent.attachment).toMatchObject({ name: 'Отчёт 2026.bin', size: bytes.length });

    const message = await received(sent.id);
    expect(message).toMatchObject({ direction: 'in', text: 'the figures', attachmentReady: false });
    expect(bob.core.openAttachment(sent.id)).toBeNull(); // nothing to read before the download
    await bob.core.downloadAttachment(sent.id);
    const progress = bob.events.transfer.filter((u) => u.messageId === sent.id);
    expect(progress[0]).toMatchObject({ direction: 'download', state: 'active', done: 0 });
    expect(progress.at(-1)).toMatchObject({ state: 'done', done: bytes.length, total: bytes.length });
    expect((await bob.conversation(aliceId)).find((m) => m.id === sent.id)?.attachmentReady).toBe(true);

    const opened = bob.core.openAttachment(sent.id);
    expect(sha256(await readAll(opened?.data as Readable))).toBe(sha256(bytes));
    // Alice's own copy reads back too; her upload reported progress and the message went out.
    expect(sha256(await readAll(alice.core.openAttachment(sent.id)?.data as Readable))).toBe(sha256(bytes));
    expect(alice.events.transfer.filter((u) => u.messageId === sent.id).at(-1)).toMatchObject({
      direction: 'upload',
      state: 'done',
    });
    await eventually(
      () => alice.events.status.some((s) => s.messageId === sent.id && s.status === 'delivered'),
      10_000,
      'delivered',
    );
    // Both local copies are ciphertext.
    for (const c of [alice, bob]) {
      const dir = join(c.dataDir, 'attachments');
      for (const name of (await readdir(dir)).filter((n) => !n.startsWith('.'))) {
        expect((await readFile(join(dir, name))).includes(marker)).toBe(false);
      }
    }
  });

  it('the shells serve a byte range, and never serve a file as a page', { timeout: 30_000 }, async () => {
    const bytes = randomBytes(200_000);
    const page = await sendFile(alice, bobId, bytes, { name: 'evil.html', contentType: 'text/html' });
    const whole = attachmentResponse(alice.core, page.id, { download: false });
    expect(whole.status).toBe(200);
    expect(whole.headers['Content-Type']).toBe('application/octet-stream');
    expect(whole.headers['Content-Disposition']).toMatch(/^attachment; filename="evil.html"/);
    expect(whole.headers['Content-Security-Policy']).toBe('sandbox');
    expect((await readAll(whole.body as Readable)).equals(bytes)).toBe(true);

    const part = attachmentResponse(alice.core, page.id, { range: 'bytes=70000-140000', download: false });
    expect(part.status).toBe(206);
    expect(part.headers['Content-Range']).toBe(`bytes 70000-140000/${bytes.length}`);
    expect((await readAll(part.body as Readable)).equals(bytes.subarray(70_000, 140_001))).toBe(true);
    expect(attachmentResponse(alice.core, page.id, { range: 'bytes=300000-', download: false }).status).toBe(416);
    expect(attachmentResponse(alice.core, crypto.randomUUID(), { download: false }).status).toBe(404);

    const voice = await sendFile(alice, bobId, randomBytes(5_000), {
      name: 'voice.webm',
      contentType: 'audio/webm;codecs=opus',
      voice: { durationMs: 1_500, waveform: [0, 128, 255] },
    });
    expect(attachmentResponse(alice.core, voice.id, { download: false }).headers['Content-Type']).toBe('audio/webm');
    expect((await received(voice.id)).attachment?.voice).toEqual({ durationMs: 1_500, waveform: [0, 128, 255] });
  });

  it('a file over the limit is refused before any byte is read, and nothing is sent', async () => {
    const before = (await alice.conversation(bobId)).length;
    await expect(
      alice.core.startAttachment(bobId, {
        name: 'big.iso',
        contentType: 'application/x-iso9660-image',
        size: MAX_BYTES + 1,
      }),
    ).rejects.toMatchObject({ code: 'ATTACHMENT_TOO_LARGE', details: { maxBytes: MAX_BYTES } });
    // More bytes than announced are refused too.
    const id = await alice.core.startAttachment(bobId, {
      name: 'a.bin',
      contentType: 'application/octet-stream',
      size: 10,
    });
    await expect(alice.core.appendAttachment(id, randomBytes(11))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(alice.core.sendAttachment(id, '')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await alice.conversation(bobId)).length).toBe(before);
  });

  it('a cancelled upload fails the message; retrying sends it', { timeout: 30_000 }, async () => {
    const stop = alice.core.on('transfer', (u) => {
      if (u.direction === 'upload' && u.state === 'active') void alice.core.cancelTransfer(u.messageId);
    });
    const bytes = randomBytes(2 * 1024 * 1024);
    const sent = await sendFile(alice, bobId, bytes);
    await eventually(
      () => alice.events.status.some((s) => s.messageId === sent.id && s.status === 'failed'),
      10_000,
      'failed after cancel',
    );
    stop();
    expect(alice.events.transfer.filter((u) => u.messageId === sent.id).map((u) => u.state)).toContain('cancelled');

    await alice.core.retryMessage(sent.id);
    const message = await received(sent.id);
    await bob.core.downloadAttachment(message.id);
    expect(sha256(await readAll(bob.core.openAttachment(sent.id)?.data as Readable))).toBe(sha256(bytes));
  });

  it('an upload cut off by closing the app resumes at the next start', { timeout: 60_000 }, async () => {
    const carol = await registerCore(t.url, 'carol');
    const carolId = (await carol.core.session())?.user.id as string;
    let cut: Promise<void> | null = null;
    const stop = carol.core.on('transfer', (u) => {
      if (u.direction === 'upload' && u.state === 'active') cut ??= carol.core.close();
    });
    const bytes = randomBytes(3 * 1024 * 1024);
    const sent: LocalMessage = await sendFile(carol, bobId, bytes);
    await eventually(() => cut !== null, 5_000, 'upload started');
    await cut;
    stop();

    const again = await openCore(t.url, carol.dataDir);
    cores.push(again);
    expect(await again.core.restoreSession()).not.toBeNull();
    const message = await eventually(
      async () => (await bob.conversation(carolId)).find((m) => m.id === sent.id),
      20_000,
      'bob receives after the restart',
    );
    await bob.core.downloadAttachment(message.id);
    expect(sha256(await readAll(bob.core.openAttachment(sent.id)?.data as Readable))).toBe(sha256(bytes));
  });

  it('an upload left so long that the server forgot its announcement is announced again and sent', {
    timeout: 60_000,
  }, async () => {
    const dave = await registerCore(t.url, 'dave');
    const daveId = (await dave.core.session())?.user.id as string;
    let cut: Promise<void> | null = null;
    const stop = dave.core.on('transfer', (u) => {
      if (u.direction === 'upload' && u.state === 'active') cut ??= dave.core.close();
    });
    const bytes = randomBytes(1024 * 1024 + 7);
    const sent = await sendFile(dave, bobId, bytes);
    await eventually(() => cut !== null, 5_000, 'upload started');
    await cut;
    stop();
    // What the server's sweep does to an announcement never uploaded for a day.
    const forgotten = await t.db.query('DELETE FROM attachments WHERE id = $1 RETURNING id', [sent.attachment?.id]);
    expect(forgotten).toHaveLength(1);

    const again = await openCore(t.url, dave.dataDir);
    cores.push(again);
    await again.core.restoreSession();
    const message = await eventually(
      async () => (await bob.conversation(daveId)).find((m) => m.id === sent.id),
      20_000,
      'bob receives the re-announced file',
    );
    expect(message.attachment?.id).not.toBe(sent.attachment?.id);
    await bob.core.downloadAttachment(message.id);
    expect(sha256(await readAll(bob.core.openAttachment(sent.id)?.data as Readable))).toBe(sha256(bytes));
  });
});
