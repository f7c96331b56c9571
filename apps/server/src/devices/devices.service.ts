import { Injectable } from '@nestjs/common';
import type { Device, SessionEndedBy, SessionRevokedDetails } from '@parley/shared';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { DeviceEntity, OneTimePreKeyEntity, RefreshTokenEntity } from '../database/entities.js';
import { Realtime } from '../gateway/realtime.js';
import { AppError } from '../http/app-error.js';

/** How stale `last_seen_at` may get before a request refreshes it (saves a write per request). */
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** SESSION_REVOKED, saying who ended the session (the device keeps its data unless the user did). */
export const sessionRevoked = (by: SessionEndedBy | null | undefined, message = 'This device has been signed out') =>
  new AppError('SESSION_REVOKED', message, { by: by ?? 'user' } satisfies SessionRevokedDetails);

@Injectable()
export class DevicesService {
  constructor(
    private readonly db: DataSource,
    private readonly realtime: Realtime,
  ) {}

  /** Throws unless the device exists, belongs to the user and is not revoked. */
  async assertActive(userId: string, deviceId: string): Promise<void> {
    const device = await this.db.getRepository(DeviceEntity).findOneBy({ id: deviceId, userId });
    if (!device || device.revokedAt) throw sessionRevoked(device?.revokedBy);
    if (Date.now() - device.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
      await this.db.getRepository(DeviceEntity).update({ id: deviceId }, { lastSeenAt: new Date() });
    }
  }

  /** Who revoked the device, or null while it is active. */
  async revokedBy(deviceId: string): Promise<SessionEndedBy | null> {
    const device = await this.db.getRepository(DeviceEntity).findOneBy({ id: deviceId });
    return !device || device.revokedAt ? (device?.revokedBy ?? 'user') : null;
  }

  async list(userId: string, currentDeviceId: string): Promise<Device[]> {
    const devices = await this.db.getRepository(DeviceEntity).find({
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'ASC' },
    });
    return devices.map((d) => ({
      id: d.id,
      name: d.name,
      createdAt: d.createdAt.toISOString(),
      lastSeenAt: d.lastSeenAt.toISOString(),
      current: d.id === currentDeviceId,
    }));
  }

  /** Revokes one of the user's devices; another user's device is indistinguishable from none. */
  async revokeOwn(userId: string, deviceId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const device = await tx.findOneBy(DeviceEntity, { id: deviceId, userId });
      if (!device) throw new AppError('DEVICE_NOT_FOUND', 'No such device');
      await this.revoke(tx, deviceId);
    });
    this.realtime.endDeviceSession(deviceId, 'revoked', 'user');
  }

  /**
   * Ends a device's session: no access token or refresh token of it works any more. Inside the
   * caller's transaction; the caller closes its sockets (`Realtime.endDeviceSession`) after commit.
   * What only a live device needs goes with it: its queue, its prekeys, its refresh tokens.
   */
  async revoke(tx: EntityManager, deviceId: string, by: SessionEndedBy = 'user'): Promise<void> {
    // The device's current refresh token is kept as a hash: offline now, it is told who ended its
    // session when it comes back (see AuthService.refresh).
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
