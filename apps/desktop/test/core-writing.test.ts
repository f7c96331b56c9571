import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LIMITS, utf8Bytes } from '@parley/shared';
import { loginCore, openCore, registerCore, type TestCore } from '@parley/test-support/cores';
import { withServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const t = withServer();

describe('long texts, search and drafts between cores, through a real server', () => {
  const cores: TestCore[] = [];
  let alice: TestCore;
  let alicePhone: TestCore;
  let bob: TestCore;
  let aliceId: string;
  let bobId: string;

  beforeAll(async () => {
    alice = await registerCore(t.url, 'alice');
    bob = await registerCore(t.url, 'bob');
    aliceId = (await alice.core.session())?.user.id as string;
    bobId = (await bob.core.session())?.user.id as string;
    alicePhone = await loginCore(t.url, (await alice.core.session())?.user.username as string);
    cores.push(alice, bob, alicePhone);
  });
  afterAll(async () => {
    for (const c of cores) await c.close();
  });

  it('a text longer than an envelope holds arrives whole on every device, is searchable, and no plaintext reaches the server', {
    timeout: 60_000,
  }, async () => {
    const marker = `marker${randomBytes(6).toString('hex')}`;
    // About 60 KB: past what an envelope carries inline, under the 64 KiB limit.
    const text = `${marker} ${'Съешь же ещё этих мягких французских булок. '.repeat(760)}финал`;
    expect(utf8Bytes(text)).toBeGreaterThan(LIMITS.inlineTextBytes);
    expect(utf8Bytes(text)).toBeLessThanOrEqual(LIMITS.messageTextBytes);
    const sent = await alice.core.sendText(bobId, text);
    expect(sent.text).toBe(text);

    for (const [c, peer] of [
      [bob, aliceId],
      [alicePhone, bobId],
    ] as const) {
      // First the beginning (with the pointer), then the rest, told as a change.
      const update = await eventually(
        async () => c.events.messagesChanged.flatMap((e) => e.changed).find((m) => m.id === sent.id),
        20_000,
        'the whole text',
      );
      expect(update.text === text).toBe(true);
      expect(update.textIncomplete).toBeUndefined();
      const first = c.events.message.find((m) => m.id === sent.id);
      expect(first?.textIncomplete).toBe('loading');
      expect(text.startsWith(first?.text ?? '-')).toBe(true);
      expect(utf8Bytes(first?.text ?? '')).toBeLessThanOrEqual(LIMITS.longTextPreviewBytes);
      const stored = (await c.conversation(peer)).find((m) => m.id === sent.id);
      expect(stored?.text === text && stored.textIncomplete === undefined).toBe(true);
      // The end of the text is in the search index, folded: "ФИНАЛ" and "ещё" as "еще".
      expect((await c.core.searchMessages('ФИНАЛ еще', 10, peer)).map((h) => h.message.id)).toEqual([sent.id]);
    }
    // The body's local copy is gone once the text is in the store; nothing on the server reads.
    expect((await readdir(join(bob.dataDir, 'attachments')).catch(() => [])).filter((n) => !n.startsWith('.'))).toEqual(
      [],
    );
    const rows = JSON.stringify(await t.db.query('SELECT * FROM attachments'));
    expect(rows).not.toContain(marker);
    const blobs = join(t.server.dataDir, 'attachments');
    for (const name of (await readdir(blobs)).filter((n) => !n.startsWith('.')))
      expect((await readFile(join(blobs, name))).includes(marker)).toBe(false);
  });

  it('refuses a text over 64 KiB rather than cutting it', async () => {
    const text = 'ы'.repeat(LIMITS.messageTextBytes / 2 + 1);
    await expect(alice.core.sendText(bobId, text)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await alice.conversation(bobId)).some((m) => m.text === text)).toBe(false);
  });

  it('search folds ё/е and diacritics, marks the words as written, and can keep to one chat', async () => {
    const ids = [
      (await alice.core.sendText(bobId, 'Под ёлкой — café crème')).id,
      (await alice.core.sendText(bobId, 'Елка без ё')).id,
    ];
    const hits = await alice.core.searchMessages('ЕЛК', 10, bobId);
    expect(hits.map((h) => h.message.id)).toEqual([ids[1], ids[0]]);
    expect(hits.map((h) => h.snippet)).toEqual(['[Елка] без ё', 'Под [ёлкой] — café crème']);
    expect((await alice.core.searchMessages('cafe creme', 10)).map((h) => h.snippet)).toEqual([
      'Под ёлкой — [café] [crème]',
    ]);
    // Й is a letter of its own: "мои" does not find "мой".
    await alice.core.sendText(bobId, 'мой дом');
    expect(await alice.core.searchMessages('мои', 10, bobId)).toEqual([]);
    // Another chat's messages stay out of a search in this one.
    expect(await alice.core.searchMessages('елка', 10, aliceId)).toEqual([]);
  });

  it('keeps drafts per chat in the encrypted store, across a restart', async () => {
    await bob.core.saveDraft(aliceId, 'Половина мысли');
    await bob.core.saveDraft(bobId, 'to myself');
    await bob.core.saveDraft(bobId, '');
    const dir = bob.dataDir;
    await bob.close();
    bob = await openCore(t.url, dir);
    cores.push(bob);
    await bob.core.restoreSession();
    expect(await bob.core.drafts()).toEqual({ [aliceId]: 'Половина мысли' });
    // Encrypted at rest: the draft is nowhere in the files.
    for (const name of await readdir(dir))
      if (name.startsWith('parley.db'))
        expect((await readFile(join(dir, name))).includes(Buffer.from('Половина'))).toBe(false);
  });
});
