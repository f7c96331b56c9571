import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RevokedToken1764330000000 implements MigrationInterface {
  name = 'RevokedToken1764330000000';

  async up(q: QueryRunner): Promise<void> {
    // The hash of the refresh token a device held when it was revoked: a device that was offline
    // then learns, when it comes back, who ended its session (and so whether to erase its data).
    await q.query('ALTER TABLE devices ADD COLUMN revoked_token_hash bytea');
    await q.query(
      'CREATE UNIQUE INDEX devices_revoked_token_hash ON devices (revoked_token_hash) WHERE revoked_token_hash IS NOT NULL',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE devices DROP COLUMN revoked_token_hash');
  }
}
