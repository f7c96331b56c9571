import type { Db } from './database.js';
import { prepare } from './statements.js';

const SQL = {
  preKey: 'SELECT public_key, private_key FROM signal_prekeys WHERE key_id = ?',
  putPreKey: 'INSERT OR REPLACE INTO signal_prekeys (key_id, public_key, private_key) VALUES (?, ?, ?)',
  removePreKey: 'DELETE FROM signal_prekeys WHERE key_id = ?',
  signedPreKey: 'SELECT public_key, private_key FROM signal_signed_prekeys WHERE key_id = ?',
  addSignedPreKey:
    'INSERT INTO signal_signed_prekeys (key_id, public_key, private_key, signature, created_at) VALUES (?, ?, ?, ?, ?)',
  keepSignedPreKey:
    'INSERT OR IGNORE INTO signal_signed_prekeys (key_id, public_key, private_key, signature, created_at) VALUES (?, ?, ?, ?, ?)',
  removeSignedPreKey: 'DELETE FROM signal_signed_prekeys WHERE key_id = ?',
  removeSignedPreKeysBefore: 'DELETE FROM signal_signed_prekeys WHERE key_id < ?',
  lastSignedPreKey: 'SELECT max(key_id) AS id, max(created_at) AS at FROM signal_signed_prekeys',
  session: 'SELECT record FROM signal_sessions WHERE address = ?',
  putSession: 'INSERT OR REPLACE INTO signal_sessions (address, record) VALUES (?, ?)',
  removeSession: 'DELETE FROM signal_sessions WHERE address = ?',
  clearPreKeys: 'DELETE FROM signal_prekeys',
  clearSignedPreKeys: 'DELETE FROM signal_signed_prekeys',
  clearSessions: 'DELETE FROM signal_sessions',
};

export interface StoredKeyPair {
  publicKey: Buffer;
  privateKey: Buffer;
}

type KeyRow = { public_key: Buffer; private_key: Buffer } | undefined;
const toPair = (row: KeyRow): StoredKeyPair | undefined =>
  row && { publicKey: row.public_key, privateKey: row.private_key };

/** This device's Signal state: `signal_prekeys`, `signal_signed_prekeys`, `signal_sessions`. */
export class SignalKeysRepository {
  private readonly sql;

  constructor(db: Db) {
    this.sql = prepare(db, SQL);
  }

  preKey(keyId: number): StoredKeyPair | undefined {
    return toPair(this.sql.preKey.get(keyId) as KeyRow);
  }

  putPreKey(keyId: number, pair: StoredKeyPair): void {
    this.sql.putPreKey.run(keyId, pair.publicKey, pair.privateKey);
  }

  removePreKey(keyId: number): void {
    this.sql.removePreKey.run(keyId);
  }

  signedPreKey(keyId: number): StoredKeyPair | undefined {
    return toPair(this.sql.signedPreKey.get(keyId) as KeyRow);
  }

  /** The newest signed prekey's id and creation time (null, null when there is none). */
  lastSignedPreKey(): { id: number | null; at: number | null } {
    return this.sql.lastSignedPreKey.get() as { id: number | null; at: number | null };
  }

  /** Adds a signed prekey, keeping the one before it (for messages on their way) and dropping older ones. */
  addSignedPreKey(keyId: number, pair: StoredKeyPair, signature: Buffer): void {
    this.sql.addSignedPreKey.run(keyId, pair.publicKey, pair.privateKey, signature, Date.now());
    this.sql.removeSignedPreKeysBefore.run(keyId - 1);
  }

  /** libsignal's own store call: keeps a pair it hands back, without a signature (ours stores that). */
  keepSignedPreKey(keyId: number, pair: StoredKeyPair): void {
    this.sql.keepSignedPreKey.run(keyId, pair.publicKey, pair.privateKey, Buffer.alloc(0), Date.now());
  }

  removeSignedPreKey(keyId: number): void {
    this.sql.removeSignedPreKey.run(keyId);
  }

  session(address: string): string | undefined {
    return (this.sql.session.get(address) as { record: string } | undefined)?.record;
  }

  putSession(address: string, record: string): void {
    this.sql.putSession.run(address, record);
  }

  removeSession(address: string): void {
    this.sql.removeSession.run(address);
  }

  /** Drops the keys and sessions of this store's earlier device (a new device of the same account takes the store over). */
  clear(): void {
    this.sql.clearPreKeys.run();
    this.sql.clearSignedPreKeys.run();
    this.sql.clearSessions.run();
  }
}
