import type { Contact, PresenceEvent, User, UserPage } from '@parley/shared';
import type { CoreError } from '../errors.js';
import type { Emit } from '../events.js';
import type { ServerSession } from '../net/server-session.js';
import type { UsersRepository } from '../store/users.js';

/** The address book, user search, presence, and learning who an unknown sender is. */
export class People {
  constructor(
    private readonly users: UsersRepository,
    private readonly server: ServerSession,
    private readonly emit: Emit,
  ) {}

  /** The server's address book (cached); offline, the cached one. */
  async contacts(): Promise<Contact[]> {
    try {
      const { items } = await this.server.call('listContacts', { query: {} });
      this.users.replaceContacts(items);
      return items;
    } catch (error) {
      if ((error as CoreError).code === 'NETWORK') return this.users.contacts();
      throw error;
    }
  }

  async addContact(input: { userId: string } | { username: string }): Promise<Contact> {
    const contact = await this.server.call('addContact', { body: input });
    this.users.saveContact(contact);
    return contact;
  }

  async removeContact(userId: string): Promise<void> {
    await this.server.call('removeContact', { params: { userId } });
    this.users.removeContact(userId);
  }

  search(query: string, cursor?: string): Promise<UserPage> {
    return this.server.call('searchUsers', { query: { q: query, ...(cursor ? { cursor } : {}) } });
  }

  presence({ userId, online, lastSeenAt }: PresenceEvent): void {
    this.users.setPresence(userId, { online, lastSeenAt });
    this.emit('presence', { userId, online, lastSeenAt });
  }

  /** Someone changed their profile (the server tells the people who show their name). */
  updated(user: User): void {
    this.users.upsert(user);
    this.emit('user', user);
  }

  /** Someone wrote to me (or I to them from another device) whom this device has not met. */
  async learn(userId: string): Promise<void> {
    try {
      this.users.upsert(await this.server.call('getUser', { params: { userId } }));
    } catch {
      // Offline (or signed out meanwhile): the conversation shows the id until the next message brings us online.
    }
  }
}
