import { z } from 'zod';
import { Base64, base64Bytes, Uuid } from './fields.js';
import { LIMITS } from './limits.js';

/** A Curve25519 public key as libsignal serialises it: 33 bytes (type byte + 32), base64. */
export const PublicKey = Base64.refine((s) => base64Bytes(s) === 33, 'Must be a 33-byte public key');
/** An XEdDSA signature: 64 bytes, base64. */
export const Signature = Base64.refine((s) => base64Bytes(s) === 64, 'Must be a 64-byte signature');

const KeyId = z.number().int().min(0).max(0xffffff);
/** Signal registration ids: 14-bit, 1…16380 (what Signal's own clients make and accept). */
export const REGISTRATION_ID_MAX = 16380;
export const RegistrationId = z.number().int().min(1).max(REGISTRATION_ID_MAX);

export const PreKey = z.strictObject({ keyId: KeyId, publicKey: PublicKey });
export type PreKey = z.infer<typeof PreKey>;

export const SignedPreKey = z.strictObject({ keyId: KeyId, publicKey: PublicKey, signature: Signature });
export type SignedPreKey = z.infer<typeof SignedPreKey>;

const PreKeyBatch = z.array(PreKey).max(LIMITS.preKeysPerUpload);

/** A device's keys, uploaded once after sign-in. The identity key of a device never changes. */
export const UploadKeysRequest = z.strictObject({
  registrationId: RegistrationId,
  identityKey: PublicKey,
  signedPreKey: SignedPreKey,
  preKeys: PreKeyBatch,
});
export type UploadKeysRequest = z.infer<typeof UploadKeysRequest>;

export const ReplaceSignedPreKeyRequest = z.strictObject({ signedPreKey: SignedPreKey });
export type ReplaceSignedPreKeyRequest = z.infer<typeof ReplaceSignedPreKeyRequest>;

export const AddPreKeysRequest = z.strictObject({ preKeys: PreKeyBatch.min(1) });
export type AddPreKeysRequest = z.infer<typeof AddPreKeysRequest>;

export const PreKeyCount = z.object({ count: z.number().int() });
export type PreKeyCount = z.infer<typeof PreKeyCount>;

/** What a sender needs to open a session with one device. */
export const DeviceBundle = z.object({
  deviceId: Uuid,
  registrationId: RegistrationId,
  identityKey: PublicKey,
  signedPreKey: SignedPreKey,
  /** Handed out once only; null when the device has none left. */
  preKey: PreKey.nullable(),
});
export type DeviceBundle = z.infer<typeof DeviceBundle>;

/** Bundles for every device of a user that can receive (the caller's own device excluded). */
export const UserBundles = z.object({ userId: Uuid, devices: z.array(DeviceBundle) });
export type UserBundles = z.infer<typeof UserBundles>;

export const UserIdParams = z.strictObject({ userId: Uuid });
