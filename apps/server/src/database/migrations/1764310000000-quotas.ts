import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Quotas1764310000000 implements MigrationInterface {
  name = 'Quotas1764310000000';

  async up(q: QueryRunner): Promise<void> {
    // A send counts the caller's envelopes in each destination queue (its share of the queue).
    await q.query('CREATE INDEX envelopes_queue_sender ON envelopes (destination_device_id, sender_user_id)');
    // An announcement sums the owner's attachments (the quota).
    await q.query('CREATE INDEX attachments_owner ON attachments (owner_user_id)');
    // Devices revoked before revocation cleaned up after itself: what only a live device needs goes.
    await q.query(
      'DELETE FROM envelopes e USING devices d WHERE d.id = e.destination_device_id AND d.revoked_at IS NOT NULL',
    );
    await q.query(
      'DELETE FROM one_time_prekeys k USING devices d WHERE d.id = k.device_id AND d.revoked_at IS NOT NULL',
    );
    await q.query('DELETE FROM refresh_tokens t USING devices d WHERE d.id = t.device_id AND d.revoked_at IS NOT NULL');
    await q.query(`
      UPDATE devices SET signed_prekey_id = NULL, signed_prekey = NULL, signed_prekey_signature = NULL
      WHERE revoked_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX attachments_owner');
    await q.query('DROP INDEX envelopes_queue_sender');
  }
}
