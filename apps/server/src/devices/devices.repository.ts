import { Injectable } from '@nestjs/common';
import type { SessionEndedBy } from '@parley/shared';
import { DataSource, type EntityManager, In, IsNull, Not } from 'typeorm';
import { DeviceEntity, OneTimePreKeyEntity, RefreshTokenEntity } from '../database/entities.js';

/**
 * The one definition of a *receiving* device: signed in (not revoked) and with keys uploaded.
 * Only such devices get bundles, envelopes, receipts and signals. An SQL condition on the
 * `devices` row named `alias`, for statements that must stay one statement (sends, acks, receipts).
 */
export const receivingDevice = (alias: string) => `${alias}.revoked_at IS NULL AND ${alias}.identity_key IS NOT NULL`;

/** The `devices` table (and what revoking a device deletes with it). */
@Injectable()
export class DevicesRepository {
  constructor(private readonly db: DataSource) {}

  find(deviceId: string, tx: EntityManager = this.db.manager): Promise<DeviceEntity | null> {
    return tx.findOneBy(DeviceEntity, { id: deviceId });
  }

  findOfUser(userId: string, deviceId: string, tx: EntityManager = this.db.manager): Promise<DeviceEntity | null> {
    return tx.findOneBy(DeviceEntity, { id: deviceId, userId });
  }

  /** The device a revoked refresh token belonged to (see `revoke`). */
  findByRevokedToken(tx: EntityManager, tokenHash: Buffer): Promise<DeviceEntity | null> {
    return tx.findOneBy(DeviceEntity, { revokedTokenHash: tokenHash });
  }

  /** The device, locked for update until the transaction ends. */
  lock(tx: EntityManager, deviceId: string): Promise<DeviceEntity | null> {
    return tx.getRepository(DeviceEntity).findOne({ where: { id: deviceId }, lock: { mode: 'pessimistic_write' } });
  }

  create(tx: EntityManager, userId: string, name: string): Promise<DeviceEntity> {
    return tx.save(tx.create(DeviceEntity, { userId, name, lastSeenAt: new Date() }));
  }

  async touch(deviceId: string): Promise<void> {
    await this.db.getRepository(DeviceEntity).update({ id: deviceId }, { lastSeenAt: new Date() });
  }

  /** A user's signed-in devices, oldest first. */
  active(userId: string): Promise<DeviceEntity[]> {
    return this.db
      .getRepository(DeviceEntity)
      .find({ where: { userId, revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  /** The ids of a user's signed-in devices. */
  async activeIds(tx: EntityManager, userId: string): Promise<string[]> {
    const rows = await tx.find(DeviceEntity, { where: { userId, revokedAt: IsNull() }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  /** Those of these devices that are revoked. */
  revokedAmong(deviceIds: readonly string[]): Promise<DeviceEntity[]> {
    if (deviceIds.length === 0) return Promise.resolve([]);
    return this.db.getRepository(DeviceEntity).findBy({ id: In([...deviceIds]), revokedAt: Not(IsNull()) });
  }

  /** The receiving devices of these users, oldest first, but `exceptDeviceId`. */
  receiving(userIds: readonly string[], exceptDeviceId: string): Promise<DeviceEntity[]> {
    return this.db
      .getRepository(DeviceEntity)
      .createQueryBuilder('d')
      .where(`d.user_id = ANY(:userIds) AND ${receivingDevice('d')} AND d.id <> :exceptDeviceId`, {
        userIds,
        exceptDeviceId,
      })
      .orderBy('d.created_at', 'ASC')
      .getMany();
  }

  /** Who owns each of these devices (of those that exist). */
  async owners(deviceIds: readonly string[]): Promise<Map<string, string>> {
    if (deviceIds.length === 0) return new Map();
    const rows: { id: string; user_id: string }[] = await this.db.query(
      'SELECT id, user_id FROM devices WHERE id = ANY($1)',
      [deviceIds],
    );
    return new Map(rows.map((r) => [r.id, r.user_id]));
  }

  async setKeys(
    tx: EntityManager,
    deviceId: string,
    keys: Partial<
      Pick<DeviceEntity, 'registrationId' | 'identityKey' | 'signedPreKeyId' | 'signedPreKey' | 'signedPreKeySignature'>
    >,
  ): Promise<void> {
    await tx.update(DeviceEntity, { id: deviceId }, keys);
  }

  /**
   * Ends a device's session in the caller's transaction. What only a live device needs goes with
   * it: its signed prekey, queue, one-time prekeys and refresh tokens. The hash of the refresh
   * token it held is kept, so that offline now, it is told who ended its session when it returns.
   */
  async revoke(tx: EntityManager, deviceId: string, by: SessionEndedBy): Promise<void> {
    const [current] = await tx.find(RefreshTokenEntity, {
      where: { deviceId, rotatedAt: IsNull() },
      order: { createdAt: 'DESC' },
      take: 1,
    });
    await tx.update(
      DeviceEntity,
      { id: deviceId, revokedAt: IsNull() },
      {
        revokedAt: new Date(),
        revokedBy: by,
        revokedTokenHash: current?.tokenHash ?? null,
        signedPreKeyId: null,
        signedPreKey: null,
        signedPreKeySignature: null,
      },
    );
    await tx.delete(RefreshTokenEntity, { deviceId });
    await tx.query('DELETE FROM envelopes WHERE destination_device_id = $1', [deviceId]);
    await tx.delete(OneTimePreKeyEntity, { deviceId });
  }
}
