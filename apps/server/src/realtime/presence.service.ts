import { Injectable } from '@nestjs/common';
import type { Presence, PresenceEvent } from '@parley/shared';
import { DataSource } from 'typeorm';
import { ContactEntity, UserEntity } from '../database/entities.js';
import { Realtime } from './realtime.js';

/**
 * Online while any device is connected; last seen when the last one leaves. A user's presence is
 * theirs to share: it reaches only the people they have in their own contacts.
 */
@Injectable()
export class PresenceService {
  constructor(
    private readonly db: DataSource,
    private readonly realtime: Realtime,
  ) {}

  /** Tells everyone the user has in their contacts (or only `audience`) about the user's presence. */
  async announce(userId: string, presence: Presence, audience?: string[]): Promise<void> {
    const to =
      audience ?? (await this.db.getRepository(ContactEntity).findBy({ ownerId: userId })).map((c) => c.contactId);
    const event: PresenceEvent = { userId, ...presence };
    this.realtime.toUsers(to, 'presence', event);
  }

  async wentOffline(userId: string): Promise<void> {
    const lastSeenAt = new Date();
    await this.db.getRepository(UserEntity).update({ id: userId }, { lastSeenAt });
    await this.announce(userId, { online: false, lastSeenAt: lastSeenAt.toISOString() });
  }

  /** Presence of each of `userIds` as `viewerId` may see it: null for those who do not list the viewer. */
  async visibleTo(viewerId: string, userIds: string[]): Promise<Map<string, Presence | null>> {
    const result = new Map<string, Presence | null>(userIds.map((id) => [id, null]));
    if (userIds.length === 0) return result;
    const sharing: { id: string; last_seen_at: Date | null }[] = await this.db.query(
      `SELECT u.id, u.last_seen_at FROM users u
       JOIN contacts c ON c.owner_id = u.id AND c.contact_id = $1
       WHERE u.id = ANY($2)`,
      [viewerId, userIds],
    );
    const online = await this.realtime.onlineUsers(sharing.map((u) => u.id));
    for (const u of sharing) {
      const isOnline = online.has(u.id);
      result.set(u.id, { online: isOnline, lastSeenAt: isOnline ? null : (u.last_seen_at?.toISOString() ?? null) });
    }
    return result;
  }
}
