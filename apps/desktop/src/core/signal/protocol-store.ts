import type { Direction, KeyPairType, StorageType } from '@privacyresearch/libsignal-protocol-typescript';
import type { KvRepository } from '../store/kv.js';
import type { Transaction } from '../store/local-store.js';
import type { PinsRepository } from '../store/pins.js';
import type { SignalKeysRepository, StoredKeyPair } from '../store/signal-keys.js';

export const toArrayBuffer = (b: Uint8Array): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
export const toBuffer = (a: ArrayBuffer | Uint8Array): Buffer =>
  Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a));

/** libsignal addresses are `<name>.<number>`; ours are `<device uuid>.1`. */
export const deviceOfAddress = (address: string) => address.slice(0, address.lastIndexOf('.'));

const toKeyPair = (pair: StoredKeyPair | undefined): KeyPairType | undefined =>
  pair && { pubKey: toArrayBuffer(pair.publicKey), privKey: toArrayBuffer(pair.privateKey) };
const toStored = (pair: KeyPairType): StoredKeyPair => ({
  publicKey: toBuffer(pair.pubKey),
  privateKey: toBuffer(pair.privKey),
});

const DELETED = Symbol('deleted');
type Pending = Map<string, { value: unknown; apply: () => void }>;

/** The repositories the protocol store reads and writes. */
export interface ProtocolRepositories {
  kv: KvRepository;
  signalKeys: SignalKeysRepository;
  pins: PinsRepository;
  transaction: Transaction;
}

/** What was buffered at some point, to return to (`rollbackTo`) if what follows fails. */
export type Savepoint = Pending;

/**
 * libsignal's protocol store on the encrypted local database. Between `begin()` and `commit()`
 * writes are held in memory (and read back from there), so the session state a page of
 * decryptions advanced is written in the same SQLite transaction as the messages they produced: a
 * crash can lose neither without the other. Callers serialise protocol work (see `SignalService`),
 * so one buffer exists at a time.
 */
export class ProtocolStore implements StorageType {
  private pending: Pending | null = null;

  constructor(private readonly store: ProtocolRepositories) {}

  begin(): void {
    this.pending = new Map();
  }

  /** Writes what was buffered, plus `alsoInTransaction`, atomically. */
  commit(alsoInTransaction: () => void = () => {}): void {
    const pending = this.pending;
    this.pending = null;
    this.store.transaction(() => {
      for (const { apply } of pending?.values() ?? []) apply();
      alsoInTransaction();
    });
  }

  rollback(): void {
    this.pending = null;
  }

  savepoint(): Savepoint {
    return new Map(this.pending ?? []);
  }

  /** Drops what was buffered since `savepoint` (one message of a page that failed). */
  rollbackTo(savepoint: Savepoint): void {
    if (this.pending) this.pending = savepoint;
  }

  // Our identity and registration id (kept in kv by SignalService).
  getIdentityKeyPair = async (): Promise<KeyPairType | undefined> => {
    const own = this.store.kv.identityKeyPair();
    return (
      own && {
        pubKey: toArrayBuffer(Buffer.from(own.pub, 'base64')),
        privKey: toArrayBuffer(Buffer.from(own.priv, 'base64')),
      }
    );
  };

  getLocalRegistrationId = async (): Promise<number | undefined> => this.store.kv.registrationId();

  /**
   * Trusted when the device is new to us or shows its pinned key, whichever the direction. Not
   * every libsignal path awaits this, so `SignalService` checks first; this is the second line.
   */
  isTrustedIdentity = async (deviceId: string, identityKey: ArrayBuffer, _direction: Direction): Promise<boolean> => {
    const known = this.store.pins.pin(deviceId)?.identityKey;
    return !known || known.equals(toBuffer(identityKey));
  };

  /**
   * Writes nothing: pins are `SignalService`'s, written once a session is built or a message
   * decrypts, and replaced only by the user. (libsignal calls this without awaiting it when it
   * encrypts, so it must not throw either.) True when the key differs from the pin.
   */
  saveIdentity = async (address: string, identityKey: ArrayBuffer): Promise<boolean> => {
    const known = this.store.pins.pin(deviceOfAddress(address))?.identityKey;
    return known !== undefined && !known.equals(toBuffer(identityKey));
  };

  loadPreKey = async (keyId: string | number): Promise<KeyPairType | undefined> => {
    if (this.read(`prekey:${keyId}`) === DELETED) return undefined;
    return toKeyPair(this.store.signalKeys.preKey(Number(keyId)));
  };

  storePreKey = async (keyId: string | number, pair: KeyPairType): Promise<void> => {
    this.store.signalKeys.putPreKey(Number(keyId), toStored(pair));
  };

  removePreKey = async (keyId: string | number): Promise<void> => {
    this.write(`prekey:${keyId}`, DELETED, () => this.store.signalKeys.removePreKey(Number(keyId)));
  };

  loadSession = async (address: string): Promise<string | undefined> => {
    const buffered = this.read(`session:${address}`);
    if (buffered !== undefined) return buffered === DELETED ? undefined : (buffered as string);
    return this.store.signalKeys.session(address);
  };

  storeSession = async (address: string, record: string): Promise<void> => {
    this.write(`session:${address}`, record, () => this.store.signalKeys.putSession(address, record));
  };

  removeSession(address: string): void {
    this.store.signalKeys.removeSession(address);
  }

  loadSignedPreKey = async (keyId: string | number): Promise<KeyPairType | undefined> =>
    toKeyPair(this.store.signalKeys.signedPreKey(Number(keyId)));

  storeSignedPreKey = async (keyId: string | number, pair: KeyPairType): Promise<void> => {
    // The signature is stored by SignalService, which created it.
    this.store.signalKeys.keepSignedPreKey(Number(keyId), toStored(pair));
  };

  removeSignedPreKey = async (keyId: string | number): Promise<void> => {
    this.store.signalKeys.removeSignedPreKey(Number(keyId));
  };

  private read(key: string): unknown {
    return this.pending?.get(key)?.value;
  }

  /** Applies now, or at commit while a buffer is open. */
  private write(key: string, value: unknown, apply: () => void): void {
    if (this.pending) this.pending.set(key, { value, apply });
    else apply();
  }
}
