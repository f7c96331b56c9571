import { Inject, Injectable } from '@nestjs/common';
import {
  type DeviceBundle,
  LIMITS,
  type PreKey,
  type SignedPreKey,
  type UploadKeysRequest,
  type UserBundles,
} from '@parley/shared';
import { DataSource, type EntityManager } from 'typeorm';
import type { DeviceEntity } from '../database/entities.js';
import { DevicesRepository } from '../devices/devices.repository.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { Realtime } from '../realtime/realtime.js';
import { UsersRepository } from '../users/users.repository.js';
import { PreKeysRepository } from './prekeys.repository.js';
import { signedPreKeyIsValid } from './signatures.js';

const bytes = (base64: string) => Buffer.from(base64, 'base64');
const b64 = (buffer: Buffer) => buffer.toString('base64');

/** A signed prekey must be signed by the device's identity key: a bad one would break every session set up with it. */
async function checkSignature(identityKey: Buffer, signedPreKey: SignedPreKey): Promise<void> {
  if (!(await signedPreKeyIsValid(identityKey, bytes(signedPreKey.publicKey), bytes(signedPreKey.signature)))) {
    throw new AppError('INVALID_SIGNATURE', "The signed prekey's signature does not verify with the identity key");
  }
}

@Injectable()
export class KeysService {
  constructor(
    private readonly db: DataSource,
    private readonly devices: DevicesRepository,
    private readonly preKeys: PreKeysRepository,
    private readonly users: UsersRepository,
    private readonly limits: RateLimits,
    @Inject(Realtime) private readonly realtime: Realtime,
  ) {}

  /** First upload sets the device's identity; later uploads may not change it. */
  async upload(caller: Caller, input: UploadKeysRequest): Promise<void> {
    await this.db.transaction(async (tx) => {
      const device = await this.lockDevice(tx, caller.deviceId);
      const identityKey = bytes(input.identityKey);
      if (device.identityKey && !device.identityKey.equals(identityKey)) {
        throw new AppError('IDENTITY_KEY_CHANGED', "A device's identity key cannot change; sign in as a new device");
      }
      await checkSignature(identityKey, input.signedPreKey);
      await this.devices.setKeys(tx, device.id, {
        registrationId: input.registrationId,
        identityKey,
        ...signed(input.signedPreKey),
      });
      await this.insertPreKeys(tx, device.id, input.preKeys);
    });
  }

  async replaceSignedPreKey(caller: Caller, signedPreKey: SignedPreKey): Promise<void> {
    await this.db.transaction(async (tx) => {
      const device = await this.lockDevice(tx, caller.deviceId, true);
      await checkSignature(device.identityKey as Buffer, signedPreKey);
      await this.devices.setKeys(tx, caller.deviceId, signed(signedPreKey));
    });
  }

  async addPreKeys(caller: Caller, preKeys: PreKey[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.lockDevice(tx, caller.deviceId, true);
      await this.insertPreKeys(tx, caller.deviceId, preKeys);
    });
  }

  count(caller: Caller): Promise<number> {
    return this.preKeys.count(caller.deviceId);
  }

  /**
   * A bundle for every receiving device of the user but the caller's own. Each one-time prekey is
   * taken and deleted in one statement; SKIP LOCKED makes concurrent fetches take different ones.
   * Limited per target across the caller's account (a sign-in makes a new device) and per IP
   * (an account is cheap to make), so no one can take all of someone's one-time prekeys.
   */
  async bundles(caller: Caller, userId: string, ip: string): Promise<UserBundles> {
    await this.limits.consume('keysPerTarget', `${caller.userId}:${userId}`);
    await this.limits.consume('keysPerTargetIp', `${userId}:${ip}`);
    if (!(await this.users.exists(userId))) throw new AppError('USER_NOT_FOUND', 'No such user');
    const devices = await this.devices.receiving([userId], caller.deviceId);
    const bundles: DeviceBundle[] = [];
    const low: string[] = [];
    for (const device of devices) {
      const taken = await this.preKeys.take(device.id);
      if (!taken || taken.remaining < LIMITS.preKeyLowWater) low.push(device.id);
      bundles.push({
        deviceId: device.id,
        registrationId: device.registrationId as number,
        identityKey: b64(device.identityKey as Buffer),
        signedPreKey: {
          keyId: device.signedPreKeyId as number,
          publicKey: b64(device.signedPreKey as Buffer),
          signature: b64(device.signedPreKeySignature as Buffer),
        },
        preKey: taken ? { keyId: taken.keyId, publicKey: b64(taken.publicKey) } : null,
      });
    }
    this.realtime.toDevices(low, 'keysLow', {});
    return { userId, devices: bundles };
  }

  private async lockDevice(tx: EntityManager, deviceId: string, requireKeys = false): Promise<DeviceEntity> {
    const device = await this.devices.lock(tx, deviceId);
    if (!device) throw new AppError('SESSION_REVOKED', 'This device has been signed out');
    if (requireKeys && !device.identityKey)
      throw new AppError('KEYS_NOT_UPLOADED', 'Upload the device keys first (PUT /keys)');
    return device;
  }

  private async insertPreKeys(tx: EntityManager, deviceId: string, preKeys: PreKey[]): Promise<void> {
    if (preKeys.length === 0) return;
    await this.preKeys.upsert(tx, deviceId, preKeys);
    if ((await this.preKeys.count(deviceId, tx)) > LIMITS.preKeysPerDevice) {
      throw new AppError('PREKEY_LIMIT_REACHED', `A device holds at most ${LIMITS.preKeysPerDevice} one-time prekeys`);
    }
  }
}

function signed(spk: SignedPreKey) {
  return { signedPreKeyId: spk.keyId, signedPreKey: bytes(spk.publicKey), signedPreKeySignature: bytes(spk.signature) };
}
