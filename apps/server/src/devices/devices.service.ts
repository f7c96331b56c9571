import { Injectable } from '@nestjs/common';
import type { Device, SessionEndedBy, SessionRevokedDetails } from '@parley/shared';
import { DataSource } from 'typeorm';
import { AppError } from '../http/app-error.js';
import { Realtime } from '../realtime/realtime.js';
import { DevicesRepository } from './devices.repository.js';

/** How stale `last_seen_at` may get before a request refreshes it (saves a write per request). */
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** SESSION_REVOKED, saying who ended the session (the device keeps its data unless the user did). */
export const sessionRevoked = (by: SessionEndedBy | null | undefined, message = 'This device has been signed out') =>
  new AppError('SESSION_REVOKED', message, { by: by ?? 'user' } satisfies SessionRevokedDetails);

@Injectable()
export class DevicesService {
  constructor(
    private readonly db: DataSource,
    private readonly devices: DevicesRepository,
    private readonly realtime: Realtime,
  ) {}

  /** Throws unless the device exists, belongs to the user and is not revoked. */
  async assertActive(userId: string, deviceId: string): Promise<void> {
    const device = await this.devices.findOfUser(userId, deviceId);
    if (!device || device.revokedAt) throw sessionRevoked(device?.revokedBy);
    if (Date.now() - device.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) await this.devices.touch(deviceId);
  }

  /** Who revoked the device, or null while it is active. */
  async revokedBy(deviceId: string): Promise<SessionEndedBy | null> {
    const device = await this.devices.find(deviceId);
    return !device || device.revokedAt ? (device?.revokedBy ?? 'user') : null;
  }

  async list(userId: string, currentDeviceId: string): Promise<Device[]> {
    return (await this.devices.active(userId)).map((d) => ({
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
      const device = await this.devices.findOfUser(userId, deviceId, tx);
      if (!device) throw new AppError('DEVICE_NOT_FOUND', 'No such device');
      await this.devices.revoke(tx, deviceId, 'user');
    });
    this.realtime.endDeviceSession(deviceId, 'revoked', 'user');
  }
}
