import { Inject, Injectable } from '@nestjs/common';
import {
  type DeviceBundle,
  LIMITS,
  type PreKey,
  SERVER_EVENTS,
  type SignedPreKey,
  type UploadKeysRequest,
  type UserBundles,
} from '@parley/shared';
import { DataSource, type EntityManager, IsNull, Not } from 'typeorm';
import { DeviceEntity, OneTimePreKeyEntity, UserEntity } from '../database/entities.js';
import { Realtime } from '../gateway/realtime.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { signedPreKeyIsValid } from './signatures.js';

const bytes = (base64: string) => Buffer.from(base64, 'base64');
const b64 = (buffer: Buffer) => buffer.toString('base64');

/** A signed prekey must be signed by the device's identity key: a bad one would break every session set up with it. */
async function checkSignature(identityKey: Buffer, signedPreKey: SignedPreKey): Promise<void> {
  if (!(await signedPreKeyIsValid(identityKey, bytes(signedPreKey.publicKey), bytes(signedPreKey.signature)))) {
    throw new AppError('INVALID_SIGNATURE', "The signed prekey's signature does not verify with the identity key");
  }
}

/** Devices that can receive: signed in and with keys uploaded. */
export const RECEIVING_DEVICE = { revokedAt: IsNull(), identityKey: Not(IsNull()) } as const;

@Injectable()
export class KeysService {
  constructor(
    private readonly db: DataSource,
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
      await tx.update(
        DeviceEntity,
        { id: device.id },
        { registrationId: input.registrationId, identityKey, ...signed(input.signedPreKey) },
      );
      await this.insertPreKeys(tx, device.id, input.preKeys);
    });
  }

  async replaceSignedPreKey(caller: Caller, signedPreKey: SignedPreKey): Promise<void> {
    await this.db.transaction(async (tx) => {
      const device = await this.lockDevice(tx, caller.deviceId, true);
      await checkSignature(device.identityKey as Buffer, signedPreKey);
      await tx.update(DeviceEntity, { id: caller.deviceId }, signed(signedPreKey));
    });
  }

  async addPreKeys(caller: Caller, preKeys: PreKey[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.lockDevice(tx, caller.deviceId, true);
      await this.insertPreKeys(tx, caller.deviceId, preKeys);
    });
  }

  count(caller: Caller): Promise<number> {
    return this.db.getRepository(OneTimePreKeyEntity).countBy({ deviceId: caller.deviceId });
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
    if (!(await this.db.getRepository(UserEntity).existsBy({ id: userId })))
      throw new AppError('USER_NOT_FOUND', 'No such user');
    const devices = (
      await this.db
        .getRepository(DeviceEntity)
        .find({ where: { userId, ...RECEIVING_DEVICE }, order: { createdAt: 'ASC' } })
    ).filter((d) => d.id !== caller.deviceId);
    const bundles: DeviceBundle[] = [];
    const low: string[] = [];
    for (const device of devices) {
      const [taken]: { key_id: number; public_key: Buffer; remaining: string }[] = await this.db.query(
        `WITH taken AS (
           DELETE FROM one_time_prekeys WHERE (device_id, key_id) = (
             SELECT device_id, key_id FROM one_time_prekeys WHERE device_id = $1
             ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING key_id, public_key)
         SELECT key_id, public_key, (SELECT count(*) FROM one_time_prekeys WHERE device_id = $1) - 1 AS remaining FROM taken`,
        [device.id],
      );
      if (!taken || Number(taken.remaining) < LIMITS.preKeyLowWater) low.push(device.id);
      bundles.push({
        deviceId: device.id,
        registrationId: device.registrationId as number,
        identityKey: b64(device.identityKey as Buffer),
        signedPreKey: {
          keyId: device.signedPreKeyId as number,
          publicKey: b64(device.signedPreKey as Buffer),
          signature: b64(device.signedPreKeySignature as Buffer),
        },
        preKey: taken ? { keyId: taken.key_id, publicKey: b64(taken.public_key) } : null,
      });
    }
    this.realtime.toDevices(low, SERVER_EVENTS.keysLow, {});
    return { userId, devices: bundles };
  }

  private async lockDevice(tx: EntityManager, deviceId: string, requireKeys = false): Promise<DeviceEntity> {
    const device = await tx
      .getRepository(DeviceEntity)
      .findOne({ where: { id: deviceId }, lock: { mode: 'pessimistic_write' } });
    if (!device) throw new AppError('SESSION_REVOKED', 'This device has been signed out');
    if (requireKeys && !device.identityKey)
      throw new AppError('KEYS_NOT_UPLOADED', 'Upload the device keys first (PUT /keys)');
    return device;
  }

  private async insertPreKeys(tx: EntityManager, deviceId: string, preKeys: PreKey[]): Promise<void> {
    if (preKeys.length === 0) return;
    await tx
      .createQueryBuilder()
      .insert()
      .into(OneTimePreKeyEntity)
      .values(preKeys.map((k) => ({ deviceId, keyId: k.keyId, publicKey: bytes(k.publicKey) })))
      .orUpdate(['public_key'], ['device_id', 'key_id'])
      .execute();
    if ((await tx.countBy(OneTimePreKeyEntity, { deviceId })) > LIMITS.preKeysPerDevice) {
      throw new AppError('PREKEY_LIMIT_REACHED', `A device holds at most ${LIMITS.preKeysPerDevice} one-time prekeys`);
    }
  }
}

function signed(spk: SignedPreKey) {
  return { signedPreKeyId: spk.keyId, signedPreKey: bytes(spk.publicKey), signedPreKeySignature: bytes(spk.signature) };
}
