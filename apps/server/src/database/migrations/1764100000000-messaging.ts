import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Messaging1764100000000 implements MigrationInterface {
  name = 'Messaging1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE users ADD COLUMN last_seen_at timestamptz');

    // A device's public Signal keys; null until the device uploads them (it cannot receive before).
    await q.query(`
      ALTER TABLE devices
        ADD COLUMN registration_id integer,
        ADD COLUMN identity_key bytea,
        ADD COLUMN signed_prekey_id integer,
        ADD COLUMN signed_prekey bytea,
        ADD COLUMN signed_prekey_signature bytea`);
    await q.query(`
      CREATE TABLE one_time_prekeys (
        device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        key_id integer NOT NULL,
        public_key bytea NOT NULL,
        PRIMARY KEY (device_id, key_id)
      )`);

    // One row per accepted send: makes resending a message id idempotent, and tells whom a
    // message went to (read receipts may only come from its recipient).
    await q.query(`
      CREATE TABLE sends (
        sender_device_id uuid NOT NULL,
        message_id uuid NOT NULL,
        sender_user_id uuid NOT NULL,
        recipient_user_id uuid NOT NULL,
        server_timestamp timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sender_device_id, message_id)
      )`);
    await q.query('CREATE INDEX sends_message_id ON sends (message_id)');
    await q.query('CREATE INDEX sends_server_timestamp ON sends (server_timestamp)');

    // Per-device queues: deleted only when the destination device acks.
    await q.query(`
      CREATE TABLE envelopes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigserial NOT NULL,
        destination_device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        destination_user_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('message', 'delivered', 'read')),
        message_id uuid NOT NULL,
        sender_user_id uuid NOT NULL,
        sender_device_id uuid NOT NULL,
        type text CHECK (type IN ('prekey', 'whisper')),
        content bytea,
        server_timestamp timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'message') = (content IS NOT NULL AND type IS NOT NULL))
      )`);
    await q.query('CREATE INDEX envelopes_queue ON envelopes (destination_device_id, seq)');
    // A receipt is queued once per device, however many devices of the recipient ack.
    await q.query(`
      CREATE UNIQUE INDEX envelopes_receipt_once ON envelopes (destination_device_id, kind, message_id, sender_user_id)
      WHERE kind <> 'message'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE envelopes');
    await q.query('DROP TABLE sends');
    await q.query('DROP TABLE one_time_prekeys');
    await q.query(`
      ALTER TABLE devices
        DROP COLUMN registration_id, DROP COLUMN identity_key, DROP COLUMN signed_prekey_id,
        DROP COLUMN signed_prekey, DROP COLUMN signed_prekey_signature`);
    await q.query('ALTER TABLE users DROP COLUMN last_seen_at');
  }
}
