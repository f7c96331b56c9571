import { Injectable } from '@nestjs/common';
import type { PreKey } from '@parley/shared';
import { DataSource, type EntityManager } from 'typeorm';
import { OneTimePreKeyEntity } from '../database/entities.js';

/** A one-time prekey taken for a bundle, and how many the device has left. */
export interface TakenPreKey {
  keyId: number;
  publicKey: Buffer;
  remaining: number;
}

/** The `one_time_prekeys` table. */
@Injectable()
export class PreKeysRepository {
  constructor(private readonly db: DataSource) {}

  count(deviceId: string, tx: EntityManager = this.db.manager): Promise<number> {
    return tx.countBy(OneTimePreKeyEntity, { deviceId });
  }

  /** Adds prekeys; one already held under the same id is replaced. */
  async upsert(tx: EntityManager, deviceId: string, preKeys: readonly PreKey[]): Promise<void> {
    if (preKeys.length === 0) return;
    await tx
      .createQueryBuilder()
      .insert()
      .into(OneTimePreKeyEntity)
      .values(preKeys.map((k) => ({ deviceId, keyId: k.keyId, publicKey: Buffer.from(k.publicKey, 'base64') })))
      .orUpdate(['public_key'], ['device_id', 'key_id'])
      .execute();
  }

  /**
   * Takes (deletes and answers) the device's lowest prekey in one statement; SKIP LOCKED makes
   * concurrent takes get different ones. Undefined when it has none.
   */
  async take(deviceId: string): Promise<TakenPreKey | undefined> {
    const [taken]: { key_id: number; public_key: Buffer; remaining: string }[] = await this.db.query(
      `WITH taken AS (
         DELETE FROM one_time_prekeys WHERE (device_id, key_id) = (
           SELECT device_id, key_id FROM one_time_prekeys WHERE device_id = $1
           ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING key_id, public_key)
       SELECT key_id, public_key, (SELECT count(*) FROM one_time_prekeys WHERE device_id = $1) - 1 AS remaining FROM taken`,
      [deviceId],
    );
    return taken && { keyId: taken.key_id, publicKey: taken.public_key, remaining: Number(taken.remaining) };
  }
}
