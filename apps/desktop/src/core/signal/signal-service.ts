import { randomInt } from 'node:crypto';
import {
  type CiphertextType,
  type DeviceBundle,
  type IdentityChange,
  type PreKey,
  REGISTRATION_ID_MAX,
  type SignedPreKey,
  type UploadKeysRequest,
} from '@parley/shared';
import { PreKeyWhisperMessage } from '@privacyresearch/libsignal-protocol-protobuf-ts';
import {
  FingerprintGenerator,
  KeyHelper,
  SessionBuilder,
  SessionCipher,
  SignalProtocolAddress,
} from '@privacyresearch/libsignal-protocol-typescript';
import { CoreError } from '../errors.js';
import type { Db } from '../store/database.js';
import { Mutex } from './mutex.js';
import { ProtocolStore, toArrayBuffer, toBuffer } from './protocol-store.js';

const b64 = (b: ArrayBuffer | Uint8Array) => toBuffer(b).toString('base64');
const fromB64 = (s: string) => toArrayBuffer(Buffer.from(s, 'base64'));
const address = (deviceId: string) => new SignalProtocolAddress(deviceId, 1);

/** One-time prekeys generated per batch. */
export const PREKEY_BATCH = 100;
/** A signed prekey older than this is replaced. */
export const SIGNED_PREKEY_MAX_AGE_MS = 7 * 24 * 3600_000;

export interface Ciphertext {
  type: CiphertextType;
  content: string;
}

/**
 * A new device's registration id, 1…REGISTRATION_ID_MAX. Not libsignal-typescript's
 * `generateRegistrationId`: it returns 0…16383, so about one new device in 4,000 had its keys
 * refused by the server (and by other clients).
 */
export function newRegistrationId(): number {
  return randomInt(1, REGISTRATION_ID_MAX + 1);
}

/**
 * The one interface of ours over libsignal: device keys, sessions, encrypt for a device,
 * decrypt from a device, and identity tracking. Every protocol operation runs under one mutex.
 *
 * libsignal-protocol-typescript 0.0.16 does not await `isTrustedIdentity` when it processes an
 * incoming PreKeyWhisperMessage, so it would accept a changed identity silently; `decrypt` reads
 * the sender's identity key out of the message and checks it against what we know first.
 */
export class SignalService {
  private readonly store: ProtocolStore;
  private readonly lock = new Mutex();

  constructor(
    private readonly db: Db,
    private readonly onIdentityChange: (change: IdentityChange) => void,
  ) {
    this.store = new ProtocolStore(db);
  }

  /** New device: identity, registration id, signed prekey and a first batch of one-time prekeys. */
  async createDeviceKeys(): Promise<UploadKeysRequest> {
    const identity = await KeyHelper.generateIdentityKeyPair();
    const registrationId = newRegistrationId();
    this.db.transaction(() => {
      // A store kept from an earlier device of this account (signed out by the server): its own
      // keys and sessions belong to that device; what it learned of others (pins) stays.
      this.db.exec(`DELETE FROM signal_prekeys; DELETE FROM signal_signed_prekeys; DELETE FROM signal_sessions;
        DELETE FROM kv WHERE key = 'nextPreKeyId'`);
      const put = this.db.prepare('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)');
      put.run('identityKeyPair', JSON.stringify({ pub: b64(identity.pubKey), priv: b64(identity.privKey) }));
      put.run('registrationId', String(registrationId));
    })();
    return {
      registrationId,
      identityKey: b64(identity.pubKey),
      signedPreKey: await this.newSignedPreKey(),
      preKeys: await this.newPreKeys(PREKEY_BATCH),
    };
  }

  async newPreKeys(count: number): Promise<PreKey[]> {
    const row = this.db.prepare("SELECT value FROM kv WHERE key = 'nextPreKeyId'").get() as
      | { value: string }
      | undefined;
    const first = row ? Number(row.value) : 1;
    const keys: PreKey[] = [];
    for (let i = 0; i < count; i++) {
      const keyId = ((first + i - 1) % 0xfffffe) + 1;
      const pk = await KeyHelper.generatePreKey(keyId);
      await this.store.storePreKey(keyId, pk.keyPair);
      keys.push({ keyId, publicKey: b64(pk.keyPair.pubKey) });
    }
    this.db.prepare("INSERT OR REPLACE INTO kv (key, value) VALUES ('nextPreKeyId', ?)").run(String(first + count));
    return keys;
  }

  async newSignedPreKey(): Promise<SignedPreKey> {
    const identity = await this.store.getIdentityKeyPair();
    if (!identity) throw new Error('no identity key yet');
    const last = this.db.prepare('SELECT max(key_id) AS id FROM signal_signed_prekeys').get() as { id: number | null };
    const keyId = (last.id ?? 0) + 1;
    const signed = await KeyHelper.generateSignedPreKey(identity, keyId);
    this.db
      .prepare(
        'INSERT INTO signal_signed_prekeys (key_id, public_key, private_key, signature, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        keyId,
        toBuffer(signed.keyPair.pubKey),
        toBuffer(signed.keyPair.privKey),
        toBuffer(signed.signature),
        Date.now(),
      );
    // Keep the previous one for messages already on their way; drop older ones.
    this.db.prepare('DELETE FROM signal_signed_prekeys WHERE key_id < ?').run(keyId - 1);
    return { keyId, publicKey: b64(signed.keyPair.pubKey), signature: b64(signed.signature) };
  }

  signedPreKeyAge(): number {
    const row = this.db.prepare('SELECT max(created_at) AS at FROM signal_signed_prekeys').get() as {
      at: number | null;
    };
    return row.at === null ? Number.POSITIVE_INFINITY : Date.now() - row.at;
  }

  hasSession(deviceId: string): Promise<boolean> {
    return this.store.loadSession(address(deviceId).toString()).then(Boolean);
  }

  /** Devices of a user we have met (with sessions or not). */
  knownDevices(userId: string): string[] {
    return (
      this.db.prepare('SELECT device_id FROM peer_devices WHERE user_id = ?').all(userId) as { device_id: string }[]
    ).map((r) => r.device_id);
  }

  /**
   * Opens a session from a bundle, after checking the device's identity: a device new to us is
   * trusted on first use (a notice if the user had other devices); a known device with another
   * key is recorded as a key change and not used until the user accepts it.
   */
  processBundle(userId: string, bundle: DeviceBundle): Promise<void> {
    return this.lock.run(async () => {
      if (
        !this.checkIdentity(userId, bundle.deviceId, Buffer.from(bundle.identityKey, 'base64'), bundle.registrationId)
      ) {
        throw new CoreError('IDENTITY_UNTRUSTED', 'This contact’s safety number has changed; review it before sending');
      }
      await new SessionBuilder(this.store, address(bundle.deviceId)).processPreKey({
        registrationId: bundle.registrationId,
        identityKey: fromB64(bundle.identityKey),
        signedPreKey: {
          keyId: bundle.signedPreKey.keyId,
          publicKey: fromB64(bundle.signedPreKey.publicKey),
          signature: fromB64(bundle.signedPreKey.signature),
        },
        ...(bundle.preKey
          ? { preKey: { keyId: bundle.preKey.keyId, publicKey: fromB64(bundle.preKey.publicKey) } }
          : {}),
      });
    });
  }

  encrypt(deviceId: string, plaintext: Uint8Array): Promise<Ciphertext> {
    return this.lock.run(async () => {
      const message = await new SessionCipher(this.store, address(deviceId)).encrypt(toArrayBuffer(plaintext));
      // libsignal's body is a binary string (one char per byte): turn it into bytes explicitly.
      return {
        type: message.type === 3 ? 'prekey' : 'whisper',
        content: Buffer.from(message.body ?? '', 'binary').toString('base64'),
      };
    });
  }

  /**
   * Decrypts, then runs `store(plaintext)` in the same database transaction that saves the new
   * session state. Throws (and changes nothing) if the message cannot be decrypted.
   */
  decrypt<T>(
    senderUserId: string,
    senderDeviceId: string,
    ciphertext: Ciphertext,
    store: (plaintext: Uint8Array) => T,
  ): Promise<T> {
    return this.lock.run(async () => {
      const bytes = Buffer.from(ciphertext.content, 'base64');
      const cipher = new SessionCipher(this.store, address(senderDeviceId));
      const owner = this.db.prepare('SELECT user_id FROM peer_devices WHERE device_id = ?').get(senderDeviceId) as
        | { user_id: string }
        | undefined;
      if (owner && owner.user_id !== senderUserId) throw new Error('a device id shown by two users');
      this.store.begin();
      try {
        let plaintext: ArrayBuffer;
        if (ciphertext.type === 'prekey') {
          const proto = PreKeyWhisperMessage.decode(bytes.subarray(1));
          this.checkIdentity(senderUserId, senderDeviceId, Buffer.from(proto.identityKey), proto.registrationId);
          plaintext = await cipher.decryptPreKeyWhisperMessage(bytes.toString('binary'), 'binary');
        } else {
          if (!owner) throw new Error('a whisper message from a device without a session');
          plaintext = await cipher.decryptWhisperMessage(bytes.toString('binary'), 'binary');
        }
        let result: T | undefined;
        this.store.commit(() => {
          result = store(new Uint8Array(plaintext));
        });
        return result as T;
      } catch (error) {
        this.store.rollback();
        throw error;
      }
    });
  }

  /** Forgets a device (revoked, or replaced by the server's view). */
  forgetDevice(deviceId: string): void {
    this.store.removeSession(address(deviceId).toString());
    this.db.prepare('DELETE FROM peer_devices WHERE device_id = ?').run(deviceId);
  }

  /** Pending (unaccepted) key changes of a user. */
  hasUnacceptedChange(userId: string): boolean {
    return !!this.db
      .prepare("SELECT 1 FROM identity_changes WHERE user_id = ? AND kind = 'key_changed' AND accepted = 0")
      .get(userId);
  }

  /** The user has compared safety numbers: trust the new keys, rebuild sessions with them. */
  acceptChanges(userId: string): void {
    const changes = this.db
      .prepare(
        "SELECT device_id, new_identity_key FROM identity_changes WHERE user_id = ? AND kind = 'key_changed' AND accepted = 0",
      )
      .all(userId) as { device_id: string; new_identity_key: Buffer }[];
    this.db.transaction(() => {
      for (const change of changes) {
        this.db
          .prepare('UPDATE peer_devices SET identity_key = ? WHERE device_id = ?')
          .run(change.new_identity_key, change.device_id);
        this.store.removeSession(address(change.device_id).toString());
      }
      this.db.prepare('UPDATE identity_changes SET accepted = 1 WHERE user_id = ?').run(userId);
    })();
  }

  /** 60 digits over both users' device identity keys; equal on both sides unless someone is in between. */
  async safetyNumber(myUserId: string, peerUserId: string): Promise<string> {
    const own = await this.store.getIdentityKeyPair();
    const keysOf = (userId: string) =>
      (
        this.db.prepare('SELECT identity_key FROM peer_devices WHERE user_id = ?').all(userId) as {
          identity_key: Buffer;
        }[]
      ).map((r) => r.identity_key);
    const combined = (keys: Buffer[]) => toArrayBuffer(Buffer.concat([...keys].sort(Buffer.compare)));
    const mine = combined([...keysOf(myUserId), toBuffer(own?.pubKey ?? new ArrayBuffer(0))]);
    const theirs = combined(keysOf(peerUserId));
    const digits = await new FingerprintGenerator(5200).createFor(myUserId, mine, peerUserId, theirs);
    return digits.match(/.{5}/g)?.join(' ') ?? digits;
  }

  /**
   * Records the identity a device shows. Returns false when it differs from the key we trust
   * for that device (a key change, recorded once, surfaced, and blocking until accepted).
   */
  private checkIdentity(
    userId: string,
    deviceId: string,
    identityKey: Buffer,
    registrationId: number | undefined,
  ): boolean {
    const known = this.db.prepare('SELECT user_id, identity_key FROM peer_devices WHERE device_id = ?').get(deviceId) as
      | { user_id: string; identity_key: Buffer }
      | undefined;
    const at = new Date().toISOString();
    if (!known) {
      const hadDevices = this.knownDevices(userId).length > 0;
      this.db
        .prepare(
          'INSERT INTO peer_devices (device_id, user_id, identity_key, registration_id, first_seen_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(deviceId, userId, identityKey, registrationId ?? 0, at);
      if (hadDevices) this.recordChange({ userId, deviceId, kind: 'device_added', at });
      return true;
    }
    if (known.user_id !== userId) throw new Error('a device id shown by two users');
    if (known.identity_key.equals(identityKey)) return true;
    const alreadyRecorded = this.db
      .prepare("SELECT 1 FROM identity_changes WHERE device_id = ? AND new_identity_key = ? AND kind = 'key_changed'")
      .get(deviceId, identityKey);
    if (!alreadyRecorded) this.recordChange({ userId, deviceId, kind: 'key_changed', at }, identityKey);
    return false;
  }

  private recordChange(change: IdentityChange, newKey?: Buffer): void {
    this.db
      .prepare('INSERT INTO identity_changes (user_id, device_id, kind, new_identity_key, at) VALUES (?, ?, ?, ?, ?)')
      .run(change.userId, change.deviceId, change.kind, newKey ?? null, change.at);
    this.onIdentityChange(change);
  }
}
