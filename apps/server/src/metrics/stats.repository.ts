import { Injectable } from '@nestjs/common';
import { LIMITS } from '@parley/shared';
import { DataSource } from 'typeorm';
import { receivingDevice } from '../devices/devices.repository.js';

/** Bounds of the queue-depth buckets: devices with at least 1, 10, 100… envelopes waiting. */
export const QUEUE_DEPTH_BUCKETS = [1, 10, 100, 1_000, 10_000] as const;

/** The state of the whole deployment, read from the database (every instance reads the same). */
export interface ServerStats {
  users: number;
  disabledUsers: number;
  activeDevices: number;
  queuedEnvelopes: number;
  /** Devices with at least QUEUE_DEPTH_BUCKETS[i] envelopes queued, per bucket. */
  queueDepths: number[];
  oldestQueuedSeconds: number;
  /** Receiving devices with fewer one-time prekeys than LIMITS.preKeyLowWater. */
  preKeysLow: number;
  attachments: number;
  attachmentBytes: number;
  usableInvites: number;
}

/** Counts over every table, for `parley-admin stats` and the metrics' gauges. */
@Injectable()
export class StatsRepository {
  constructor(private readonly db: DataSource) {}

  async read(): Promise<ServerStats> {
    const [row] = await this.db.query<Record<string, string | number | null>[]>(
      `WITH depths AS (SELECT count(*) AS n FROM envelopes GROUP BY destination_device_id)
       SELECT
         (SELECT count(*) FROM users) AS users,
         (SELECT count(*) FROM users WHERE disabled_at IS NOT NULL) AS disabled_users,
         (SELECT count(*) FROM devices WHERE revoked_at IS NULL) AS active_devices,
         (SELECT COALESCE(sum(n), 0) FROM depths) AS queued,
         (SELECT array_agg((SELECT count(*) FROM depths WHERE n >= b) ORDER BY b) FROM unnest($1::int[]) AS b) AS depths,
         (SELECT COALESCE(extract(epoch FROM now() - min(server_timestamp)), 0) FROM envelopes) AS oldest,
         (SELECT count(*) FROM devices d WHERE ${receivingDevice('d')}
            AND (SELECT count(*) FROM one_time_prekeys k WHERE k.device_id = d.id) < $2) AS prekeys_low,
         (SELECT count(*) FROM attachments WHERE uploaded_at IS NOT NULL) AS attachments,
         (SELECT COALESCE(sum(size), 0) FROM attachments WHERE uploaded_at IS NOT NULL) AS attachment_bytes,
         (SELECT count(*) FROM invites WHERE uses < max_uses AND (expires_at IS NULL OR expires_at > now())) AS invites`,
      [QUEUE_DEPTH_BUCKETS, LIMITS.preKeyLowWater],
    );
    const n = (key: string) => Number(row?.[key] ?? 0);
    return {
      users: n('users'),
      disabledUsers: n('disabled_users'),
      activeDevices: n('active_devices'),
      queuedEnvelopes: n('queued'),
      queueDepths: ((row?.depths ?? []) as unknown as string[]).map(Number),
      oldestQueuedSeconds: n('oldest'),
      preKeysLow: n('prekeys_low'),
      attachments: n('attachments'),
      attachmentBytes: n('attachment_bytes'),
      usableInvites: n('invites'),
    };
  }
}
