import { call, expectError, register, uniqueName } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { userSearchSql } from '../dist/users/user-search.js';

const t = withServer();

const search = (token: string, query: Record<string, string | number>) =>
  call(
    t.url,
    'GET',
    `/users/search?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`,
    {
      token,
    },
  );

describe('profile', () => {
  it('changes my display name', async () => {
    const alice = await register(t.url);
    const res = await call(t.url, 'PATCH', '/users/me', {
      token: alice.accessToken,
      body: { displayName: ' Алиса Ёлкина ' },
    });
    expect(res.status).toBe(200);
    expect(res.body.displayName).toBe('Алиса Ёлкина');
    expect((await call(t.url, 'GET', '/users/me', { token: alice.accessToken })).body.displayName).toBe('Алиса Ёлкина');
  });
});

describe('user search', () => {
  // One tag per run keeps this file's users apart from those of other tests.
  const tag = `q${Date.now().toString(36).slice(-5)}`;
  let caller: Awaited<ReturnType<typeof register>>;

  beforeAll(async () => {
    caller = await register(t.url, `${tag}_caller`, `${tag} Caller`);
    await register(t.url, `zz_${tag}_infix`, 'Infix Match');
    await register(t.url, `${tag}_bob`, 'Bob');
    await register(t.url, `x_${uniqueName('n')}`, `Павел ${tag.toUpperCase()}ов`); // word prefix of the display name
    await register(t.url, `${tag}_anna`, 'Anna');
    await register(t.url, `y_${uniqueName('n')}`, `${tag.toUpperCase()}ИНА`); // display name prefix, other case
  });

  it('matches username or display name case-insensitively, prefix matches first, never the caller', async () => {
    const res = await search(caller.accessToken, { q: tag.toUpperCase() });
    expect(res.status).toBe(200);
    const names = res.body.items.map((u: { username: string }) => u.username);
    expect(names).toHaveLength(5);
    expect(names).not.toContain(caller.user.username);
    // Prefix matches (ordered by username), then the infix match.
    expect(names.at(-1)).toBe(`zz_${tag}_infix`);
    expect(names.slice(0, 4)).toEqual([...names.slice(0, 4)].sort());
  });

  it('finds Cyrillic display names whatever the case', async () => {
    const res = await search(caller.accessToken, { q: `${tag}ина` });
    expect(res.body.items.map((u: { displayName: string }) => u.displayName)).toEqual([`${tag.toUpperCase()}ИНА`]);
  });

  it('pages with a cursor: every match once, in order, then a null cursor', async () => {
    const all = (await search(caller.accessToken, { q: tag, limit: 50 })).body.items;
    const paged: unknown[] = [];
    let cursor: string | null | undefined;
    do {
      const res = await search(caller.accessToken, { q: tag, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      paged.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
  });

  it('folds ё/е and diacritics both ways, keeps й apart from и, and finds "@username"', async () => {
    const yo = await register(t.url, `${tag}_yo`, `Фёдор Ёлкин ${tag}`);
    const cafe = await register(t.url, `${tag}_cafe`, `Zoë Café ${tag}`);
    const names = async (q: string) =>
      (await search(caller.accessToken, { q })).body.items.map((u: { username: string }) => u.username);
    expect(await names(`елкин ${tag}`)).toEqual([yo.user.username]);
    expect(await names('ФЕДОР ЕЛК')).toContain(yo.user.username);
    expect(await names('Фёдор Ёлк')).toContain(yo.user.username);
    expect(await names('zoe cafe')).toContain(cafe.user.username);
    expect(await names('ZOË CAFÉ')).toContain(cafe.user.username);
    expect(await names(`@${tag}_yo`)).toEqual([yo.user.username]);
    expect(await names(`@${tag.toUpperCase()}_CAFE`)).toEqual([cafe.user.username]);
    // A renamed user is found by the new name, folded the same way.
    await call(t.url, 'PATCH', '/users/me', { token: yo.accessToken, body: { displayName: `Алёна Йогурт ${tag}` } });
    expect(await names(`алена йог`)).toEqual([yo.user.username]);
    expect(await names(`алена иог`)).toEqual([]);
    // Someone's address book filters the same way.
    await call(t.url, 'POST', '/contacts', { token: caller.accessToken, body: { userId: cafe.user.id } });
    const book = await call(t.url, 'GET', `/contacts?q=${encodeURIComponent('zoe')}`, { token: caller.accessToken });
    expect(book.body.items.map((c: { username: string }) => c.username)).toEqual([cafe.user.username]);
  });

  it('treats LIKE wildcards in the query literally', async () => {
    const res = await search(caller.accessToken, { q: '%' });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
  });

  it('rejects a bad query, limit or cursor with 400', async () => {
    expectError(await search(caller.accessToken, { q: '' }), 400, 'VALIDATION_FAILED');
    expectError(await search(caller.accessToken, { q: 'x'.repeat(65) }), 400, 'VALIDATION_FAILED');
    expectError(await search(caller.accessToken, { q: 'a', limit: 0 }), 400, 'VALIDATION_FAILED');
    expectError(await search(caller.accessToken, { q: 'a', limit: 51 }), 400, 'VALIDATION_FAILED');
    expectError(await search(caller.accessToken, { q: 'a', limit: 'ten' }), 400, 'VALIDATION_FAILED');
    expectError(await search(caller.accessToken, { q: 'a', cursor: 'not-a-cursor' }), 400, 'VALIDATION_FAILED');
  });

  // Loading and vacuuming 100k rows takes a while on a busy machine.
  it('is served by the trigram indexes, not a sequential scan, at 100k users', { timeout: 120_000 }, async () => {
    // Varied names, as in a real directory: a username and a two-word display name per user.
    await t.db.query(`
      INSERT INTO users (username, display_name, display_name_key, password_hash)
      SELECT substr(md5('u' || i), 1, 8) || '.' || i, n, lower(n), 'x'
      FROM generate_series(1, 100000) AS i,
        LATERAL (SELECT initcap(substr(md5('f' || i), 1, 7)) || ' ' || initcap(substr(md5('l' || i), 1, 9)) AS n) AS names`);
    // As autovacuum leaves a real directory: statistics current and the trigram indexes' pending lists merged.
    await t.db.query('VACUUM ANALYZE users');
    const [sample] = await t.db.query("SELECT username, display_name_key FROM users WHERE username LIKE '%.4242'");
    for (const q of [sample?.username, sample?.username.slice(0, 5), sample?.display_name_key.slice(2, 8), tag]) {
      const { text, params } = userSearchSql(caller.user.id, { q, limit: 20 });
      const plan = (await t.db.query(`EXPLAIN ${text}`, params)).map((r) => r['QUERY PLAN']).join('\n');
      expect(plan, plan).not.toMatch(/Seq Scan on users/);
      expect(plan).toMatch(/users_(username|display_name)_trgm/);
    }
    const res = await search(caller.accessToken, { q: sample?.username.toUpperCase() });
    expect(res.body.items.map((u: { username: string }) => u.username)).toEqual([sample?.username]);
  });
});
