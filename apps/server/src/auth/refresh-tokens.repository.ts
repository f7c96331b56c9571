import { Injectable } from '@nestjs/common';
import { type EntityManager, MoreThan } from 'typeorm';
import { RefreshTokenEntity } from '../database/entities.js';

/** The `refresh_tokens` table; every method runs in the caller's transaction (rotation holds row locks). */
@Injectable()
export class RefreshTokensRepository {
  /** The token with this hash, locked until the transaction ends. */
  lockByHash(tx: EntityManager, tokenHash: Buffer): Promise<RefreshTokenEntity | null> {
    return tx
      .getRepository(RefreshTokenEntity)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.tokenHash = :tokenHash', { tokenHash })
      .getOne();
  }

  /** The device's live (never rotated) token, locked until the transaction ends. */
  lockLive(tx: EntityManager, deviceId: string): Promise<RefreshTokenEntity | null> {
    return tx
      .getRepository(RefreshTokenEntity)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.deviceId = :deviceId AND t.rotatedAt IS NULL', { deviceId })
      .getOne();
  }

  /** Whether one of the device's tokens was rotated after `rotatedAt`. */
  rotatedSince(tx: EntityManager, deviceId: string, rotatedAt: Date): Promise<boolean> {
    return tx.getRepository(RefreshTokenEntity).existsBy({ deviceId, rotatedAt: MoreThan(rotatedAt) });
  }

  async insert(tx: EntityManager, deviceId: string, tokenHash: Buffer, expiresAt: Date): Promise<void> {
    await tx.insert(RefreshTokenEntity, { deviceId, tokenHash, expiresAt });
  }

  async markRotated(tx: EntityManager, id: string): Promise<void> {
    await tx.update(RefreshTokenEntity, { id }, { rotatedAt: new Date() });
  }

  async markGraceUsed(tx: EntityManager, id: string): Promise<void> {
    await tx.update(RefreshTokenEntity, { id }, { graceUsedAt: new Date() });
  }

  async delete(tx: EntityManager, id: string): Promise<void> {
    await tx.delete(RefreshTokenEntity, { id });
  }
}
