import { Injectable } from '@nestjs/common';
import type { UpdateMeRequest, User, UserPage, UserSearchQuery } from '@parley/shared';
import type { z } from 'zod';
import type { UserEntity } from '../database/entities.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import { encodeCursor } from './user-search.js';
import { UsersRepository } from './users.repository.js';

export const toUser = (u: Pick<UserEntity, 'id' | 'username' | 'displayName'>): User => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
});

@Injectable()
export class UsersService {
  /** Told of every profile change (the contacts module tells the people who show this user). */
  private changed: (user: User) => Promise<void> = async () => {};

  constructor(
    private readonly users: UsersRepository,
    private readonly limits: RateLimits,
  ) {}

  async get(userId: string): Promise<User> {
    const user = await this.users.find(userId);
    if (!user) throw new AppError('USER_NOT_FOUND', 'No such user');
    return toUser(user);
  }

  async updateMe(userId: string, input: z.output<typeof UpdateMeRequest>): Promise<User> {
    await this.limits.consume('profilePerUser', userId);
    await this.users.setDisplayName(userId, input.displayName);
    const user = await this.get(userId);
    await this.changed(user);
    return user;
  }

  /** Who hears of profile changes (one listener: this module cannot depend on the ones above it). */
  onChanged(listener: (user: User) => Promise<void>): void {
    this.changed = listener;
  }

  async search(callerId: string, query: z.output<typeof UserSearchQuery>): Promise<UserPage> {
    await this.limits.consume('searchPerUser', callerId);
    const rows = await this.users.search(callerId, query);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => toUser({ id: r.id, username: r.username, displayName: r.display_name })),
      nextCursor: rows.length > query.limit && last ? encodeCursor([last.rank, last.username]) : null,
    };
  }
}
