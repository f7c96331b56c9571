import { searchFold, type UserSearchQuery } from '@parley/shared';
import type { z } from 'zod';
import { AppError } from '../http/app-error.js';

type Query = z.output<typeof UserSearchQuery>;

/** Position after the last row of a page: its rank (0 = prefix match) and username. */
type Cursor = [rank: 0 | 1, username: string];

export const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(raw: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      (value[0] === 0 || value[0] === 1) &&
      typeof value[1] === 'string'
    ) {
      return value as Cursor;
    }
  } catch {}
  throw new AppError('VALIDATION_FAILED', 'The cursor is not valid', {
    issues: [{ path: 'cursor', code: 'invalid_format', message: 'Not a cursor this server handed out' }],
  });
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * A query as the keys are stored: folded (case, diacritics, ё/е: `searchFold`), and "@name" as
 * "name", the way people write a username.
 */
export const searchPattern = (q: string): string => escapeLike(searchFold(q).replace(/^@(?=.)/, ''));

/**
 * Case- and diacritic-insensitive match on username or display name (`display_name_key` is the
 * folded display name), prefix matches (of the username, the
 * display name or a word of it) first, then by username. Served by the trigram indexes.
 */
export function userSearchSql(callerId: string, query: Query): { text: string; params: unknown[] } {
  const q = searchPattern(query.q);
  const params: unknown[] = [callerId, `%${q}%`, `${q}%`, `% ${q}%`];
  let after = '';
  if (query.cursor) {
    const [rank, username] = decodeCursor(query.cursor);
    params.push(rank, username);
    after = 'WHERE (rank, username) > ($5::int, $6::text)';
  }
  params.push(query.limit + 1);
  const text = `
    SELECT id, username, display_name, rank FROM (
      SELECT id, username, display_name,
        CASE WHEN username LIKE $3 OR display_name_key LIKE $3 OR display_name_key LIKE $4 THEN 0 ELSE 1 END AS rank
      FROM users
      WHERE (username LIKE $2 OR display_name_key LIKE $2) AND id <> $1
    ) matches
    ${after}
    ORDER BY rank, username
    LIMIT $${params.length}`;
  return { text, params };
}
