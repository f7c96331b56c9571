import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, type Messaging, Outbox, type OutboxTransport, openDatabase } from '@parley/desktop';
import type { LocalMessage } from '@parley/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../tests/support/socket.js';

/**
 * The outbox against a real (encrypted) local store, with the network replaced: a narrow unit
 * test of how a message with an attachment waits for its upload. The whole path runs against a
 * real server in core-attachments.test.ts.
 */
describe('the outbox with an attachment to upload', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('sends the message only after the upload, and does not spin on it meanwhile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-outbox-'));
    dirs.push(dir);
    const store = new LocalStore(openDatabase(join(dir, 'parley.db'), randomBytes(32)));
    const message: LocalMessage = {
      id: randomUUID(),
      peerUserId: randomUUID(),
      senderUserId: randomUUID(),
      direction: 'out',
      text: '',
      attachment: {
        id: randomUUID(),
        key: randomBytes(32).toString('base64'),
        digest: randomBytes(32).toString('base64'),
        size: 10,
        name: 'a.bin',
        contentType: 'application/octet-stream',
      },
      attachmentReady: true,
      call: null,
      status: 'pending',
      sentAt: new Date().toISOString(),
      serverTimestamp: null,
      readAt: null,
    };
    store.insertMessage(message, Date.now());
    store.enqueue('message', message.peerUserId, message.id, {});

    let uploads = 0;
    let finishUpload = () => {};
    const sent: string[] = [];
    const transport = {
      upload: () => {
        uploads++;
        return new Promise<void>((resolve) => {
          finishUpload = resolve;
        });
      },
    } as unknown as OutboxTransport;
    const messaging = {
      deliver: async (m: LocalMessage) => {
        sent.push(m.id);
        return { messageId: m.id, serverTimestamp: new Date().toISOString(), duplicate: false };
      },
    } as unknown as Messaging;
    const outbox = new Outbox(store, messaging, transport, () => {});
    outbox.kick();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(uploads).toBe(1);
    expect(sent).toEqual([]);
    // While the upload runs the job is not due, so the queue is not run again and again for it.
    expect(store.dueJobs(Date.now())).toEqual([]);

    finishUpload();
    await eventually(() => sent.length === 1, 5_000, 'sent after the upload');
    expect(sent).toEqual([message.id]);
    await eventually(() => store.message(message.id)?.status === 'sent', 5_000, 'status sent');
    expect(uploads).toBe(1);
    await outbox.stop();
    store.db.close();
  });
});
