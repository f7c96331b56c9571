import { createHash, randomInt } from 'node:crypto';
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
import type { Pin } from '../store/pins.js';
import { Mutex } from './mutex.js';
import { type ProtocolRepositories, ProtocolStore, toArrayBuffer, toBuffer } from './protocol-store.js';

const b64 = (b: ArrayBuffer | Uint8Array) => toBuffer(b).toString('base64');
const fromB64 = (s: string) => toArrayBuffer(Buffer.from(s, 'base64'));
const address = (deviceId: string) => new SignalProtocolAddress(deviceId, 1);

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

/** Decrypts one message of a page and opens its plaintext (see `SignalService.decryptPage`). */
export type PageDecrypt = <T>(
  senderUserId: string,
  senderDeviceId: string,
  ciphertext: Ciphertext,
  open: (plaintext: Uint8Array) => T,
) => Promise<T>;

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
    private readonly repos: ProtocolRepositories,
    private readonly onIdentityChange: (change: IdentityChange) => void,
  ) {
    this.store = new ProtocolStore(repos);
  }

  /** New device: identity, registration id, signed prekey and a first batch of one-time prekeys. */
  async createDeviceKeys(): Promise<UploadKeysRequest> {
    const identity = await KeyHelper.generateIdentityKeyPair();
    const registrationId = newRegistrationId();
    this.repos.transaction(() => {
      // A store kept from an earlier device of this account (signed out by the server): its own
      // keys and sessions belong to that device; what it learned of others (pins) stays.
      this.repos.signalKeys.clear();
      this.repos.kv.resetIdentity({ pub: b64(identity.pubKey), priv: b64(identity.privKey) }, registrationId);
    });
    return {
      registrationId,
      identityKey: b64(identity.pubKey),
      signedPreKey: await this.newSignedPreKey(),
      preKeys: await this.newPreKeys(PREKEY_BATCH),
    };
  }

  async newPreKeys(count: number): Promise<PreKey[]> {
    const first = this.repos.kv.nextPreKeyId();
    const keys: PreKey[] = [];
    for (let i = 0; i < count; i++) {
      const keyId = ((first + i - 1) % 0xfffffe) + 1;
      const pk = await KeyHelper.generatePreKey(keyId);
      await this.store.storePreKey(keyId, pk.keyPair);
      keys.push({ keyId, publicKey: b64(pk.keyPair.pubKey) });
    }
    this.repos.kv.setNextPreKeyId(first + count);
    return keys;
  }

  async newSignedPreKey(): Promise<SignedPreKey> {
    const identity = await this.store.getIdentityKeyPair();
    if (!identity) throw new Error('no identity key yet');
    const keyId = (this.repos.signalKeys.lastSignedPreKey().id ?? 0) + 1;
    const signed = await KeyHelper.generateSignedPreKey(identity, keyId);
    // The previous one stays for messages already on their way; older ones go.
    this.repos.signalKeys.addSignedPreKey(
      keyId,
      { publicKey: toBuffer(signed.keyPair.pubKey), privateKey: toBuffer(signed.keyPair.privKey) },
      toBuffer(signed.signature),
    );
    return { keyId, publicKey: b64(signed.keyPair.pubKey), signature: b64(signed.signature) };
  }

  signedPreKeyAge(): number {
    const { at } = this.repos.signalKeys.lastSignedPreKey();
    return at === null ? Number.POSITIVE_INFINITY : Date.now() - at;
  }

  hasSession(deviceId: string): Promise<boolean> {
    return this.store.loadSession(address(deviceId).toString()).then(Boolean);
  }

  /** Devices of a user we have met and the server still lists (with sessions or not). */
  knownDevices(userId: string): string[] {
    return this.repos.pins.listedDevices(userId);
  }

  /** The registration id a device last showed (0 when unknown), for the envelopes to it. */
  registrationId(deviceId: string): number {
    return this.repos.pins.registrationId(deviceId);
  }

  /**
   * Opens a session from a bundle. A device new to us is pinned (a notice if the user had other
   * devices); a known device with another key is recorded as a key change and refused.
   */
  processBundle(userId: string, bundle: DeviceBundle): Promise<void> {
    return this.lock.run(async () => {
      const key = Buffer.from(bundle.identityKey, 'base64');
      const pin = this.pinOf(userId, bundle.deviceId);
      if (pin && !pin.identityKey.equals(key)) {
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
   * Decrypts one message (a page of one) and opens it with `open`. Throws, and changes nothing,
   * when it cannot be decrypted or opened, or is refused (see `decryptPage`).
   */
  decrypt<T>(
    senderUserId: string,
    senderDeviceId: string,
    ciphertext: Ciphertext,
    open: (plaintext: Uint8Array) => T,
  ): Promise<T> {
    return this.decryptPage(async (decrypt) => {
      const opened = await decrypt(senderUserId, senderDeviceId, ciphertext, open);
      return () => opened;
    });
  }

  /**
   * Decrypts a page of messages and commits it at once. `work` decrypts each message with
   * `decrypt` and returns what to write with them; the session state the page advanced, the pins
   * of devices new to us and those writes are committed in one SQLite transaction. Protocol writes
   * are buffered across the page, so a message sees the session (and pin) an earlier one of the
   * page advanced. A message that cannot be decrypted, or whose plaintext `open` rejects, throws
   * from `decrypt` and leaves nothing of itself in the page. A session-opening message showing
   * another key than the one pinned for its device is refused before libsignal sees it
   * (IDENTITY_UNTRUSTED), and only recorded as a key change. Nothing of the page is stored if
   * `work` or the commit throws.
   */
  decryptPage<T>(work: (decrypt: PageDecrypt) => Promise<() => T>): Promise<T> {
    return this.lock.run(async () => {
      const newPins = new Map<string, Pin>();
      const pinning: (() => IdentityChange | null)[] = [];
      const decrypt: PageDecrypt = async (senderUserId, senderDeviceId, ciphertext, open) => {
        const bytes = Buffer.from(ciphertext.content, 'base64');
        const cipher = new SessionCipher(this.store, address(senderDeviceId));
        const pin = this.pinOf(senderUserId, senderDeviceId, newPins);
        let shown: { key: Buffer; registrationId: number } | null = null;
        if (ciphertext.type === 'prekey') {
          const proto = PreKeyWhisperMessage.decode(bytes.subarray(1));
          shown = { key: Buffer.from(proto.identityKey), registrationId: proto.registrationId };
          if (pin && !pin.identityKey.equals(shown.key)) {
            this.keyChanged(senderUserId, senderDeviceId, shown.key, true);
            throw new CoreError('IDENTITY_UNTRUSTED', 'Refused: the message shows another key than the one pinned', {
              userId: senderUserId,
            });
          }
        } else if (!pin) {
          throw new Error('a whisper message from a device without a session');
        }
        const savepoint = this.store.savepoint();
        let opened: ReturnType<typeof open>;
        try {
          const plaintext =
            ciphertext.type === 'prekey'
              ? await cipher.decryptPreKeyWhisperMessage(bytes.toString('binary'), 'binary')
              : await cipher.decryptWhisperMessage(bytes.toString('binary'), 'binary');
          opened = open(new Uint8Array(plaintext));
        } catch (error) {
          this.store.rollbackTo(savepoint);
          throw error;
        }
        if (shown) {
          const { key, registrationId } = shown;
          if (!pin) newPins.set(senderDeviceId, { userId: senderUserId, identityKey: key, removedAt: null });
          pinning.push(() => this.pin(senderUserId, senderDeviceId, key, registrationId, pin));
        }
        return opened;
      };
      this.store.begin();
      let write: () => T;
      try {
        write = await work(decrypt);
      } catch (error) {
        this.store.rollback();
        throw error;
      }
      let result: T | undefined;
      const added: IdentityChange[] = [];
      this.store.commit(() => {
        for (const pinDevice of pinning) {
          const change = pinDevice();
          if (change) added.push(change);
        }
        result = write();
      });
      for (const change of added) this.onIdentityChange(change);
      return result as T;
    });
  }

  /** Forgets a device's session (revoked, or no longer listed by the server); its pin stays. */
  forgetDevice(deviceId: string): void {
    this.store.removeSession(address(deviceId).toString());
    this.repos.pins.unlist(deviceId, new Date().toISOString());
  }

  /** A key change of a user waits for the user's decision. */
  hasUnacceptedChange(userId: string): boolean {
    return this.repos.pins.hasPendingChange(userId);
  }

  /** Key changes waiting for the user's decision, mine included. */
  pendingChanges(): IdentityChange[] {
    return this.repos.pins.pendingChanges();
  }

  /** The user has compared safety numbers: trust the new keys, rebuild sessions with them. */
  acceptChanges(userId: string): void {
    const { pins } = this.repos;
    this.repos.transaction(() => {
      for (const change of pins.pendingKeys(userId)) {
        pins.replaceKey(change.deviceId, change.newIdentityKey);
        this.store.removeSession(address(change.deviceId).toString());
      }
      pins.markAccepted(userId);
    });
  }

  /** The user keeps the pinned keys: the changed ones stay refused, without asking again. */
  rejectChanges(userId: string): void {
    this.repos.pins.markRejected(userId);
  }

  /**
   * Whether I marked this user's safety number verified and their keys are still the ones I
   * verified: any key change (a device's new key accepted, a device added or gone) undoes it.
   */
  isVerified(userId: string): boolean {
    const verified = this.repos.pins.verifiedDigest(userId);
    return !!verified && !this.hasUnacceptedChange(userId) && verified.equals(this.keysDigest(userId));
  }

  /** Marks the user's current keys verified (after comparing safety numbers), or clears it. */
  setVerified(userId: string, verified: boolean): void {
    if (verified && this.hasUnacceptedChange(userId))
      throw new CoreError('IDENTITY_UNTRUSTED', 'Decide on the changed key first', { userId });
    this.repos.pins.setVerified(userId, verified ? this.keysDigest(userId) : null, new Date().toISOString());
  }

  private keysDigest(userId: string): Buffer {
    const hash = createHash('sha256');
    for (const key of this.repos.pins.listedKeys(userId, false).sort(Buffer.compare)) hash.update(key);
    return hash.digest();
  }

  /**
   * 60 digits over both users' device identity keys; equal on both sides unless someone is in
   * between. `withPendingKeys`: as it would be once the pending key changes are accepted.
   */
  async safetyNumber(myUserId: string, peerUserId: string, withPendingKeys = false): Promise<string> {
    const own = await this.store.getIdentityKeyPair();
    const keysOf = (userId: string) => this.repos.pins.listedKeys(userId, withPendingKeys);
    const combined = (keys: Buffer[]) => toArrayBuffer(Buffer.concat([...keys].sort(Buffer.compare)));
    const mine = combined([...keysOf(myUserId), toBuffer(own?.pubKey ?? new ArrayBuffer(0))]);
    const theirs = combined(keysOf(peerUserId));
    const digits = await new FingerprintGenerator(5200).createFor(myUserId, mine, peerUserId, theirs);
    return digits.match(/.{5}/g)?.join(' ') ?? digits;
  }

  /**
   * The pin of a device (among `unstored`, the pins of a page not yet committed, or stored),
   * checked to belong to the user the server says sent it.
   */
  private pinOf(userId: string, deviceId: string, unstored?: Map<string, Pin>): Pin | undefined {
    const pin = unstored?.get(deviceId) ?? this.repos.pins.pin(deviceId);
    if (pin && pin.userId !== userId) throw new Error('a device id shown by two users');
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
    const { pins } = this.repos;
    if (known) {
      pins.relist(deviceId, registrationId);
      return null;
    }
    const hadDevices = this.knownDevices(userId).length > 0;
    const at = new Date().toISOString();
    pins.add(userId, deviceId, identityKey, registrationId, at);
    if (!hadDevices) return null;
    pins.recordDeviceAdded(userId, deviceId, at);
    return { userId, deviceId, kind: 'device_added', at, refusedMessages: 0 };
  }

  /**
   * A known device shows another key: recorded once per key as a pending change (the pin stays),
   * counting the messages refused from it, and surfaced unless the user already rejected that key.
   */
  private keyChanged(userId: string, deviceId: string, newKey: Buffer, refusedMessage: boolean): void {
    const { pins } = this.repos;
    const recorded = pins.keyChange(deviceId, newKey);
    const refusedMessages = (recorded?.refusedMessages ?? 0) + (refusedMessage ? 1 : 0);
    const at = recorded?.at ?? new Date().toISOString();
    if (recorded) {
      pins.setRefusedMessages(recorded.id, refusedMessages);
      if (recorded.rejected) return;
    } else {
      pins.recordKeyChange(userId, deviceId, newKey, at, refusedMessages);
    }
    this.onIdentityChange({ userId, deviceId, kind: 'key_changed', at, refusedMessages });
  }
}
