import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Accounts1764000000000 implements MigrationInterface {
  name = 'Accounts1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL CHECK (username = lower(username)),
        display_name text NOT NULL,
        display_name_key text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE UNIQUE INDEX users_username_key ON users (username)');
    // Search: prefix and infix matches on username and display name.
    await q.query('CREATE INDEX users_username_trgm ON users USING gin (username gin_trgm_ops)');
    await q.query('CREATE INDEX users_display_name_trgm ON users USING gin (display_name_key gin_trgm_ops)');

    await q.query(`
      CREATE TABLE devices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query('CREATE INDEX devices_user_id ON devices (user_id)');

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        rotated_at timestamptz
      )`);
    await q.query('CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)');
    await q.query('CREATE INDEX refresh_tokens_device_id ON refresh_tokens (device_id)');

    await q.query(`
      CREATE TABLE contacts (
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        contact_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner_id, contact_id),
        CHECK (owner_id <> contact_id)
      )`);
    await q.query('CREATE INDEX contacts_contact_id ON contacts (contact_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE contacts');
    await q.query('DROP TABLE refresh_tokens');
    await q.query('DROP TABLE devices');
    await q.query('DROP TABLE users');
  }
}
