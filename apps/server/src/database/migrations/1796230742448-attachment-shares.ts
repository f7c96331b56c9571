import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AttachmentShares1796230742448 implements MigrationInterface {
  name = 'AttachmentShares1796230742448';

  async up(q: QueryRunner): Promise<void> {
    // Who else may fetch an attachment: a forwarded file is shared with its new recipient by
    // someone who may fetch it, rather than uploaded again. Goes with the attachment.
    await q.query(`
      CREATE TABLE attachment_shares (
        attachment_id uuid NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (attachment_id, user_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE attachment_shares');
  }
}
