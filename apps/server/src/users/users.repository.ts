import { Injectable } from '@nestjs/common';
import type { UserSearchQuery } from '@parley/shared';
import { DataSource, type EntityManager } from 'typeorm';
import type { z } from 'zod';
import { UserEntity } from '../database/entities.js';
import { userSearchSql } from './user-search.js';

/** A row of a user search page. */
export interface UserSearchRow {
  id: string;
  username: string;
  display_name: string;
  /** 0 for a prefix match. */
  rank: 0 | 1;
}

/** The `users` table. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: DataSource) {}

  find(userId: string): Promise<UserEntity | null> {
    return this.db.getRepository(UserEntity).findOneBy({ id: userId });
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.db.getRepository(UserEntity).findOneBy({ username });
  }

  /** With the password hash, which no other read selects. */
  findForLogin(username: string): Promise<UserEntity | null> {
    return this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.username = :username', { username })
      .getOne();
  }

  exists(userId: string): Promise<boolean> {
    return this.db.getRepository(UserEntity).existsBy({ id: userId });
  }

  create(tx: EntityManager, user: Pick<UserEntity, 'username' | 'displayName' | 'passwordHash'>): Promise<UserEntity> {
    return tx.save(tx.create(UserEntity, { ...user, displayNameKey: user.displayName.toLowerCase() }));
  }

  /**
   * Whether the account is disabled, holding a share lock on its row until the transaction ends:
   * a sign-in under way finishes before a `disable` (which then revokes its new device) or sees it.
   */
  async lockDisabled(tx: EntityManager, userId: string): Promise<boolean> {
    const [row] = await tx.query<{ disabled_at: Date | null }[]>(
      'SELECT disabled_at FROM users WHERE id = $1 FOR SHARE',
      [userId],
    );
    return Boolean(row?.disabled_at);
  }

  /** Disables (a date) or enables (null) the account. */
  async setDisabled(tx: EntityManager, userId: string, disabledAt: Date | null): Promise<void> {
    await tx.update(UserEntity, { id: userId }, { disabledAt });
  }

  async setPasswordHash(tx: EntityManager, userId: string, passwordHash: string): Promise<void> {
    await tx.update(UserEntity, { id: userId }, { passwordHash });
  }

  async setDisplayName(userId: string, displayName: string): Promise<void> {
    await this.db
      .getRepository(UserEntity)
      .update({ id: userId }, { displayName, displayNameKey: displayName.toLowerCase() });
  }

  async setLastSeen(userId: string, lastSeenAt: Date): Promise<void> {
    await this.db.getRepository(UserEntity).update({ id: userId }, { lastSeenAt });
  }

  /** A page of the search, one row more than asked when there is a next page. */
  search(callerId: string, query: z.output<typeof UserSearchQuery>): Promise<UserSearchRow[]> {
    const { text, params } = userSearchSql(callerId, query);
    return this.db.query(text, params);
  }
}
