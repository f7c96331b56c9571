import { Injectable } from '@nestjs/common';
import {
  type DeviceRef,
  type Envelope,
  LIMITS,
  type ReadReceiptsRequest,
  type SendMessageRequest,
  type SendMessageResponse,
} from '@parley/shared';
import { DataSource, In } from 'typeorm';
import { DeviceEntity, UserEntity } from '../database/entities.js';
import { Realtime } from '../gateway/realtime.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { RECEIVING_DEVICE } from '../keys/keys.service.js';

interface EnvelopeRow {
  id: string;
  seq: string;
  kind: Envelope['kind'];
  message_id: string;
  sender_user_id: string;
  sender_device_id: string;
  type: Envelope['type'];
  content: Buffer | null;
  server_timestamp: Date;
}

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

/**
 * Store-and-forward of ciphertext: a send is stored whole in one transaction before it is
 * acknowledged, and an envelope is deleted only when its destination device acks it.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly db: DataSource,
    private readonly limits: RateLimits,
    private readonly realtime: Realtime,
  ) {}

  async send(caller: Caller, input: SendMessageRequest): Promise<SendMessageResponse> {
    await this.limits.consume('sendPerDevice', caller.deviceId);
    const outcome = await this.db.transaction(async (tx) => {
      const previous = await this.previousSend(tx.query.bind(tx), caller.deviceId, input.messageId);
      if (previous) return previous;

      // The destination set must be exactly the recipient's receiving devices and my other ones.
      const destinationUsers = [...new Set([input.recipientUserId, caller.userId])];
      if (!(await tx.existsBy(UserEntity, { id: input.recipientUserId })))
        throw new AppError('USER_NOT_FOUND', 'No such recipient');
      const devices = await tx.find(DeviceEntity, {
        where: { userId: In(destinationUsers), ...RECEIVING_DEVICE },
        select: { id: true, userId: true, registrationId: true },
      });
      const expected = new Map(devices.filter((d) => d.id !== caller.deviceId).map((d) => [d.id, d]));
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
      const extraDevices: DeviceRef[] = extraIds.length
        ? (await tx.find(DeviceEntity, { where: { id: In(extraIds) }, select: { id: true, userId: true } })).map(
            (d) => ({
              userId: d.userId,
              deviceId: d.id,
            }),
          )
        : [];
      // A device id that does not exist at all is extra too; it belongs to no one we can name.
      for (const id of extraIds) {
        if (!extraDevices.some((d) => d.deviceId === id))
          extraDevices.push({ userId: input.recipientUserId, deviceId: id });
      }
      if (missingDevices.length || extraDevices.length) {
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

      const full: { destination_device_id: string }[] = await tx.query(
        `SELECT destination_device_id FROM envelopes WHERE destination_device_id = ANY($1)
         GROUP BY destination_device_id HAVING count(*) >= $2`,
        [[...given.keys()], LIMITS.deviceQueue],
      );
      if (full.length) {
        throw new AppError('QUEUE_FULL', 'A destination device has too many undelivered messages; try again later', {
          devices: full.map((r) => r.destination_device_id),
        });
      }

      const [accepted]: { server_timestamp: Date }[] = await tx.query(
        `INSERT INTO sends (sender_device_id, message_id, sender_user_id, recipient_user_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING server_timestamp`,
        [caller.deviceId, input.messageId, caller.userId, input.recipientUserId],
      );
      if (!accepted) return this.previousSend(tx.query.bind(tx), caller.deviceId, input.messageId);
      if (input.envelopes.length > 0) {
        await tx.query(
          `INSERT INTO envelopes (destination_device_id, destination_user_id, kind, message_id, sender_user_id,
             sender_device_id, type, content, server_timestamp)
           SELECT d, u, 'message', $3, $4, $5, t, c, $6
           FROM unnest($1::uuid[], $2::uuid[], $7::text[], $8::bytea[]) AS e(d, u, t, c)`,
          [
            input.envelopes.map((e) => e.deviceId),
            input.envelopes.map((e) => expected.get(e.deviceId)?.userId),
            input.messageId,
            caller.userId,
            caller.deviceId,
            accepted.server_timestamp,
            input.envelopes.map((e) => e.type),
            input.envelopes.map((e) => Buffer.from(e.content, 'base64')),
          ],
        );
      }
      return { messageId: input.messageId, serverTimestamp: accepted.server_timestamp.toISOString(), duplicate: false };
    });
    if (!outcome) throw new AppError('INTERNAL', 'The send vanished while being stored');
    if (!outcome.duplicate) this.realtime.wake(input.envelopes.map((e) => e.deviceId));
    return outcome;
  }

  /** The oldest page of a device's queue. */
  async queuePage(deviceId: string): Promise<Envelope[]> {
    const rows: EnvelopeRow[] = await this.db.query(
      `SELECT id, seq, kind, message_id, sender_user_id, sender_device_id, type, content, server_timestamp
       FROM envelopes WHERE destination_device_id = $1 ORDER BY seq LIMIT $2`,
      [deviceId, LIMITS.drainPage],
    );
    return rows.map(toEnvelope);
  }

  /**
   * Deletes envelopes the device has stored (only its own) and, for messages from someone else,
   * queues a `delivered` receipt for every device of the sender.
   */
  async ack(caller: Caller, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const woken = await this.db.transaction(async (tx) => {
      const deleted: { message_id: string; sender_user_id: string; kind: string }[] = await tx.query(
        // As a SELECT over the DELETE, so TypeORM hands back the rows (it does not for a bare DELETE).
        `WITH acked AS (
           DELETE FROM envelopes WHERE id = ANY($1) AND destination_device_id = $2 RETURNING kind, message_id, sender_user_id)
         SELECT * FROM acked`,
        [ids, caller.deviceId],
      );
      const delivered = deleted.filter((r) => r.kind === 'message' && r.sender_user_id !== caller.userId);
      return {
        count: deleted.length,
        devices: await this.queueReceipts(
          tx.query.bind(tx),
          'delivered',
          caller,
          delivered.map((r) => ({ messageId: r.message_id, senderUserId: r.sender_user_id })),
        ),
      };
    });
    this.realtime.wake(woken.devices);
    return woken.count;
  }

  /**
   * Read receipts for messages the caller received: queued for the senders' devices and for the
   * caller's other devices (so they clear their unread marks). Ids it never received are ignored.
   */
  async markRead(caller: Caller, input: ReadReceiptsRequest): Promise<number> {
    const messageIds = input.receipts.map((r) => r.messageId);
    const received: { message_id: string; sender_user_id: string }[] = await this.db.query(
      `SELECT DISTINCT message_id, sender_user_id FROM sends
       WHERE message_id = ANY($1) AND recipient_user_id = $2 AND sender_user_id <> $2`,
      [messageIds, caller.userId],
    );
    const claimed = new Set(input.receipts.map((r) => `${r.messageId}:${r.senderUserId}`));
    const valid = received
      .filter((r) => claimed.has(`${r.message_id}:${r.sender_user_id}`))
      .map((r) => ({ messageId: r.message_id, senderUserId: r.sender_user_id }));
    const devices = await this.db.transaction((tx) =>
      this.queueReceipts(tx.query.bind(tx), 'read', caller, valid, true),
    );
    this.realtime.wake(devices);
    return valid.length;
  }

  private async queueReceipts(
    query: (sql: string, params: unknown[]) => Promise<{ destination_device_id: string }[]>,
    kind: 'delivered' | 'read',
    caller: Caller,
    receipts: { messageId: string; senderUserId: string }[],
    alsoMyOtherDevices = false,
  ): Promise<string[]> {
    if (receipts.length === 0) return [];
    const rows = await query(
      `INSERT INTO envelopes (destination_device_id, destination_user_id, kind, message_id, sender_user_id, sender_device_id)
       SELECT d.id, d.user_id, $1, r.message_id, $2, $3
       FROM unnest($4::uuid[], $5::uuid[]) AS r(message_id, sender_user_id)
       JOIN devices d ON d.revoked_at IS NULL AND d.identity_key IS NOT NULL
         AND (d.user_id = r.sender_user_id OR ($6 AND d.user_id = $2 AND d.id <> $3))
       ON CONFLICT DO NOTHING
       RETURNING destination_device_id`,
      [
        kind,
        caller.userId,
        caller.deviceId,
        receipts.map((r) => r.messageId),
        receipts.map((r) => r.senderUserId),
        alsoMyOtherDevices,
      ],
    );
    return [...new Set(rows.map((r) => r.destination_device_id))];
  }

  private async previousSend(
    query: (sql: string, params: unknown[]) => Promise<{ server_timestamp: Date }[]>,
    senderDeviceId: string,
    messageId: string,
  ): Promise<SendMessageResponse | undefined> {
    const [row] = await query('SELECT server_timestamp FROM sends WHERE sender_device_id = $1 AND message_id = $2', [
      senderDeviceId,
      messageId,
    ]);
    return row && { messageId, serverTimestamp: row.server_timestamp.toISOString(), duplicate: true };
  }
}
