import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ContactEntity, type UserEntity } from '../database/entities.js';

export type ContactWithUser = ContactEntity & { contact: UserEntity };

/** The `contacts` table: each user's address book. */
@Injectable()
export class ContactsRepository {
  constructor(private readonly db: DataSource) {}

  /** Whether `owner` has `contact` in their address book. */
  lists(owner: string, contact: string): Promise<boolean> {
    return this.db.getRepository(ContactEntity).existsBy({ ownerId: owner, contactId: contact });
  }

  /** The users `owner` has in their address book. */
  async contactIdsOf(owner: string): Promise<string[]> {
    return (await this.db.getRepository(ContactEntity).findBy({ ownerId: owner })).map((c) => c.contactId);
  }

  /** The users who have `contact` in their address book. */
  async ownersListing(contact: string): Promise<string[]> {
    return (await this.db.getRepository(ContactEntity).findBy({ contactId: contact })).map((c) => c.ownerId);
  }

  /** An address book with each contact's user, by display name; `q` filters by username or display name. */
  async listWithUsers(owner: string, q?: string): Promise<ContactWithUser[]> {
    const query = this.db
      .getRepository(ContactEntity)
      .createQueryBuilder('c')
      .innerJoinAndSelect('c.contact', 'u')
      .where('c.ownerId = :owner', { owner })
      .orderBy('u.displayNameKey', 'ASC')
      .addOrderBy('u.username', 'ASC');
    if (q) {
      const pattern = `%${q.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      query.andWhere('(u.username LIKE :pattern OR u.displayNameKey LIKE :pattern)', { pattern });
    }
    return (await query.getMany()) as ContactWithUser[];
  }

  /** Serialises changes to one owner's address book until the transaction ends. */
  async lockBook(tx: EntityManager, owner: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`contacts:${owner}`]);
  }

  find(tx: EntityManager, owner: string, contact: string): Promise<ContactEntity | null> {
    return tx.findOneBy(ContactEntity, { ownerId: owner, contactId: contact });
  }

  count(tx: EntityManager, owner: string): Promise<number> {
    return tx.countBy(ContactEntity, { ownerId: owner });
  }

  add(tx: EntityManager, owner: string, contact: string): Promise<ContactEntity> {
    return tx.save(tx.create(ContactEntity, { ownerId: owner, contactId: contact }));
  }

  /** Answers whether there was such an entry. */
  async remove(owner: string, contact: string): Promise<boolean> {
    const { affected } = await this.db.getRepository(ContactEntity).delete({ ownerId: owner, contactId: contact });
    return Boolean(affected);
  }

  /** Of `userIds`, those who have `viewer` in their contacts (so share their presence), with when last seen. */
  sharingWith(viewer: string, userIds: readonly string[]): Promise<{ id: string; last_seen_at: Date | null }[]> {
    return this.db.query(
      `SELECT u.id, u.last_seen_at FROM users u
       JOIN contacts c ON c.owner_id = u.id AND c.contact_id = $1
       WHERE u.id = ANY($2)`,
      [viewer, userIds],
    );
  }
}
