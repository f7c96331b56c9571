import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Operations1796230269084 implements MigrationInterface {
  name = 'Operations1796230269084';

  async up(q: QueryRunner): Promise<void> {
    // Set by the admin (`parley-admin disable`): the account cannot sign in, refresh or connect.
    await q.query('ALTER TABLE users ADD COLUMN disabled_at timestamptz');
    // Invite codes for REGISTRATION=invite: only the SHA-256 of a code is kept. A sign-up takes
    // one use in its own transaction (`uses < max_uses` under the row lock), so a code is never
    // used more often than it allows, however many sign-ups race for it.
    await q.query(`
      CREATE TABLE invites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code_hash bytea NOT NULL UNIQUE,
        max_uses integer NOT NULL CHECK (max_uses > 0),
        uses integer NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE invites');
    await q.query('ALTER TABLE users DROP COLUMN disabled_at');
  }
}
