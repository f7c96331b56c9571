import type { Direction, KeyPairType, StorageType } from '@privacyresearch/libsignal-protocol-typescript';
import type { Db } from '../store/database.js';

export const toArrayBuffer = (b: Uint8Array): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
export const toBuffer = (a: ArrayBuffer | Uint8Array): Buffer =>
  Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a));

/** libsignal addresses are `<name>.<number>`; ours are `<device uuid>.1`. */
export const deviceOfAddress = (address: string) => address.slice(0, address.lastIndexOf('.'));

const DELETED = Symbol('deleted');
type Pending = Map<string, { value: unknown; apply: () => void }>;

/**
 * libsignal's protocol store on the encrypted local database. Between `begin()` and `commit()`
 * writes are held in memory (and read back from there), so a decryption's new session state is
 * written in the same SQLite transaction as the message it produced: a crash can lose neither
 * without the other. Callers serialise protocol work (see `SignalService`), so one buffer exists
 * at a time.
 */
export class ProtocolStore implements StorageType {
  private pending: Pending | null = null;

  constructor(private readonly db: Db) {}

  begin(): void {
    this.pending = new Map();
  }

  /** Writes what was buffered, plus `alsoInTransaction`, atomically. */
  commit(alsoInTransaction: () => void = () => {}): void {
    const pending = this.pending;
    this.pending = null;
    this.db.transaction(() => {
      for (const { apply } of pending?.values() ?? []) apply();
      alsoInTransaction();
    })();
  }

  rollback(): void {
    this.pending = null;
  }

  // Our identity and registration id (kept in kv by SignalService).
  getIdentityKeyPair = async (): Promise<KeyPairType | undefined> => {
    const row = this.db.prepare("SELECT value FROM kv WHERE key = 'identityKeyPair'").get() as
      | { value: string }
      | undefined;
    if (!row) return undefined;
    const { pub, priv } = JSON.parse(row.value) as { pub: string; priv: string };
    return { pubKey: toArrayBuffer(Buffer.from(pub, 'base64')), privKey: toArrayBuffer(Buffer.from(priv, 'base64')) };
  };

  getLocalRegistrationId = async (): Promise<number | undefined> => {
    const row = this.db.prepare("SELECT value FROM kv WHERE key = 'registrationId'").get() as
      | { value: string }
      | undefined;
    return row ? Number(row.value) : undefined;
  };

  /**
   * Trusted when the device is new to us or shows its pinned key, whichever the direction. Not
   * every libsignal path awaits this, so `SignalService` checks first; this is the second line.
   */
  isTrustedIdentity = async (deviceId: string, identityKey: ArrayBuffer, _direction: Direction): Promise<boolean> => {
    const known = this.identityOf(deviceId);
    return !known || known.equals(toBuffer(identityKey));
  };

  /**
   * Writes nothing: pins are `SignalService`'s, written once a session is built or a message
   * decrypts, and replaced only by the user. (libsignal calls this without awaiting it when it
   * encrypts, so it must not throw either.) True when the key differs from the pin.
   */
  saveIdentity = async (address: string, identityKey: ArrayBuffer): Promise<boolean> => {
    const known = this.identityOf(deviceOfAddress(address));
    return known !== undefined && !known.equals(toBuffer(identityKey));
  };

  private identityOf(deviceId: string): Buffer | undefined {
    const row = this.db.prepare('SELECT identity_key FROM peer_devices WHERE device_id = ?').get(deviceId) as
      | { identity_key: Buffer }
      | undefined;
    return row?.identity_key;
  }

  loadPreKey = async (keyId: string | number): Promise<KeyPairType | undefined> => {
    const buffered = this.read(`prekey:${keyId}`);
    if (buffered === DELETED) return undefined;
    const row = this.db
      .prepare('SELECT public_key, private_key FROM signal_prekeys WHERE key_id = ?')
      .get(Number(keyId)) as { public_key: Buffer; private_key: Buffer } | undefined;
    return row && { pubKey: toArrayBuffer(row.public_key), privKey: toArrayBuffer(row.private_key) };
  };

  storePreKey = async (keyId: string | number, pair: KeyPairType): Promise<void> => {
    this.db
      .prepare('INSERT OR REPLACE INTO signal_prekeys (key_id, public_key, private_key) VALUES (?, ?, ?)')
      .run(Number(keyId), toBuffer(pair.pubKey), toBuffer(pair.privKey));
  };

  removePreKey = async (keyId: string | number): Promise<void> => {
    this.write(`prekey:${keyId}`, DELETED, () =>
      this.db.prepare('DELETE FROM signal_prekeys WHERE key_id = ?').run(Number(keyId)),
    );
  };

  loadSession = async (address: string): Promise<string | undefined> => {
    const buffered = this.read(`session:${address}`);
    if (buffered !== undefined) return buffered === DELETED ? undefined : (buffered as string);
    const row = this.db.prepare('SELECT record FROM signal_sessions WHERE address = ?').get(address) as
      | { record: string }
      | undefined;
    return row?.record;
  };

  storeSession = async (address: string, record: string): Promise<void> => {
    this.write(`session:${address}`, record, () =>
      this.db.prepare('INSERT OR REPLACE INTO signal_sessions (address, record) VALUES (?, ?)').run(address, record),
    );
  };

  removeSession(address: string): void {
    this.db.prepare('DELETE FROM signal_sessions WHERE address = ?').run(address);
  }

  loadSignedPreKey = async (keyId: string | number): Promise<KeyPairType | undefined> => {
    const row = this.db
      .prepare('SELECT public_key, private_key FROM signal_signed_prekeys WHERE key_id = ?')
      .get(Number(keyId)) as { public_key: Buffer; private_key: Buffer } | undefined;
    return row && { pubKey: toArrayBuffer(row.public_key), privKey: toArrayBuffer(row.private_key) };
  };

  storeSignedPreKey = async (keyId: string | number, pair: KeyPairType): Promise<void> => {
    // The signature is stored by SignalService, which created it.
    this.db
      .prepare(
        'INSERT OR IGNORE INTO signal_signed_prekeys (key_id, public_key, private_key, signature, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(Number(keyId), toBuffer(pair.pubKey), toBuffer(pair.privKey), Buffer.alloc(0), Date.now());
  };

  removeSignedPreKey = async (keyId: string | number): Promise<void> => {
    this.db.prepare('DELETE FROM signal_signed_prekeys WHERE key_id = ?').run(Number(keyId));
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
