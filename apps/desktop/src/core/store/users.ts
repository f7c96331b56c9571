import type { Contact, Presence, User } from '@parley/shared';
import type { Db } from './database.js';
import { prepare } from './statements.js';

const SQL = {
  upsert: `INSERT INTO users (id, username, display_name) VALUES (?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name`,
  has: 'SELECT 1 FROM users WHERE id = ?',
  clearContacts: 'UPDATE users SET is_contact = 0',
  saveContact: 'UPDATE users SET is_contact = 1, added_at = ?, online = ?, last_seen_at = ? WHERE id = ?',
  removeContact: 'UPDATE users SET is_contact = 0 WHERE id = ?',
  contacts: 'SELECT * FROM users WHERE is_contact = 1 ORDER BY lower(display_name), username',
  setPresence: 'UPDATE users SET online = ?, last_seen_at = ? WHERE id = ?',
};

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  added_at: string;
  online: number | null;
  last_seen_at: string | null;
}

/** The `users` table: the people this device has met, the address book, presence as last heard. */
export class UsersRepository {
  private readonly sql;

  constructor(private readonly db: Db) {
    this.sql = prepare(db, SQL);
  }

  upsert(user: Pick<User, 'id' | 'username' | 'displayName'>): void {
    this.sql.upsert.run(user.id, user.username, user.displayName);
  }

  has(userId: string): boolean {
    return !!this.sql.has.get(userId);
  }

  /** Replaces the cached address book with the server's. */
  replaceContacts(contacts: Contact[]): void {
    this.db.transaction(() => {
      this.sql.clearContacts.run();
      for (const c of contacts) this.saveContact(c);
    })();
  }

  saveContact(c: Contact): void {
    this.upsert({ id: c.userId, username: c.username, displayName: c.displayName });
    this.sql.saveContact.run(
      c.addedAt,
      c.presence ? Number(c.presence.online) : null,
      c.presence?.lastSeenAt ?? null,
      c.userId,
    );
  }

  removeContact(userId: string): void {
    this.sql.removeContact.run(userId);
  }

  contacts(): Contact[] {
    return (this.sql.contacts.all() as UserRow[]).map((r) => ({
      userId: r.id,
      username: r.username,
      displayName: r.display_name,
      addedAt: r.added_at,
      presence: r.online === null ? null : { online: r.online === 1, lastSeenAt: r.last_seen_at },
    }));
  }

  setPresence(userId: string, presence: Presence): void {
    this.sql.setPresence.run(Number(presence.online), presence.lastSeenAt, userId);
  }
}
