// npm run bench:store — the local store at 100k messages over 200 conversations: insert rate,
// history pages and full-text search, encrypted (SQLCipher) against the same schema unencrypted.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, migrate, openDatabase } from '@parley/desktop';
import { type LocalMessage, UNTOUCHED } from '@parley/shared';
import Database from 'better-sqlite3-multiple-ciphers';
import { median, ms, now, table } from './stats.ts';

const MESSAGES = 100_000;
const CONVERSATIONS = 200;
const RUNS = 3;
const QUERIES = 200;
const WORDS = ['встреча', 'проект', 'hello', 'meeting', 'draft', 'фото', 'tomorrow', 'кофе', 'release', 'review'];
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-store-'));
const peers = Array.from({ length: CONVERSATIONS }, () => randomUUID());
const me = randomUUID();

function text(i: number): string {
  const words = Array.from({ length: 8 }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]);
  if (i % 1000 === 0) words.push(`needle${i}`);
  return `${words.join(' ')} #${i}`;
}

/** Conversation sizes follow a skew: conversation 0 is the biggest. */
const peerOf = (i: number) => peers[Math.floor(CONVERSATIONS * (i / MESSAGES) ** 2)] as string;

function measure(store: LocalStore) {
  const start = Date.UTC(2026, 0, 1);
  const t0 = now();
  store.transaction(() => {
    for (let i = 0; i < MESSAGES; i++) {
      const m: LocalMessage = {
        id: randomUUID(),
        peerUserId: peerOf(i),
        senderUserId: i % 2 ? me : peerOf(i),
        direction: i % 2 ? 'out' : 'in',
        text: text(i),
        status: 'read',
        sentAt: new Date(start + i * 1000).toISOString(),
        serverTimestamp: new Date(start + i * 1000).toISOString(),
        readAt: null,
        attachment: null,
        attachmentReady: false,
        call: null,
        ...UNTOUCHED,
      };
      store.messages.insert(m, start + i * 1000);
    }
  });
  const insertRate = MESSAGES / ((now() - t0) / 1000);
  const biggest = peers[0] as string;
  const newest: number[] = [];
  const older: number[] = [];
  let before = store.messages.history(biggest, undefined, 50).before ?? undefined;
  for (let q = 0; q < QUERIES; q++) {
    let t = now();
    store.messages.history(peers[q % CONVERSATIONS] as string, undefined, 50);
    newest.push(now() - t);
    t = now();
    const page = store.messages.history(biggest, before, 50);
    older.push(now() - t);
    before = page.before ?? undefined;
  }
  const common: number[] = [];
  const rare: number[] = [];
  for (let q = 0; q < QUERIES / 4; q++) {
    let t = now();
    store.messages.search(WORDS[q % WORDS.length] as string, 50);
    common.push(now() - t);
    t = now();
    store.messages.search(`needle${(q * 1000) % MESSAGES}`, 50);
    rare.push(now() - t);
  }
  const list: number[] = [];
  for (let q = 0; q < 20; q++) {
    const t = now();
    store.messages.conversations();
    list.push(now() - t);
  }
  return {
    insertRate,
    newest: median(newest),
    older: median(older),
    common: median(common),
    rare: median(rare),
    list: median(list),
  };
}

type Result = ReturnType<typeof measure>;
const runs: { encrypted: Result; plain: Result }[] = [];
for (let run = 0; run < RUNS; run++) {
  const encrypted = new LocalStore(openDatabase(join(dir, `enc-${run}.db`), randomBytes(32)));
  const plainDb = new Database(join(dir, `plain-${run}.db`));
  plainDb.pragma('journal_mode = WAL');
  plainDb.pragma('synchronous = NORMAL');
  migrate(plainDb);
  const plain = new LocalStore(plainDb);
  runs.push({ encrypted: measure(encrypted), plain: measure(plain) });
  encrypted.close();
  plainDb.close();
}
const m = (k: keyof Result, which: 'encrypted' | 'plain') => median(runs.map((r) => r[which][k]));
const ratio = (k: keyof Result) => `${(m(k, 'encrypted') / m(k, 'plain')).toFixed(2)}× unencrypted`;
console.log(
  `Local store, ${MESSAGES.toLocaleString('en')} messages in ${CONVERSATIONS} conversations, median of ${RUNS} runs`,
);
table([
  [
    'insert rate (one transaction, with FTS)',
    `${Math.round(m('insertRate', 'encrypted')).toLocaleString('en')}/s`,
    ratio('insertRate'),
  ],
  ['  unencrypted', `${Math.round(m('insertRate', 'plain')).toLocaleString('en')}/s`],
  ['history: newest page of 50', ms(m('newest', 'encrypted')), ratio('newest')],
  ['history: older page of 50 (biggest conversation)', ms(m('older', 'encrypted')), ratio('older')],
  ['conversation list (200)', ms(m('list', 'encrypted')), ratio('list')],
  ['search: common word (top 50)', ms(m('common', 'encrypted')), ratio('common')],
  ['search: rare word', ms(m('rare', 'encrypted')), ratio('rare')],
]);
rmSync(dir, { recursive: true, force: true });
