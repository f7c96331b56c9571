import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  type DeviceRef,
  type Envelope,
  LIMITS,
  type ReadReceiptsRequest,
  type SendMessageRequest,
  type SendMessageResponse,
} from '@parley/shared';
import DataLoader from 'dataloader';
import type { Logger } from 'pino';
import { DataSource, In } from 'typeorm';
import { CONFIG, type Config } from '../config/config.js';
import { DeviceEntity } from '../database/entities.js';
import { Realtime } from '../gateway/realtime.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { LOGGER } from '../logger.js';

interface DestinationDevice {
  id: string;
  userId: string;
  registrationId: number;
  /** Envelopes waiting for the device: all of them, and the caller's. */
  queued: number | string;
  queuedFromCaller: number | string;
  /** Whether the device's owner has the caller as a contact (or is the caller). */
  knowsCaller: boolean;
}

interface SendState {
  previous: Date | null;
  recipient_exists: boolean;
  devices: DestinationDevice[];
}

interface EnvelopeRow {
  id: string;
  kind: Envelope['kind'];
  message_id: string;
  sender_user_id: string;
  sender_device_id: string;
  type: Envelope['type'];
  content: Buffer | null;
  server_timestamp: Date;
}

/** The columns of an envelope as a device receives it. */
const ENVELOPE_COLUMNS = 'id, kind, message_id, sender_user_id, sender_device_id, type, content, server_timestamp';

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

interface SendWrite {
  caller: Caller;
  input: SendMessageRequest;
  /** The owner of each destination device. */
  owners: Map<string, string>;
}

interface AckWrite {
  caller: Caller;
  ids: string[];
}

/** How often, and how many rows at a time, `sends` past retention are deleted. */
const SENDS_SWEEP_EVERY_MS = 3_600_000;
const SENDS_SWEEP_BATCH = 5_000;

/**
 * Writes that arrive together are batched into one statement, so one commit (the expensive part
 * of a write) serves them all; each caller still waits for its own write to be committed.
 */
const BATCHED = { cache: false, maxBatchSize: 500, batchScheduleFn: (run: () => void) => setImmediate(run) };

/** A batch write that, if the statement fails, writes each item alone: one bad item fails only itself. */
function aloneOnFailure<K, V>(write: (items: readonly K[]) => Promise<V[]>) {
  return async (items: readonly K[]): Promise<(V | Error)[]> => {
    try {
      return await write(items);
    } catch (error) {
      if (items.length === 1) throw error;
      return Promise.all(
        items.map((item) =>
          write([item]).then(
            ([value]) => value as V,
            (failure: unknown) => (failure instanceof Error ? failure : new Error(String(failure))),
          ),
        ),
      );
    }
  };
}

/**
 * Store-and-forward of ciphertext: a send is stored whole in one transaction before it is
 * acknowledged, and an envelope is deleted only when its destination device acks it.
 */
@Injectable()
export class MessagesService implements OnModuleInit, OnModuleDestroy {
  private sweeper: NodeJS.Timeout | undefined;

  /** Sends checked in one event-loop turn, stored in one statement. */
  private readonly sendWrites = new DataLoader<SendWrite, Date | null>(
    aloneOnFailure((writes) => this.writeSends(writes)),
    BATCHED,
  );
  /** Acks received in one event-loop turn, written in one statement. */
  private readonly ackWrites = new DataLoader<AckWrite, true>(
    aloneOnFailure((acks) => this.writeAcks(acks)),
    BATCHED,
  );

  constructor(
    private readonly db: DataSource,
    private readonly limits: RateLimits,
    private readonly realtime: Realtime,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.sweeper = setInterval(() => void this.pruneSends(), SENDS_SWEEP_EVERY_MS);
    this.sweeper.unref();
    await this.pruneSends();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /**
   * Deletes `sends` rows past retention, a batch at a time (short transactions, no long lock).
   * After that a resend of the message id is no longer recognised as a duplicate and a read
   * receipt for it is ignored: both only matter while a message is fresh.
   */
  private async pruneSends(): Promise<void> {
    try {
      let deleted = 0;
      for (;;) {
        const [{ count }] = await this.db.query<[{ count: string }]>(
          `WITH gone AS (
             DELETE FROM sends WHERE ctid IN (
               SELECT ctid FROM sends WHERE server_timestamp < now() - make_interval(days => $1) LIMIT $2)
             RETURNING 1)
           SELECT count(*) FROM gone`,
          [this.config.SENDS_RETENTION_DAYS, SENDS_SWEEP_BATCH],
        );
        deleted += Number(count);
        if (Number(count) < SENDS_SWEEP_BATCH) break;
      }
      if (deleted) this.log.info({ deleted }, 'sends past retention deleted');
    } catch (error) {
      this.log.error({ err: error }, 'sends sweep failed');
    }
  }

  /**
   * Two round trips on the hot path: one query reads everything the checks need (a previous
   * send with this id, the recipient, the destination devices and their queue lengths), one
   * statement stores the send and all its envelopes atomically (with the sends that arrived with it).
   */
  async send(caller: Caller, input: SendMessageRequest): Promise<SendMessageResponse> {
    await this.limits.consume('sendPerDevice', caller.deviceId);
    const [state]: SendState[] = await this.db.query(
      `SELECT
         (SELECT server_timestamp FROM sends WHERE sender_device_id = $1 AND message_id = $2) AS previous,
         EXISTS (SELECT 1 FROM users WHERE id = $3) AS recipient_exists,
         COALESCE((
           SELECT json_agg(json_build_object('id', d.id, 'userId', d.user_id, 'registrationId', d.registration_id,
             'queued', (SELECT count(*) FROM envelopes e WHERE e.destination_device_id = d.id),
             'queuedFromCaller', (SELECT count(*) FROM envelopes e WHERE e.destination_device_id = d.id AND e.sender_user_id = $5),
             'knowsCaller', d.user_id = $5 OR EXISTS (SELECT 1 FROM contacts c WHERE c.owner_id = d.user_id AND c.contact_id = $5)))
           FROM devices d
           WHERE d.user_id = ANY($4) AND d.revoked_at IS NULL AND d.identity_key IS NOT NULL AND d.id <> $1
         ), '[]') AS devices`,
      [
        caller.deviceId,
        input.messageId,
        input.recipientUserId,
        [...new Set([input.recipientUserId, caller.userId])],
        caller.userId,
      ],
    );
    if (!state) throw new Error('no answer from the database');
    if (state.previous)
      return { messageId: input.messageId, serverTimestamp: state.previous.toISOString(), duplicate: true };
    if (!state.recipient_exists) throw new AppError('USER_NOT_FOUND', 'No such recipient');
    const expected = new Map(state.devices.map((d) => [d.id, d]));
    await this.checkDevices(input, expected);

    const owners = new Map([...expected.values()].map((d) => [d.id, d.userId]));
    const accepted = await this.sendWrites.load({ caller, input, owners });
    if (!accepted) {
      // The same id was stored concurrently: answer as its duplicate.
      const previous = await this.previousSend(caller.deviceId, input.messageId);
      if (!previous) throw new AppError('INTERNAL', 'The send vanished while being stored');
      return previous;
    }
    return { messageId: input.messageId, serverTimestamp: accepted.toISOString(), duplicate: false };
  }

  /**
   * Stores sends and their envelopes in one statement; for each, when it was accepted, or null
   * when its id was already taken (a concurrent duplicate).
   */
  private async writeSends(writes: readonly SendWrite[]): Promise<(Date | null)[]> {
    const key = (deviceId: string, messageId: string) => `${deviceId}:${messageId}`;
    const keyOf = (w: SendWrite) => key(w.caller.deviceId, w.input.messageId);
    // The same id twice in one batch: the first is stored, the others answer as its duplicates.
    const first = new Map<string, SendWrite>();
    for (const w of writes) if (!first.has(keyOf(w))) first.set(keyOf(w), w);
    const sends = [...first.values()];
    const envelopes = sends.flatMap((w) => w.input.envelopes.map((e) => ({ w, e })));
    // One row per stored envelope (its device), or one without for a send that had none.
    const rows: {
      accepted_device: string;
      accepted_message: string;
      accepted_at: Date;
      destination_device_id: string | null;
    }[] = await this.db.query(
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
           RETURNING destination_device_id, sender_device_id, message_id
         )
         SELECT a.sender_device_id AS accepted_device, a.message_id AS accepted_message, a.server_timestamp AS accepted_at,
           s.destination_device_id
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
        envelopes.map(({ e }) => Buffer.from(e.content, 'base64')),
      ],
    );
    const acceptedAt = new Map(rows.map((r) => [key(r.accepted_device, r.accepted_message), r.accepted_at]));
    this.realtime.queued(rows.flatMap((r) => r.destination_device_id ?? []));
    return writes.map((w) => (first.get(keyOf(w)) === w ? (acceptedAt.get(keyOf(w)) ?? null) : null));
  }

  /**
   * The destination set must be exactly the recipient's receiving devices and my other ones, with
   * room in their queues: in the whole queue, and in the caller's share of it (smaller for a
   * stranger), so that no one sender can fill a device's queue and block everyone else's mail.
   */
  private async checkDevices(input: SendMessageRequest, expected: Map<string, DestinationDevice>): Promise<void> {
    const given = new Map(input.envelopes.map((e) => [e.deviceId, e]));
    if (given.size !== input.envelopes.length) {
      throw new AppError('VALIDATION_FAILED', 'One envelope per device', {
        issues: [{ path: 'envelopes', code: 'custom', message: 'A device appears twice' }],
      });
    }
    const missingDevices: DeviceRef[] = [...expected.values()]
      .filter((d) => !given.has(d.id))
      .map((d) => ({ userId: d.userId, deviceId: d.id }));
    const extraIds = [...given.keys()].filter((id) => !expected.has(id));
    if (missingDevices.length || extraIds.length) {
      const owners = extraIds.length
        ? await this.db
            .getRepository(DeviceEntity)
            .find({ where: { id: In(extraIds) }, select: { id: true, userId: true } })
        : [];
      // A device id that does not exist at all belongs to no one we can name: the recipient's, as sent.
      const extraDevices: DeviceRef[] = extraIds.map((deviceId) => ({
        userId: owners.find((d) => d.id === deviceId)?.userId ?? input.recipientUserId,
        deviceId,
      }));
      throw new AppError('MISMATCHED_DEVICES', 'The device list is out of date; refetch keys and resend', {
        missingDevices,
        extraDevices,
      });
    }
    const staleDevices: DeviceRef[] = input.envelopes
      .filter((e) => expected.get(e.deviceId)?.registrationId !== e.registrationId)
      .map((e) => ({ userId: expected.get(e.deviceId)?.userId as string, deviceId: e.deviceId }));
    if (staleDevices.length) {
      throw new AppError('STALE_DEVICES', 'Some sessions are out of date; refetch their keys and resend', {
        staleDevices,
      });
    }
    const { QUEUE_MAX_PER_DEVICE, QUEUE_SHARE_PER_SENDER, QUEUE_SHARE_PER_STRANGER } = this.config;
    const full = [...expected.values()]
      .filter(
        (d) =>
          Number(d.queued) >= QUEUE_MAX_PER_DEVICE ||
          Number(d.queuedFromCaller) >= (d.knowsCaller ? QUEUE_SHARE_PER_SENDER : QUEUE_SHARE_PER_STRANGER),
      )
      .map((d) => d.id);
    if (full.length) {
      throw new AppError('QUEUE_FULL', 'A destination device has too many undelivered messages; try again later', {
        devices: full,
      });
    }
  }

  /** The oldest page of a device's queue. */
  async queuePage(deviceId: string): Promise<Envelope[]> {
    const rows: EnvelopeRow[] = await this.db.query(
      `SELECT ${ENVELOPE_COLUMNS} FROM envelopes WHERE destination_device_id = $1 ORDER BY seq LIMIT $2`,
      [deviceId, LIMITS.drainPage],
    );
    return rows.map(toEnvelope);
  }

  /**
   * Deletes envelopes the device has stored (only its own) and, for messages from someone else,
   * queues a `delivered` receipt for every device of the sender. Acks that arrive together (in
   * one turn of the event loop) are written in one statement: a commit is the expensive part.
   */
  async ack(caller: Caller, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.ackWrites.load({ caller, ids });
  }

  private async writeAcks(acks: readonly AckWrite[]): Promise<true[]> {
    const rows = acks.flatMap(({ caller, ids }) => ids.map((id) => [id, caller.deviceId, caller.userId] as const));
    // One statement, so atomic without a transaction: delete what was acked and queue the receipts.
    const receipts: { destination_device_id: string }[] = await this.db.query(
      `WITH given AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS g(id, device_id, user_id)
         ), acked AS (
           DELETE FROM envelopes e USING given g WHERE e.id = g.id AND e.destination_device_id = g.device_id
           RETURNING g.device_id, g.user_id, e.kind, e.message_id, e.sender_user_id
         )
         INSERT INTO envelopes (destination_device_id, destination_user_id, kind, message_id, sender_user_id, sender_device_id)
         SELECT d.id, d.user_id, 'delivered', a.message_id, a.user_id, a.device_id
         FROM acked a JOIN devices d ON d.user_id = a.sender_user_id AND d.revoked_at IS NULL AND d.identity_key IS NOT NULL
         WHERE a.kind = 'message' AND a.sender_user_id <> a.user_id
         ON CONFLICT DO NOTHING
         RETURNING destination_device_id`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
    this.realtime.queued(receipts.map((r) => r.destination_device_id));
    return acks.map(() => true);
  }

  /**
   * Read receipts for messages the caller received: queued for the senders' devices and for the
   * caller's other devices (so they clear their unread marks). Ids it never received are ignored.
   * A message is read once: a repeated receipt (from any of the reader's devices) writes and pushes
   * nothing. Answers how many were newly read.
   */
  async markRead(caller: Caller, input: ReadReceiptsRequest): Promise<number> {
    await this.limits.consume('receiptsPerDevice', caller.deviceId);
    // One statement, so a message is marked read only together with its receipts: a repeated
    // receipt (or a retry) finds it read and writes and pushes nothing.
    const rows: { message_id: string; destination_device_id: string | null }[] = await this.db.query(
      `WITH newly_read AS (
         UPDATE sends s SET read_at = now()
         FROM unnest($3::uuid[], $4::uuid[]) AS r(message_id, sender_user_id)
         WHERE s.message_id = r.message_id AND s.sender_user_id = r.sender_user_id
           AND s.recipient_user_id = $1 AND s.sender_user_id <> $1 AND s.read_at IS NULL
         RETURNING s.message_id, s.sender_user_id),
       receipts AS (SELECT DISTINCT message_id, sender_user_id FROM newly_read),
       -- \`read\` receipts for the senders' devices and the reader's other devices, once per device.
       queued AS (
         INSERT INTO envelopes (destination_device_id, destination_user_id, kind, message_id, sender_user_id, sender_device_id)
         SELECT d.id, d.user_id, 'read', r.message_id, $1, $2
         FROM receipts r
         JOIN devices d ON d.revoked_at IS NULL AND d.identity_key IS NOT NULL
           AND (d.user_id = r.sender_user_id OR (d.user_id = $1 AND d.id <> $2))
         ON CONFLICT DO NOTHING
         RETURNING destination_device_id)
       SELECT message_id, NULL AS destination_device_id FROM receipts
       UNION ALL SELECT NULL, destination_device_id FROM queued`,
      [
        caller.userId,
        caller.deviceId,
        input.receipts.map((r) => r.messageId),
        input.receipts.map((r) => r.senderUserId),
      ],
    );
    this.realtime.queued(rows.flatMap((r) => (r.destination_device_id ? [r.destination_device_id] : [])));
    return rows.filter((r) => r.message_id).length;
  }

  private async previousSend(senderDeviceId: string, messageId: string): Promise<SendMessageResponse | undefined> {
    const [row]: { server_timestamp: Date }[] = await this.db.query(
      'SELECT server_timestamp FROM sends WHERE sender_device_id = $1 AND message_id = $2',
      [senderDeviceId, messageId],
    );
    return row && { messageId, serverTimestamp: row.server_timestamp.toISOString(), duplicate: true };
  }
}
