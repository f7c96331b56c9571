import { z } from 'zod';
import type { Db } from './database.js';
import { prepare } from './statements.js';

const SQL = {
  get: 'SELECT value FROM kv WHERE key = ?',
  set: 'INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)',
  delete: 'DELETE FROM kv WHERE key = ?',
};

/** The keys `kv` holds: this device's own Signal identity and what key maintenance needs to remember. */
type Key = 'identityKeyPair' | 'registrationId' | 'nextPreKeyId' | 'keysUploaded';

/** This device's identity key pair, base64. */
export const OwnIdentity = z.object({ pub: z.string(), priv: z.string() });
export type OwnIdentity = z.infer<typeof OwnIdentity>;

/** The `kv` table: single values of this device, each behind a typed accessor. */
export class KvRepository {
  private readonly sql;

  constructor(db: Db) {
    this.sql = prepare(db, SQL);
  }

  identityKeyPair(): OwnIdentity | undefined {
    const value = this.get('identityKeyPair');
    return value === undefined ? undefined : OwnIdentity.parse(JSON.parse(value));
  }

  registrationId(): number | undefined {
    const value = this.get('registrationId');
    return value === undefined ? undefined : Number(value);
  }

  setRegistrationId(id: number): void {
    this.set('registrationId', String(id));
  }

  /** A new identity for this device; one-time prekey ids start again at 1. */
  resetIdentity(identity: OwnIdentity, registrationId: number): void {
    this.sql.delete.run('nextPreKeyId' satisfies Key);
    this.set('identityKeyPair', JSON.stringify(identity));
    this.setRegistrationId(registrationId);
  }

  /** The id the next one-time prekey gets. */
  nextPreKeyId(): number {
    return Number(this.get('nextPreKeyId') ?? 1);
  }

  setNextPreKeyId(id: number): void {
    this.set('nextPreKeyId', String(id));
  }

  /** Whether the server has this device's keys (false when the first upload failed: it is retried). */
  keysUploaded(): boolean {
    return this.get('keysUploaded') === '1';
  }

  setKeysUploaded(uploaded: boolean): void {
    this.set('keysUploaded', uploaded ? '1' : '0');
  }

  private get(key: Key): string | undefined {
    return (this.sql.get.get(key) as { value: string } | undefined)?.value;
  }

  private set(key: Key, value: string): void {
    this.sql.set.run(key, value);
  }
}
