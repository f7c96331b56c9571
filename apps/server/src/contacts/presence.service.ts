import { Injectable } from '@nestjs/common';
import type { Presence, PresenceEvent, User } from '@parley/shared';
import { Realtime } from '../realtime/realtime.js';
import { UsersRepository } from '../users/users.repository.js';
import { UsersService } from '../users/users.service.js';
import { ContactsRepository } from './contacts.repository.js';

/**
 * Online while any device is connected with an app window open; last seen when the last one
 * leaves. A user's presence is theirs to share: it reaches only the people they have in their own
 * contacts. A profile change reaches everyone who shows the user's name: the people they list,
 * the people who list them, and their own devices.
 */
@Injectable()
export class PresenceService {
  constructor(
    private readonly contacts: ContactsRepository,
    private readonly users: UsersRepository,
    private readonly realtime: Realtime,
    usersService: UsersService,
  ) {
    usersService.onChanged((user) => this.profileChanged(user));
  }

  private async profileChanged(user: User): Promise<void> {
    const [listed, listing] = await Promise.all([
      this.contacts.contactIdsOf(user.id),
      this.contacts.ownersListing(user.id),
    ]);
    this.realtime.toUsers([...new Set([user.id, ...listed, ...listing])], 'userUpdated', user);
  }

  /** Tells everyone the user has in their contacts (or only `audience`) about the user's presence. */
  async announce(userId: string, presence: Presence, audience?: string[]): Promise<void> {
    const to = audience ?? (await this.contacts.contactIdsOf(userId));
    const event: PresenceEvent = { userId, ...presence };
    this.realtime.toUsers(to, 'presence', event);
  }

  async wentOffline(userId: string): Promise<void> {
    const lastSeenAt = new Date();
    await this.users.setLastSeen(userId, lastSeenAt);
    await this.announce(userId, { online: false, lastSeenAt: lastSeenAt.toISOString() });
  }

  /** Presence of each of `userIds` as `viewerId` may see it: null for those who do not list the viewer. */
  async visibleTo(viewerId: string, userIds: string[]): Promise<Map<string, Presence | null>> {
    const result = new Map<string, Presence | null>(userIds.map((id) => [id, null]));
    if (userIds.length === 0) return result;
    const sharing = await this.contacts.sharingWith(viewerId, userIds);
    const online = await this.realtime.onlineUsers(sharing.map((u) => u.id));
    for (const u of sharing) {
      const isOnline = online.has(u.id);
      result.set(u.id, { online: isOnline, lastSeenAt: isOnline ? null : (u.last_seen_at?.toISOString() ?? null) });
    }
    return result;
  }
}
