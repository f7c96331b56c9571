import { Injectable } from '@nestjs/common';
import { type AddContactRequest, type Contact, LIMITS, type Presence } from '@parley/shared';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { ContactEntity, UserEntity } from '../database/entities.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import { PresenceService } from '../realtime/presence.service.js';

const toContact = (c: ContactEntity & { contact: UserEntity }, presence: Presence | null): Contact => ({
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
    private readonly presence: PresenceService,
    private readonly limits: RateLimits,
  ) {}

  async list(ownerId: string, q?: string): Promise<Contact[]> {
    const query = this.db
      .getRepository(ContactEntity)
      .createQueryBuilder('c')
      .innerJoinAndSelect('c.contact', 'u')
      .where('c.ownerId = :ownerId', { ownerId })
      .orderBy('u.displayNameKey', 'ASC')
      .addOrderBy('u.username', 'ASC');
    if (q) {
      const pattern = `%${q.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      query.andWhere('(u.username LIKE :pattern OR u.displayNameKey LIKE :pattern)', { pattern });
    }
    const rows = (await query.getMany()) as (ContactEntity & { contact: UserEntity })[];
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
    const users = this.db.getRepository(UserEntity);
    const target =
      'userId' in input
        ? await users.findOneBy({ id: input.userId })
        : await users.findOneBy({ username: input.username });
    if (!target) throw new AppError('USER_NOT_FOUND', 'No such user');
    if (target.id === ownerId) throw new AppError('CANNOT_ADD_SELF', 'You cannot add yourself as a contact');
    const { contact, added } = await this.db.transaction(async (tx) => {
      // Serialises concurrent adds of one owner, so the limit holds.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`contacts:${ownerId}`]);
      const existing = await tx.findOneBy(ContactEntity, { ownerId, contactId: target.id });
      if (existing) return { contact: { ...existing, contact: target }, added: false };
      if ((await tx.countBy(ContactEntity, { ownerId })) >= LIMITS.contacts) {
        throw new AppError('CONTACT_LIMIT_REACHED', `An address book holds at most ${LIMITS.contacts} contacts`);
      }
      const saved = await tx.save(tx.create(ContactEntity, { ownerId, contactId: target.id }));
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
    const { affected } = await this.db.getRepository(ContactEntity).delete({ ownerId, contactId });
    if (affected) await this.presence.announce(ownerId, { online: false, lastSeenAt: null }, [contactId]);
  }
}
