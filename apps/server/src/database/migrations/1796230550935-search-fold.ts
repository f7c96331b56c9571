import { searchFold } from '@parley/shared';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rows rewritten per statement. */
const BATCH = 1000;

export class SearchFold1796230550935 implements MigrationInterface {
  name = 'SearchFold1796230550935';

  async up(q: QueryRunner): Promise<void> {
    // The display name's search key becomes its folded form (case, diacritics, ё/е: `searchFold`),
    // computed here as the server computes it for new names.
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows: { id: string; display_name: string }[] = await q.query(
        'SELECT id, display_name FROM users WHERE id > $1 ORDER BY id LIMIT $2',
        [after, BATCH],
      );
      if (rows.length === 0) return;
      await q.query(
        'UPDATE users SET display_name_key = k.key FROM unnest($1::uuid[], $2::text[]) AS k(id, key) WHERE users.id = k.id',
        [rows.map((r) => r.id), rows.map((r) => searchFold(r.display_name))],
      );
      after = rows[rows.length - 1]?.id ?? after;
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('UPDATE users SET display_name_key = lower(display_name)');
  }
}
