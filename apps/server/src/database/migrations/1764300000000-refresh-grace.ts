import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RefreshGrace1764300000000 implements MigrationInterface {
  name = 'RefreshGrace1764300000000';

  async up(q: QueryRunner): Promise<void> {
    // A rotated refresh token may be exchanged once more shortly after (its answer was lost).
    await q.query('ALTER TABLE refresh_tokens ADD COLUMN grace_used_at timestamptz');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE refresh_tokens DROP COLUMN grace_used_at');
  }
}
