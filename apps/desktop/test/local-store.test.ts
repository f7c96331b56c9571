import { randomBytes, randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ftsQuery, LocalStore, openDatabase } from '@parley/desktop';
import { type LocalMessage, UNTOUCHED } from '@parley/shared';
import { afterEach, describe, expect, it } from 'vitest';

/** The process's open files (SQLite unlinks its temporary files as it opens them: only this shows them). */
async function openFiles(): Promise<string[]> {
  return (await readdir('/proc/self/fd')).map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return ''; // closed meanwhile
    }
  });
}

describe('the encrypted local store', () => {
  it.runIf(process.platform === 'linux')(
    'keeps temporary data in memory: a sort larger than the cache opens no (unencrypted) temporary file',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'parley-temp-'));
      const db = openDatabase(join(dir, 'parley.db'), randomBytes(32));
      try {
        expect(db.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
        db.pragma('cache_size = -64'); // 64 KiB: the sort below cannot fit in the page cache
        db.exec('CREATE TABLE rows (text TEXT)');
        const insert = db.prepare('INSERT INTO rows VALUES (?)');
        db.transaction(() => {
          for (let i = 0; i < 30_000; i++) insert.run(`secret ${randomBytes(100).toString('hex')}`);
        })();
        const sorted = db.prepare('SELECT text FROM rows ORDER BY text').iterate();
        sorted.next(); // the sort has run, and its spill (if any) is open now
        const open = await openFiles();
        sorted.return?.();
        expect(open.some((path) => path.endsWith('parley.db'))).toBe(true);
        expect(open.filter((path) => path.includes('etilqs_'))).toEqual([]);
      } finally {
        db.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('the messages repository', () => {
  const stores: { store: LocalStore; dir: string }[] = [];
  afterEach(async () => {
    for (const { store, dir } of stores.splice(0)) {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  async function open(): Promise<LocalStore> {
    const dir = await mkdtemp(join(tmpdir(), 'parley-messages-'));
    const store = new LocalStore(openDatabase(join(dir, 'parley.db'), randomBytes(32)));
    stores.push({ store, dir });
    return store;
  }

  const incoming = (peerUserId: string, text: string, readAt: string | null = null): LocalMessage => ({
    id: randomUUID(),
    peerUserId,
    senderUserId: peerUserId,
    direction: 'in',
    text,
    attachment: null,
    attachmentReady: false,
    call: null,
    ...UNTOUCHED,
    status: 'delivered',
    sentAt: new Date().toISOString(),
    serverTimestamp: new Date().toISOString(),
    readAt,
  });

  it('pages history newest first by cursor, each page oldest first, ties in arrival order, nothing twice', async () => {
    const { messages } = await open();
    const peer = randomUUID();
    const t = Date.UTC(2026, 0, 1);
    // Two messages with the same server time: arrival order decides.
    const at = [t, t + 1, t + 1, t + 2, t + 3];
    const written = at.map((sortTs, i) => {
      const m = incoming(peer, `message ${i}`, new Date(sortTs).toISOString());
      messages.insert(m, sortTs);
      return m.text;
    });
    messages.insert(incoming(randomUUID(), 'another conversation'), t + 2);

    const pages: string[][] = [];
    let before: string | undefined;
    do {
      const page = messages.history(peer, before, 2);
      pages.push(page.messages.map((m) => m.text));
      before = page.before ?? undefined;
    } while (before);
    expect(pages).toEqual([['message 3', 'message 4'], ['message 1', 'message 2'], ['message 0']]);
    expect(pages.reverse().flat()).toEqual(written);
  });

  it('counts unread messages per conversation and in all, and marks read all or only some', async () => {
    const { messages } = await open();
    const [alice, bob] = [randomUUID(), randomUUID()];
    const fromAlice = [incoming(alice, 'a1'), incoming(alice, 'a2'), incoming(alice, 'a3')];
    for (const [i, m] of fromAlice.entries()) messages.insert(m, 1_000 + i);
    messages.insert(incoming(bob, 'b1'), 2_000);
    messages.insert(incoming(bob, 'b2 already read', new Date().toISOString()), 2_001);
    expect(messages.unreadCount(alice)).toBe(3);
    expect(messages.unreadTotal()).toBe(4);

    expect(messages.markRead(alice, [fromAlice[1]?.id as string])).toEqual([fromAlice[1]?.id]);
    expect(messages.conversation(alice)).toMatchObject({ unreadCount: 2, lastMessage: { text: 'a3' } });
    expect(messages.unreadTotal()).toBe(3);
    expect(messages.markRead(alice).sort()).toEqual([fromAlice[0]?.id, fromAlice[2]?.id].sort());
    expect(messages.markRead(alice)).toEqual([]);
    expect(messages.unreadTotal()).toBe(1);
    // Newest conversation first; a redelivered message changes nothing.
    expect(messages.insert(fromAlice[0] as LocalMessage, 1_000)).toBe(false);
    expect(messages.conversations().map((c) => [c.peer.id, c.unreadCount])).toEqual([
      [bob, 1],
      [alice, 0],
    ]);
  });

  it('searches every word as a prefix, in any script, ignoring punctuation', async () => {
    expect(ftsQuery('Привет, мир!')).toBe('"Привет"* "мир"*');
    expect(ftsQuery(' … ')).toBeNull();
    const { messages } = await open();
    const peer = randomUUID();
    messages.insert(incoming(peer, 'Встреча завтра в кафе'), 1);
    messages.insert(incoming(peer, 'Meeting tomorrow'), 2);
    expect(messages.search('встре', 10).map((h) => h.snippet)).toEqual(['[Встреча] завтра в кафе']);
    expect(messages.search('TOMORROW meet', 10).map((h) => h.message.text)).toEqual(['Meeting tomorrow']);
    expect(messages.search('"; DROP', 10)).toEqual([]);
  });
});
