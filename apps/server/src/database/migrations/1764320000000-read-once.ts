import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReadOnce1764320000000 implements MigrationInterface {
  name = 'ReadOnce1764320000000';

  async up(q: QueryRunner): Promise<void> {
    // When the recipient first read the message: a repeated read receipt writes and pushes nothing.
    await q.query('ALTER TABLE sends ADD COLUMN read_at timestamptz');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE sends DROP COLUMN read_at');
  }
}
