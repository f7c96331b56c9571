import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionEnds1764300000000 implements MigrationInterface {
  name = 'SessionEnds1764300000000';

  async up(q: QueryRunner): Promise<void> {
    // A rotated refresh token may be exchanged once more shortly after (its answer was lost).
    await q.query('ALTER TABLE refresh_tokens ADD COLUMN grace_used_at timestamptz');
    // Who revoked a device: it erases its data only when the user did.
    await q.query("ALTER TABLE devices ADD COLUMN revoked_by text CHECK (revoked_by IN ('user', 'server'))");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE devices DROP COLUMN revoked_by');
    await q.query('ALTER TABLE refresh_tokens DROP COLUMN grace_used_at');
  }
}
