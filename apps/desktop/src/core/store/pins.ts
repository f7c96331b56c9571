import type { IdentityChange } from '@parley/shared';
import type { Db } from './database.js';
import { prepare } from './statements.js';

/** A key change waiting for the user's decision. */
const PENDING = "kind = 'key_changed' AND accepted = 0 AND rejected = 0";

const SQL = {
  pin: 'SELECT user_id, identity_key, removed_at FROM peer_devices WHERE device_id = ?',
  listed: 'SELECT device_id FROM peer_devices WHERE user_id = ? AND removed_at IS NULL',
  registrationId: 'SELECT registration_id FROM peer_devices WHERE device_id = ?',
  add: 'INSERT INTO peer_devices (device_id, user_id, identity_key, registration_id, first_seen_at) VALUES (?, ?, ?, ?, ?)',
  relist: 'UPDATE peer_devices SET removed_at = NULL, registration_id = ? WHERE device_id = ?',
  unlist: 'UPDATE peer_devices SET removed_at = ? WHERE device_id = ? AND removed_at IS NULL',
  replaceKey: 'UPDATE peer_devices SET identity_key = ? WHERE device_id = ?',
  listedKeys: 'SELECT identity_key FROM peer_devices WHERE user_id = ? AND removed_at IS NULL',
  // As they would be once the pending key changes are accepted.
  listedKeysWithPending: `SELECT coalesce((SELECT new_identity_key FROM identity_changes c
                            WHERE c.device_id = d.device_id AND ${PENDING} ORDER BY c.id DESC LIMIT 1), d.identity_key) AS identity_key
                          FROM peer_devices d WHERE user_id = ? AND removed_at IS NULL`,
  hasPending: `SELECT 1 FROM identity_changes WHERE user_id = ? AND ${PENDING}`,
  pending: `SELECT user_id, device_id, at, refused_messages FROM identity_changes WHERE ${PENDING} ORDER BY id`,
  pendingKeys: `SELECT device_id, new_identity_key FROM identity_changes WHERE user_id = ? AND ${PENDING} ORDER BY id`,
  accept: `UPDATE identity_changes SET accepted = 1 WHERE user_id = ? AND ${PENDING}`,
  reject: `UPDATE identity_changes SET rejected = 1 WHERE user_id = ? AND ${PENDING}`,
  deviceAdded: "INSERT INTO identity_changes (user_id, device_id, kind, at) VALUES (?, ?, 'device_added', ?)",
  keyChange: `SELECT id, at, rejected, refused_messages FROM identity_changes
                WHERE device_id = ? AND new_identity_key = ? AND kind = 'key_changed' AND accepted = 0`,
  addKeyChange: `INSERT INTO identity_changes (user_id, device_id, kind, new_identity_key, at, refused_messages)
                   VALUES (?, ?, 'key_changed', ?, ?, ?)`,
  countRefused: 'UPDATE identity_changes SET refused_messages = ? WHERE id = ?',
  verifiedDigest: 'SELECT keys_digest FROM verified_users WHERE user_id = ?',
  setVerified: 'INSERT OR REPLACE INTO verified_users (user_id, keys_digest, at) VALUES (?, ?, ?)',
  clearVerified: 'DELETE FROM verified_users WHERE user_id = ?',
};

/** A device's pinned identity key. */
export interface Pin {
  userId: string;
  identityKey: Buffer;
  /** Set when the server stopped listing the device: the pin stays, its session goes. */
  removedAt: string | null;
}

/** A key change recorded for a device and key, not accepted (pending, or rejected). */
export interface RecordedKeyChange {
  id: number;
  at: string;
  rejected: boolean;
  refusedMessages: number;
}

/**
 * `peer_devices` (the identity key pinned for each device of each user met, trust on first use)
 * and `identity_changes` (devices added, keys changed, and the user's decisions on them).
 * The rules over them are `SignalService`'s; this is their SQL.
 */
export class PinsRepository {
  private readonly sql;

  constructor(db: Db) {
    this.sql = prepare(db, SQL);
  }

  pin(deviceId: string): Pin | undefined {
    const row = this.sql.pin.get(deviceId) as
      | { user_id: string; identity_key: Buffer; removed_at: string | null }
      | undefined;
    return row && { userId: row.user_id, identityKey: row.identity_key, removedAt: row.removed_at };
  }

  /** Devices of a user we have met and the server still lists. */
  listedDevices(userId: string): string[] {
    return (this.sql.listed.all(userId) as { device_id: string }[]).map((r) => r.device_id);
  }

  /** The registration id a device last showed; 0 when unknown. */
  registrationId(deviceId: string): number {
    return (this.sql.registrationId.get(deviceId) as { registration_id: number } | undefined)?.registration_id ?? 0;
  }

  add(userId: string, deviceId: string, identityKey: Buffer, registrationId: number, at: string): void {
    this.sql.add.run(deviceId, userId, identityKey, registrationId, at);
  }

  /** A pinned device is in use again (listed, with this registration id). */
  relist(deviceId: string, registrationId: number): void {
    this.sql.relist.run(registrationId, deviceId);
  }

  /** The server no longer lists the device. */
  unlist(deviceId: string, at: string): void {
    this.sql.unlist.run(at, deviceId);
  }

  replaceKey(deviceId: string, identityKey: Buffer): void {
    this.sql.replaceKey.run(identityKey, deviceId);
  }

  /** The identity keys of a user's listed devices; `withPending`: as if the pending changes were accepted. */
  listedKeys(userId: string, withPending: boolean): Buffer[] {
    const statement = withPending ? this.sql.listedKeysWithPending : this.sql.listedKeys;
    return (statement.all(userId) as { identity_key: Buffer }[]).map((r) => r.identity_key);
  }

  /** The digest of a user's keys as they were when I marked them verified; undefined if I have not. */
  verifiedDigest(userId: string): Buffer | undefined {
    return (this.sql.verifiedDigest.get(userId) as { keys_digest: Buffer } | undefined)?.keys_digest;
  }

  setVerified(userId: string, keysDigest: Buffer | null, at: string): void {
    if (keysDigest) this.sql.setVerified.run(userId, keysDigest, at);
    else this.sql.clearVerified.run(userId);
  }

  hasPendingChange(userId: string): boolean {
    return !!this.sql.hasPending.get(userId);
  }

  /** Key changes waiting for the user's decision, oldest first. */
  pendingChanges(): IdentityChange[] {
    const rows = this.sql.pending.all() as {
      user_id: string;
      device_id: string;
      at: string;
      refused_messages: number;
    }[];
    return rows.map((r) => ({
      userId: r.user_id,
      deviceId: r.device_id,
      kind: 'key_changed',
      at: r.at,
      refusedMessages: r.refused_messages,
    }));
  }

  /** The new keys of a user's pending changes, oldest first. */
  pendingKeys(userId: string): { deviceId: string; newIdentityKey: Buffer }[] {
    const rows = this.sql.pendingKeys.all(userId) as { device_id: string; new_identity_key: Buffer }[];
    return rows.map((r) => ({ deviceId: r.device_id, newIdentityKey: r.new_identity_key }));
  }

  markAccepted(userId: string): void {
    this.sql.accept.run(userId);
  }

  markRejected(userId: string): void {
    this.sql.reject.run(userId);
  }

  recordDeviceAdded(userId: string, deviceId: string, at: string): void {
    this.sql.deviceAdded.run(userId, deviceId, at);
  }

  keyChange(deviceId: string, newIdentityKey: Buffer): RecordedKeyChange | undefined {
    const row = this.sql.keyChange.get(deviceId, newIdentityKey) as
      | { id: number; at: string; rejected: number; refused_messages: number }
      | undefined;
    return row && { id: row.id, at: row.at, rejected: row.rejected === 1, refusedMessages: row.refused_messages };
  }

  recordKeyChange(userId: string, deviceId: string, newIdentityKey: Buffer, at: string, refusedMessages: number): void {
    this.sql.addKeyChange.run(userId, deviceId, newIdentityKey, at, refusedMessages);
  }

  setRefusedMessages(id: number, refusedMessages: number): void {
    this.sql.countRefused.run(refusedMessages, id);
  }
}
