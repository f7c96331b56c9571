import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Attachments1764200000000 implements MigrationInterface {
  name = 'Attachments1764200000000';

  async up(q: QueryRunner): Promise<void> {
    // An encrypted file in the blob store: who uploaded it, who else may fetch it, its ciphertext
    // size; uploaded_at is set only once the whole ciphertext is stored, so nothing partial is served.
    await q.query(`
      CREATE TABLE attachments (
        id uuid PRIMARY KEY,
        owner_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        recipient_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        size bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        uploaded_at timestamptz
      )`);
    await q.query('CREATE INDEX attachments_created_at ON attachments (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE attachments');
  }
}
