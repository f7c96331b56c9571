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

/** A key change waiting for the user's decision (SQL over identity_changes). */
const PENDING = "kind = 'key_changed' AND accepted = 0 AND rejected = 0";

const untrusted = (userId: string) =>
  new CoreError('IDENTITY_UNTRUSTED', 'A safety number has changed; review it before sending', { userId });

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

/** A device's pinned identity key (`peer_devices`). */
interface Pin {
  user_id: string;
  identity_key: Buffer;
  /** Set when the server stopped listing the device: the pin stays, its session goes. */
  removed_at: string | null;
}

/**
 * The one interface of ours over libsignal: device keys, sessions, encrypt for a device,
 * decrypt from a device, and identity tracking. Every protocol operation runs under one mutex.
 *
 * Pins are ours, not libsignal's: a device's identity key is pinned the first time a session with
 * it is built (from its bundle) or a message from it decrypts, and only the user replaces it
 * (`acceptChanges`). libsignal-protocol-typescript 0.0.16 does not await `isTrustedIdentity` when
 * it processes an incoming PreKeyWhisperMessage, so `decrypt` reads the sender's identity key out
 * of the message and refuses a changed one before libsignal sees the message.
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

  /** Devices of a user we have met and the server still lists (with sessions or not). */
  knownDevices(userId: string): string[] {
    return (
      this.db.prepare('SELECT device_id FROM peer_devices WHERE user_id = ? AND removed_at IS NULL').all(userId) as {
        device_id: string;
      }[]
    ).map((r) => r.device_id);
  }

  /**
   * Opens a session from a bundle. A device new to us is pinned (a notice if the user had other
   * devices); a known device with another key is recorded as a key change and refused.
   */
  processBundle(userId: string, bundle: DeviceBundle): Promise<void> {
    return this.lock.run(async () => {
      const key = Buffer.from(bundle.identityKey, 'base64');
      const pin = this.pinOf(userId, bundle.deviceId);
      if (pin && !pin.identity_key.equals(key)) {
        this.keyChanged(userId, bundle.deviceId, key, false);
        throw untrusted(userId);
      }
      this.store.begin();
      try {
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
      } catch (error) {
        this.store.rollback();
        throw error;
      }
      let added: IdentityChange | null = null;
      this.store.commit(() => {
        added = this.pin(userId, bundle.deviceId, key, bundle.registrationId, pin);
      });
      if (added) this.onIdentityChange(added);
    });
  }

  /** Refuses (IDENTITY_UNTRUSTED) while a key change of one of these users waits for the user's decision. */
  assertTrusted(...userIds: string[]): void {
    for (const userId of userIds) if (this.hasUnacceptedChange(userId)) throw untrusted(userId);
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
   * session state (and, for a device new to us, its pin). Throws (and changes nothing) if the
   * message cannot be decrypted; a session-opening message showing another key than the one
   * pinned for its device is refused before libsignal sees it (IDENTITY_UNTRUSTED), and only
   * recorded as a key change.
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
      const pin = this.pinOf(senderUserId, senderDeviceId);
      let shown: { key: Buffer; registrationId: number } | null = null;
      if (ciphertext.type === 'prekey') {
        const proto = PreKeyWhisperMessage.decode(bytes.subarray(1));
        shown = { key: Buffer.from(proto.identityKey), registrationId: proto.registrationId };
        if (pin && !pin.identity_key.equals(shown.key)) {
          this.keyChanged(senderUserId, senderDeviceId, shown.key, true);
          throw new CoreError('IDENTITY_UNTRUSTED', 'Refused: the message shows another key than the one pinned', {
            userId: senderUserId,
          });
        }
      } else if (!pin) {
        throw new Error('a whisper message from a device without a session');
      }
      this.store.begin();
      let plaintext: ArrayBuffer;
      try {
        plaintext =
          ciphertext.type === 'prekey'
            ? await cipher.decryptPreKeyWhisperMessage(bytes.toString('binary'), 'binary')
            : await cipher.decryptWhisperMessage(bytes.toString('binary'), 'binary');
      } catch (error) {
        this.store.rollback();
        throw error;
      }
      let result: T | undefined;
      let added: IdentityChange | null = null;
      this.store.commit(() => {
        if (shown) added = this.pin(senderUserId, senderDeviceId, shown.key, shown.registrationId, pin);
        result = store(new Uint8Array(plaintext));
      });
      if (added) this.onIdentityChange(added);
      return result as T;
    });
  }

  /** Forgets a device's session (revoked, or no longer listed by the server); its pin stays. */
  forgetDevice(deviceId: string): void {
    this.store.removeSession(address(deviceId).toString());
    this.db
      .prepare('UPDATE peer_devices SET removed_at = ? WHERE device_id = ? AND removed_at IS NULL')
      .run(new Date().toISOString(), deviceId);
  }

  /** A key change of a user waits for the user's decision. */
  hasUnacceptedChange(userId: string): boolean {
    return !!this.db.prepare(`SELECT 1 FROM identity_changes WHERE user_id = ? AND ${PENDING}`).get(userId);
  }

  /** Key changes waiting for the user's decision, mine included. */
  pendingChanges(): IdentityChange[] {
    return (
      this.db
        .prepare(`SELECT user_id, device_id, at, refused_messages FROM identity_changes WHERE ${PENDING} ORDER BY id`)
        .all() as { user_id: string; device_id: string; at: string; refused_messages: number }[]
    ).map((r) => ({
      userId: r.user_id,
      deviceId: r.device_id,
      kind: 'key_changed',
      at: r.at,
      refusedMessages: r.refused_messages,
    }));
  }

  /** The user has compared safety numbers: trust the new keys, rebuild sessions with them. */
  acceptChanges(userId: string): void {
    const changes = this.db
      .prepare(`SELECT device_id, new_identity_key FROM identity_changes WHERE user_id = ? AND ${PENDING} ORDER BY id`)
      .all(userId) as { device_id: string; new_identity_key: Buffer }[];
    this.db.transaction(() => {
      for (const change of changes) {
        this.db
          .prepare('UPDATE peer_devices SET identity_key = ? WHERE device_id = ?')
          .run(change.new_identity_key, change.device_id);
        this.store.removeSession(address(change.device_id).toString());
      }
      this.db.prepare(`UPDATE identity_changes SET accepted = 1 WHERE user_id = ? AND ${PENDING}`).run(userId);
    })();
  }

  /** The user keeps the pinned keys: the changed ones stay refused, without asking again. */
  rejectChanges(userId: string): void {
    this.db.prepare(`UPDATE identity_changes SET rejected = 1 WHERE user_id = ? AND ${PENDING}`).run(userId);
  }

  /**
   * 60 digits over both users' device identity keys; equal on both sides unless someone is in
   * between. `withPendingKeys`: as it would be once the pending key changes are accepted.
   */
  async safetyNumber(myUserId: string, peerUserId: string, withPendingKeys = false): Promise<string> {
    const own = await this.store.getIdentityKeyPair();
    const key = withPendingKeys
      ? `coalesce((SELECT new_identity_key FROM identity_changes c WHERE c.device_id = d.device_id AND ${PENDING}
           ORDER BY c.id DESC LIMIT 1), d.identity_key)`
      : 'd.identity_key';
    const keysOf = (userId: string) =>
      (
        this.db
          .prepare(`SELECT ${key} AS identity_key FROM peer_devices d WHERE user_id = ? AND removed_at IS NULL`)
          .all(userId) as { identity_key: Buffer }[]
      ).map((r) => r.identity_key);
    const combined = (keys: Buffer[]) => toArrayBuffer(Buffer.concat([...keys].sort(Buffer.compare)));
    const mine = combined([...keysOf(myUserId), toBuffer(own?.pubKey ?? new ArrayBuffer(0))]);
    const theirs = combined(keysOf(peerUserId));
    const digits = await new FingerprintGenerator(5200).createFor(myUserId, mine, peerUserId, theirs);
    return digits.match(/.{5}/g)?.join(' ') ?? digits;
  }

  /** The pin of a device, checked to belong to the user the server says sent it. */
  private pinOf(userId: string, deviceId: string): Pin | undefined {
    const pin = this.db
      .prepare('SELECT user_id, identity_key, removed_at FROM peer_devices WHERE device_id = ?')
      .get(deviceId) as Pin | undefined;
    if (pin && pin.user_id !== userId) throw new Error('a device id shown by two users');
    return pin;
  }

  /**
   * Pins a device's key after a session with it was built or a message from it decrypted (the
   * key equals the pin, if any); a device the server had stopped listing is listed again.
   * Returns the `device_added` change to announce, if any.
   */
  private pin(
    userId: string,
    deviceId: string,
    identityKey: Buffer,
    registrationId: number,
    known: Pin | undefined,
  ): IdentityChange | null {
    if (known) {
      this.db
        .prepare('UPDATE peer_devices SET removed_at = NULL, registration_id = ? WHERE device_id = ?')
        .run(registrationId, deviceId);
      return null;
    }
    const hadDevices = this.knownDevices(userId).length > 0;
    const at = new Date().toISOString();
    this.db
      .prepare(
        'INSERT INTO peer_devices (device_id, user_id, identity_key, registration_id, first_seen_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(deviceId, userId, identityKey, registrationId, at);
    if (!hadDevices) return null;
    this.db
      .prepare("INSERT INTO identity_changes (user_id, device_id, kind, at) VALUES (?, ?, 'device_added', ?)")
      .run(userId, deviceId, at);
    return { userId, deviceId, kind: 'device_added', at, refusedMessages: 0 };
  }

  /**
   * A known device shows another key: recorded once per key as a pending change (the pin stays),
   * counting the messages refused from it, and surfaced unless the user already rejected that key.
   */
  private keyChanged(userId: string, deviceId: string, newKey: Buffer, refusedMessage: boolean): void {
    const recorded = this.db
      .prepare(
        "SELECT id, at, rejected, refused_messages FROM identity_changes WHERE device_id = ? AND new_identity_key = ? AND kind = 'key_changed' AND accepted = 0",
      )
      .get(deviceId, newKey) as { id: number; at: string; rejected: number; refused_messages: number } | undefined;
    const refusedMessages = (recorded?.refused_messages ?? 0) + (refusedMessage ? 1 : 0);
    const at = recorded?.at ?? new Date().toISOString();
    if (recorded) {
      this.db
        .prepare('UPDATE identity_changes SET refused_messages = ? WHERE id = ?')
        .run(refusedMessages, recorded.id);
      if (recorded.rejected) return;
    } else {
      this.db
        .prepare(
          "INSERT INTO identity_changes (user_id, device_id, kind, new_identity_key, at, refused_messages) VALUES (?, ?, 'key_changed', ?, ?, ?)",
        )
        .run(userId, deviceId, newKey, at, refusedMessages);
    }
    this.onIdentityChange({ userId, deviceId, kind: 'key_changed', at, refusedMessages });
  }
}
