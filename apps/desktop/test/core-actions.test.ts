import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { LocalMessage } from '@parley/shared';
import { readAll, sha256 } from '@parley/test-support/bytes';
import { loginCore, openCore, registerCore, type TestCore } from '@parley/test-support/cores';
import { withServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Message actions between real cores through a real server: Alice on two devices, Bob, Carol.
 * Every action reaches both sides and Alice's other device, and stays after a restart.
 */
const t = withServer();
const cores: TestCore[] = [];
afterAll(async () => {
  for (const c of cores) await c.close();
});

const idOf = async (c: TestCore) => (await c.core.session())?.user.id as string;
const find = async (c: TestCore, peer: string, id: string) =>
  (await c.conversation(peer)).find((m) => m.id === id) as LocalMessage | undefined;
/** Waits until every device shows the message as `check` wants it. */
async function everywhere(
  devices: [TestCore, string][],
  id: string,
  check: (m: LocalMessage | undefined) => boolean,
  what: string,
) {
  for (const [c, peer] of devices)
    await eventually(async () => check(await find(c, peer, id)), 15_000, `${what} on every device`);
}

describe('message actions between cores', () => {
  it('reply, edit, react, delete for everyone and for me, forward a file without uploading it again; after a restart too', {
    timeout: 180_000,
  }, async () => {
    const alice = await registerCore(t.server.baseUrl, 'alice');
    const bob = await registerCore(t.server.baseUrl, 'bob');
    const carol = await registerCore(t.server.baseUrl, 'carol');
    cores.push(alice, bob, carol);
    const aliceName = (await alice.core.session())?.user.username as string;
    let alice2 = await loginCore(t.server.baseUrl, aliceName);
    cores.push(alice2);
    const [aliceId, bobId, carolId] = [await idOf(alice), await idOf(bob), await idOf(carol)];
    const devices = (): [TestCore, string][] => [
      [alice, bobId],
      [alice2, bobId],
      [bob, aliceId],
    ];

    const question = await alice.core.sendText(bobId, 'Lunch at noon?');
    await everywhere(devices(), question.id, (m) => m !== undefined, 'the question');

    // Bob replies with a quote; Alice's devices show it.
    const reply = await bob.core.sendText(aliceId, 'Yes!', question.id);
    expect(reply.quote).toEqual({ id: question.id, author: aliceId, text: 'Lunch at noon?' });
    await everywhere(devices(), reply.id, (m) => m?.quote?.id === question.id, 'the reply');

    // Alice edits; search finds the new text only; the earlier version is kept.
    await alice.core.editMessage(question.id, 'Lunch at one?');
    await everywhere(devices(), question.id, (m) => m?.text === 'Lunch at one?' && m.editCount === 1, 'the edit');
    for (const [c] of devices()) {
      expect((await c.core.searchMessages('one')).map((h) => h.message.id)).toContain(question.id);
      expect((await c.core.searchMessages('noon')).map((h) => h.message.id)).not.toContain(question.id);
      expect((await c.core.editHistory(question.id)).map((v) => v.text)).toEqual(['Lunch at noon?']);
    }
    // Only the author edits.
    await expect(bob.core.editMessage(question.id, 'Lunch never')).rejects.toMatchObject({ code: 'FORBIDDEN' });

    // Reactions: Bob reacts, changes it, Alice's second device reacts too.
    await bob.core.react(question.id, '👍');
    await bob.core.react(question.id, '❤️');
    await alice2.core.react(question.id, '😂');
    const reactions = (m?: LocalMessage) =>
      JSON.stringify([...(m?.reactions ?? [])].sort((a, b) => a.userId.localeCompare(b.userId)));
    const expected = JSON.stringify(
      [
        { userId: bobId, emoji: '❤️' },
        { userId: aliceId, emoji: '😂' },
      ].sort((a, b) => a.userId.localeCompare(b.userId)),
    );
    await everywhere(devices(), question.id, (m) => reactions(m) === expected, 'the reactions');
    await bob.core.react(question.id, null);
    await everywhere(devices(), question.id, (m) => m?.reactions.length === 1, 'the removed reaction');

    // Delete for everyone: a tombstone on every device, gone from search.
    const oops = await alice.core.sendText(bobId, 'The safe code is 4711');
    await everywhere(devices(), oops.id, (m) => m !== undefined, 'the slip');
    await alice.core.deleteMessages([oops.id], true);
    await everywhere(devices(), oops.id, (m) => m?.deleted === true && m.text === '', 'the tombstone');
    for (const [c] of devices()) expect(await c.core.searchMessages('4711')).toEqual([]);
    expect(bob.events.messagesChanged.some((e) => e.changed.some((m) => m.id === oops.id && m.deleted))).toBe(true);

    // Delete for me (on Alice's devices): gone from both of hers, still at Bob's.
    await alice2.core.deleteMessages([reply.id], false);
    for (const c of [alice, alice2])
      await eventually(async () => (await find(c, bobId, reply.id)) === undefined, 15_000, 'deleted for me');
    expect((await find(bob, aliceId, reply.id))?.text).toBe('Yes!');

    // Forward Bob's file from Alice to Carol: Carol can fetch the very blob; Alice uploads nothing.
    const bytes = randomBytes(200_000);
    const fileId = await bob.core.startAttachment(aliceId, {
      name: 'plan.bin',
      contentType: 'application/octet-stream',
      size: bytes.length,
    });
    await bob.core.appendAttachment(fileId, bytes);
    const file = await bob.core.sendAttachment(fileId, 'the plan');
    await eventually(async () => (await find(alice, bobId, file.id)) !== undefined, 15_000, 'the file');
    await alice.core.downloadAttachment(file.id);
    const [forwarded] = await alice.core.forwardMessages([file.id], carolId);
    expect(forwarded).toMatchObject({ forwarded: true, text: 'the plan', attachment: { id: file.attachment?.id } });
    await eventually(
      async () => (await find(carol, aliceId, forwarded?.id as string))?.forwarded === true,
      15_000,
      'Carol gets the forward',
    );
    await carol.core.downloadAttachment(forwarded?.id as string);
    const opened = carol.core.openAttachment(forwarded?.id as string);
    expect(sha256(await readAll(opened?.data as Readable))).toBe(sha256(bytes));
    expect(alice.events.transfer.filter((e) => e.direction === 'upload')).toEqual([]);

    // Deleting the original for me keeps the local copy the forwarded message still uses.
    await alice.core.deleteMessages([file.id], false);
    expect(await readdir(join(alice.dataDir, 'attachments'))).toContain(file.attachment?.id);

    // After a restart, Alice's second device shows it all as before.
    await alice2.close();
    alice2 = await openCore(t.server.baseUrl, alice2.dataDir);
    cores.push(alice2);
    await alice2.core.restoreSession();
    const after = await alice2.conversation(bobId);
    expect(after.find((m) => m.id === question.id)).toMatchObject({
      text: 'Lunch at one?',
      editCount: 1,
      reactions: [{ userId: aliceId, emoji: '😂' }],
    });
    expect(after.find((m) => m.id === oops.id)).toMatchObject({ deleted: true, text: '' });
    expect(after.find((m) => m.id === reply.id)).toBeUndefined();
  });
});
