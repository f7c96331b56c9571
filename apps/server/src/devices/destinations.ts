import type { DeviceRef } from '@parley/shared';
import { AppError } from '../http/app-error.js';
import type { DevicesRepository } from './devices.repository.js';

/** A device a send or signal must reach, as the server knows it now. */
export interface Destination {
  id: string;
  userId: string;
  registrationId: number | null;
}

/** A device the client addressed; a send also says which registration id its session holds. */
export interface Addressed {
  deviceId: string;
  registrationId?: number;
}

/**
 * The destination check shared by sends and signals: the client must address each expected
 * device (the target's receiving devices and the caller's other ones) exactly once, and nothing
 * else (MISMATCHED_DEVICES, so it refetches keys and resends), with the registration id the
 * device has now (STALE_DEVICES: its session is outdated).
 */
export async function checkDestinations(
  devices: DevicesRepository,
  targetUserId: string,
  expected: readonly Destination[],
  addressed: readonly Addressed[],
): Promise<void> {
  const given = new Map(addressed.map((a) => [a.deviceId, a]));
  if (given.size !== addressed.length) {
    throw new AppError('VALIDATION_FAILED', 'One envelope per device', {
      issues: [{ path: 'envelopes', code: 'custom', message: 'A device appears twice' }],
    });
  }
  const byId = new Map(expected.map((d) => [d.id, d]));
  const missingDevices: DeviceRef[] = expected
    .filter((d) => !given.has(d.id))
    .map((d) => ({ userId: d.userId, deviceId: d.id }));
  const extraIds = [...given.keys()].filter((id) => !byId.has(id));
  if (missingDevices.length || extraIds.length) {
    const owners = await devices.owners(extraIds);
    // A device id that does not exist at all belongs to no one we can name: the target's, as sent.
    const extraDevices: DeviceRef[] = extraIds.map((deviceId) => ({
      userId: owners.get(deviceId) ?? targetUserId,
      deviceId,
    }));
    throw new AppError('MISMATCHED_DEVICES', 'The device list is out of date; refetch keys and resend', {
      missingDevices,
      extraDevices,
    });
  }
  const staleDevices: DeviceRef[] = addressed
    .filter((a) => a.registrationId !== undefined && byId.get(a.deviceId)?.registrationId !== a.registrationId)
    .map((a) => ({ userId: byId.get(a.deviceId)?.userId as string, deviceId: a.deviceId }));
  if (staleDevices.length) {
    throw new AppError('STALE_DEVICES', 'Some sessions are out of date; refetch their keys and resend', {
      staleDevices,
    });
  }
}
