import { Injectable } from '@nestjs/common';
import type { Envelope, SendMessageRequest } from '@parley/shared';
import { DataSource } from 'typeorm';
import { preparedQuery } from '../database/prepared.js';
import { receivingDevice } from '../devices/devices.repository.js';
import type { Caller } from '../http/route.js';

/** A destination device of a send, with what the queue limits need. */
export interface DestinationDevice {
  id: string;
  userId: string;
  registrationId: number;
  /** Envelopes waiting for the device: all of them, and the caller's. */
  queued: number | string;
  queuedFromCaller: number | string;
  /** Whether the device's owner has the caller as a contact (or is the caller). */
  knowsCaller: boolean;
}

/** Everything a send's checks need, read in one query. */
export interface SendState {
  /** When a send with this id was accepted before. */
  previous: Date | null;
  recipient_exists: boolean;
  devices: DestinationDevice[];
}

/** A send to store: the caller, the request and the owner of each destination device. */
export interface SendWrite {
  caller: Caller;
  input: SendMessageRequest;
  owners: Map<string, string>;
}

/** One row per stored envelope (its id and device), or one without for a send that had none. */
export interface StoredSend {
  accepted_device: string;
  accepted_message: string;
  accepted_at: Date;
  envelope_id: string | null;
  envelope_seq: string | null;
  destination_device_id: string | null;
}

/** An envelope in a device's queue, with its place in it. */
export interface Queued {
  /** Order of queueing (a read of the queue gives the lowest first). */
  seq: number;
  envelope: Envelope;
}

/** An envelope just queued, with its destination: handed to the device's delivery if it is idle. */
export interface QueuedEnvelope extends Queued {
  destinationDeviceId: string;
}

interface EnvelopeRow {
  destination_device_id: string;
  seq: string;
  id: string;
  kind: Envelope['kind'];
  message_id: string;
  sender_user_id: string;
  sender_device_id: string;
  type: Envelope['type'];
  content: Buffer | null;
  server_timestamp: Date;
}

const ENVELOPE_COLUMNS =
  'destination_device_id, seq, id, kind, message_id, sender_user_id, sender_device_id, type, content, server_timestamp';

const toEnvelope = (r: EnvelopeRow): Envelope => ({
  id: r.id,
  kind: r.kind,
  messageId: r.message_id,
  senderUserId: r.sender_user_id,
  senderDeviceId: r.sender_device_id,
  type: r.type,
  content: r.content ? r.content.toString('base64') : null,
  serverTimestamp: r.server_timestamp.toISOString(),
});

const toQueued = (r: EnvelopeRow): QueuedEnvelope => ({
  destinationDeviceId: r.destination_device_id,
  seq: Number(r.seq),
  envelope: toEnvelope(r),
});

/**
 * The `sends` and `envelopes` tables. Every write is one statement, so atomic without a
 * transaction: a send with all its envelopes, an ack with the receipts it causes, a read mark
 * with its receipts.
 */
@Injectable()
export class MessagesRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * For each send (in order): a previous send with its id, whether the recipient exists, and its
   * destination devices (the receiving devices of recipient and caller but the caller's own) with
   * their queue lengths. One statement for all the sends of a turn.
   */
  async sendStates(sends: readonly { caller: Caller; input: SendMessageRequest }[]): Promise<SendState[]> {
    const states = await preparedQuery<SendState & { i: number }>(
      this.db,
      'send-states',
      `SELECT s.i,
         (SELECT server_timestamp FROM sends p WHERE p.sender_device_id = s.device_id AND p.message_id = s.message_id) AS previous,
         EXISTS (SELECT 1 FROM users WHERE id = s.recipient_id) AS recipient_exists,
         COALESCE((
           SELECT json_agg(json_build_object('id', d.id, 'userId', d.user_id, 'registrationId', d.registration_id,
             'queued', (SELECT count(*) FROM envelopes e WHERE e.destination_device_id = d.id),
             'queuedFromCaller', (SELECT count(*) FROM envelopes e WHERE e.destination_device_id = d.id AND e.sender_user_id = s.user_id),
             'knowsCaller', d.user_id = s.user_id OR EXISTS (SELECT 1 FROM contacts c WHERE c.owner_id = d.user_id AND c.contact_id = s.user_id)))
           FROM devices d
           WHERE d.user_id IN (s.recipient_id, s.user_id) AND ${receivingDevice('d')} AND d.id <> s.device_id
         ), '[]') AS devices
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[]) WITH ORDINALITY AS s(device_id, message_id, recipient_id, user_id, i)`,
      [
        sends.map((w) => w.caller.deviceId),
        sends.map((w) => w.input.messageId),
        sends.map((w) => w.input.recipientUserId),
        sends.map((w) => w.caller.userId),
      ],
    );
    const byIndex = new Map(states.map((state) => [Number(state.i), state]));
    return sends.map((_, i) => {
      const state = byIndex.get(i + 1);
      if (!state) throw new Error('no answer from the database');
      return state;
    });
  }

  /** When this device's send of this message id was accepted, if it was. */
  async previousSend(senderDeviceId: string, messageId: string): Promise<Date | undefined> {
    const [row]: { server_timestamp: Date }[] = await this.db.query(
      'SELECT server_timestamp FROM sends WHERE sender_device_id = $1 AND message_id = $2',
      [senderDeviceId, messageId],
    );
    return row?.server_timestamp;
  }

  /**
   * Stores sends (distinct ids) and their envelopes in one statement; an id already taken stores
   * nothing. `contents` are the envelopes' ciphertexts, decoded, in the order of the sends' envelopes.
   */
  insertSends(sends: readonly SendWrite[], contents: readonly Buffer[]): Promise<StoredSend[]> {
    const envelopes = sends.flatMap((w) => w.input.envelopes.map((e) => ({ w, e })));
    return preparedQuery<StoredSend>(
      this.db,
      'insert-sends',
      `WITH accepted AS (
           INSERT INTO sends (sender_device_id, message_id, sender_user_id, recipient_user_id)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[])
           ON CONFLICT DO NOTHING
           RETURNING sender_device_id, message_id, sender_user_id, server_timestamp
         ), stored AS (
           INSERT INTO envelopes (destination_device_id, destination_user_id, kind, message_id, sender_user_id,
             sender_device_id, type, content, server_timestamp)
           SELECT e.d, e.u, 'message', a.message_id, a.sender_user_id, a.sender_device_id, e.t, e.c, a.server_timestamp
           FROM accepted a
           JOIN unnest($5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[], $9::text[], $10::bytea[]) AS e(sd, m, d, u, t, c)
             ON e.sd = a.sender_device_id AND e.m = a.message_id
           RETURNING id, seq, destination_device_id, sender_device_id, message_id
         )
         SELECT a.sender_device_id AS accepted_device, a.message_id AS accepted_message, a.server_timestamp AS accepted_at,
           s.id AS envelope_id, s.seq AS envelope_seq, s.destination_device_id
         FROM accepted a LEFT JOIN stored s ON s.sender_device_id = a.sender_device_id AND s.message_id = a.message_id`,
      [
        sends.map((w) => w.caller.deviceId),
        sends.map((w) => w.input.messageId),
        sends.map((w) => w.caller.userId),
        sends.map((w) => w.input.recipientUserId),
        envelopes.map(({ w }) => w.caller.deviceId),
        envelopes.map(({ w }) => w.input.messageId),
        envelopes.map(({ e }) => e.deviceId),
        envelopes.map(({ w, e }) => w.owners.get(e.deviceId)),
        envelopes.map(({ e }) => e.type),
        contents,
      ],
    );
  }

  /** The oldest `limit` envelopes of each device's queue, in one statement for all of them. */
  async queuePages(deviceIds: readonly string[], limit: number): Promise<Map<string, Queued[]>> {
    const rows = await preparedQuery<EnvelopeRow>(
      this.db,
      'queue-pages',
      `SELECT e.*
       FROM unnest($1::uuid[]) AS q(device_id)
       CROSS JOIN LATERAL (
         SELECT ${ENVELOPE_COLUMNS} FROM envelopes
         WHERE destination_device_id = q.device_id ORDER BY seq LIMIT $2) e`,
      [[...new Set(deviceIds)], limit],
    );
    const pages = new Map<string, Queued[]>(deviceIds.map((id) => [id, []]));
    for (const r of rows) pages.get(r.destination_device_id)?.push(toQueued(r));
    return pages;
  }

  /**
   * Deletes acked envelopes (each only from its acking device's queue) and, for messages from
   * someone else, queues a `delivered` receipt for every receiving device of the sender, once per
   * device. Answers the receipts queued, and how long each acked message envelope was stored
   * (seconds, for the delivery latency metric).
   */
  async deleteAcked(
    acks: readonly { caller: Caller; ids: readonly string[] }[],
  ): Promise<{ queued: QueuedEnvelope[]; ages: number[] }> {
    const rows = acks.flatMap(({ caller, ids }) => ids.map((id) => [id, caller.deviceId, caller.userId] as const));
    const result = await preparedQuery<
      (EnvelopeRow & { age: null }) | (Record<keyof EnvelopeRow, null> & { age: number })
    >(
      this.db,
      'delete-acked',
      `WITH given AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS g(id, device_id, user_id)
         ), acked AS (
           DELETE FROM envelopes e USING given g WHERE e.id = g.id AND e.destination_device_id = g.device_id
           RETURNING g.device_id, g.user_id, e.kind, e.message_id, e.sender_user_id, e.server_timestamp
         ), queued AS (
           INSERT INTO envelopes (destination_device_id, destination_user_id, kind, message_id, sender_user_id, sender_device_id)
           SELECT d.id, d.user_id, 'delivered', a.message_id, a.user_id, a.device_id
           FROM acked a JOIN devices d ON d.user_id = a.sender_user_id AND ${receivingDevice('d')}
           WHERE a.kind = 'message' AND a.sender_user_id <> a.user_id
           ON CONFLICT DO NOTHING
           RETURNING ${ENVELOPE_COLUMNS}
         )
         SELECT ${ENVELOPE_COLUMNS}, NULL::float8 AS age FROM queued
         UNION ALL
         SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           extract(epoch FROM clock_timestamp() - server_timestamp)::float8
         FROM acked WHERE kind = 'message'`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
    const queued: QueuedEnvelope[] = [];
    const ages: number[] = [];
    for (const r of result) {
      if (r.age === null) queued.push(toQueued(r));
      else ages.push(r.age);
    }
    return { queued, ages };
  }

  /**
   * Marks read the messages the caller received and has not read yet, and queues their `read`
   * receipts for the senders' devices and the caller's other devices (once per device). Answers
   * how many were newly read and the receipts queued.
   */
  async markRead(
    caller: Caller,
    receipts: readonly { messageId: string; senderUserId: string }[],
  ): Promise<{ newlyRead: number; queued: QueuedEnvelope[] }> {
    // One statement, so a message is marked read only together with its receipts: a repeated
    // receipt (or a retry) finds it read and writes and pushes nothing.
    const rows: ({ read_message_id: string | null } & (EnvelopeRow | Record<keyof EnvelopeRow, null>))[] =
      await this.db.query(
        `WITH newly_read AS (
         UPDATE sends s SET read_at = now()
         FROM unnest($3::uuid[], $4::uuid[]) AS r(message_id, sender_user_id)
         WHERE s.message_id = r.message_id AND s.sender_user_id = r.sender_user_id
           AND s.recipient_user_id = $1 AND s.sender_user_id <> $1 AND s.read_at IS NULL
         RETURNING s.message_id, s.sender_user_id),
       receipts AS (SELECT DISTINCT message_id, sender_user_id FROM newly_read),
       queued AS (
         INSERT INTO envelopes (destination_device_id, destination_user_id, kind, message_id, sender_user_id, sender_device_id)
         SELECT d.id, d.user_id, 'read', r.message_id, $1, $2
         FROM receipts r
         JOIN devices d ON ${receivingDevice('d')}
           AND (d.user_id = r.sender_user_id OR (d.user_id = $1 AND d.id <> $2))
         ON CONFLICT DO NOTHING
         RETURNING ${ENVELOPE_COLUMNS})
       SELECT message_id AS read_message_id, NULL::uuid AS destination_device_id, NULL::bigint AS seq, NULL::uuid AS id, NULL AS kind,
         NULL::uuid AS message_id, NULL::uuid AS sender_user_id, NULL::uuid AS sender_device_id, NULL AS type,
         NULL::bytea AS content, NULL::timestamptz AS server_timestamp
       FROM receipts
       UNION ALL SELECT NULL, ${ENVELOPE_COLUMNS} FROM queued`,
        [caller.userId, caller.deviceId, receipts.map((r) => r.messageId), receipts.map((r) => r.senderUserId)],
      );
    return {
      newlyRead: rows.filter((r) => r.read_message_id).length,
      queued: rows.flatMap((r) => (r.destination_device_id === null ? [] : [toQueued(r)])),
    };
  }

  /** Deletes up to `limit` `sends` rows older than `days`; answers how many. */
  async deleteSendsOlderThan(days: number, limit: number): Promise<number> {
    const [{ count }] = await this.db.query<[{ count: string }]>(
      `WITH gone AS (
         DELETE FROM sends WHERE ctid IN (
           SELECT ctid FROM sends WHERE server_timestamp < now() - make_interval(days => $1) LIMIT $2)
         RETURNING 1)
       SELECT count(*) FROM gone`,
      [days, limit],
    );
    return Number(count);
  }
}
