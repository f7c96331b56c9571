import { Injectable } from '@nestjs/common';
import { type AddContactRequest, type Contact, LIMITS, type Presence } from '@parley/shared';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import { UsersRepository } from '../users/users.repository.js';
import { ContactsRepository, type ContactWithUser } from './contacts.repository.js';
import { PresenceService } from './presence.service.js';

const toContact = (c: ContactWithUser, presence: Presence | null): Contact => ({
  userId: c.contactId,
  username: c.contact.username,
  displayName: c.contact.displayName,
  addedAt: c.createdAt.toISOString(),
  presence,
});

/**
 * A personal address book: only its owner reads or changes it. Changes are rate-limited: each
 * one tells the contact my presence.
 */
@Injectable()
export class ContactsService {
  constructor(
    private readonly db: DataSource,
    private readonly contacts: ContactsRepository,
    private readonly users: UsersRepository,
    private readonly presence: PresenceService,
    private readonly limits: RateLimits,
  ) {}

  async list(ownerId: string, q?: string): Promise<Contact[]> {
    const rows = await this.contacts.listWithUsers(ownerId, q);
    const presence = await this.presence.visibleTo(
      ownerId,
      rows.map((r) => r.contactId),
    );
    return rows.map((row) => toContact(row, presence.get(row.contactId) ?? null));
  }

  /**
   * Adding someone already in the book answers the existing entry. Adding someone shares my
   * presence with them from now on.
   */
  async add(ownerId: string, input: z.output<typeof AddContactRequest>): Promise<Contact> {
    await this.limits.consume('contactsPerUser', ownerId);
    const target =
      'userId' in input ? await this.users.find(input.userId) : await this.users.findByUsername(input.username);
    if (!target) throw new AppError('USER_NOT_FOUND', 'No such user');
    if (target.id === ownerId) throw new AppError('CANNOT_ADD_SELF', 'You cannot add yourself as a contact');
    const { contact, added } = await this.db.transaction(async (tx) => {
      // Serialises concurrent adds of one owner, so the limit holds.
      await this.contacts.lockBook(tx, ownerId);
      const existing = await this.contacts.find(tx, ownerId, target.id);
      if (existing) return { contact: { ...existing, contact: target }, added: false };
      if ((await this.contacts.count(tx, ownerId)) >= LIMITS.contacts) {
        throw new AppError('CONTACT_LIMIT_REACHED', `An address book holds at most ${LIMITS.contacts} contacts`);
      }
      const saved = await this.contacts.add(tx, ownerId, target.id);
      return { contact: { ...saved, contact: target }, added: true };
    });
    const visible = (await this.presence.visibleTo(ownerId, [target.id])).get(target.id) ?? null;
    if (added) {
      const mine = (await this.presence.visibleTo(target.id, [ownerId])).get(ownerId);
      if (mine) await this.presence.announce(ownerId, mine, [target.id]);
    }
    return toContact(contact, visible);
  }

  /** Removing someone stops sharing my presence with them; they see me as offline. */
  async remove(ownerId: string, contactId: string): Promise<void> {
    await this.limits.consume('contactsPerUser', ownerId);
    if (await this.contacts.remove(ownerId, contactId))
      await this.presence.announce(ownerId, { online: false, lastSeenAt: null }, [contactId]);
  }
}
