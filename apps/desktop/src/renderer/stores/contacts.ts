import type { Contact, IdentityChange, Presence, User } from '@parley/shared';
import { create } from 'zustand';
import { parley } from '../api.js';

interface ContactsState {
  contacts: Contact[];
  loaded: boolean;
  /** Who is typing to me right now (the core ends a typing that is not renewed). */
  typing: Record<string, true>;
  /**
   * Identity notices not yet dealt with, per user (mine too: one of my own devices); a key change
   * outranks a new device. Key changes the core still holds come with `load`.
   */
  identityNotices: Record<string, Notice>;
  /** Whose safety number I marked verified, as last heard from the core (a key change undoes it there). */
  verified: Record<string, boolean>;
  load(): Promise<void>;
  add(userId: string): Promise<Contact>;
  remove(userId: string): Promise<void>;
  presenceChanged(userId: string, presence: Presence): void;
  /** Someone's profile changed (their display name). */
  userChanged(user: User): void;
  typingChanged(userId: string, typing: boolean): void;
  identityChanged(change: Pick<IdentityChange, 'userId' | 'kind'> & Partial<IdentityChange>): void;
  dismissIdentityNotice(userId: string): void;
  verifiedChanged(userId: string, verified: boolean): void;
  acceptIdentity(userId: string): Promise<void>;
  rejectIdentity(userId: string): Promise<void>;
  reset(): void;
}

type Notice = Pick<IdentityChange, 'kind' | 'refusedMessages'>;

const initial = { contacts: [], loaded: false, typing: {}, identityNotices: {}, verified: {} };

const without = <T>(record: Record<string, T>, key: string): Record<string, T> => {
  const { [key]: _, ...rest } = record;
  return rest;
};

export const useContacts = create<ContactsState>((set, get) => ({
  ...initial,
  async load() {
    const [contacts, keyChanges] = await Promise.all([parley.contacts(), parley.pendingIdentityChanges()]);
    set({ contacts, loaded: true });
    for (const change of keyChanges) get().identityChanged(change);
  },
  async add(userId) {
    const contact = await parley.addContact({ userId });
    set({ contacts: [...get().contacts.filter((c) => c.userId !== userId), contact] });
    return contact;
  },
  async remove(userId) {
    await parley.removeContact(userId);
    set({ contacts: get().contacts.filter((c) => c.userId !== userId) });
  },
  presenceChanged(userId, presence) {
    set({ contacts: get().contacts.map((c) => (c.userId === userId ? { ...c, presence } : c)) });
  },
  userChanged(user) {
    if (!get().contacts.some((c) => c.userId === user.id)) return;
    set({
      contacts: get().contacts.map((c) =>
        c.userId === user.id ? { ...c, username: user.username, displayName: user.displayName } : c,
      ),
    });
  },
  typingChanged(userId, typing) {
    const current = get().typing;
    if (typing === Boolean(current[userId])) return;
    set({ typing: typing ? { ...current, [userId]: true } : without(current, userId) });
  },
  identityChanged({ userId, kind, refusedMessages = 0 }) {
    const current = get().identityNotices[userId];
    if (current?.kind === 'key_changed' && kind !== 'key_changed') return;
    const refused = Math.max(refusedMessages, current?.kind === 'key_changed' ? current.refusedMessages : 0);
    set({ identityNotices: { ...get().identityNotices, [userId]: { kind, refusedMessages: refused } } });
  },
  verifiedChanged(userId, verified) {
    if (Boolean(get().verified[userId]) !== verified) set({ verified: { ...get().verified, [userId]: verified } });
  },
  dismissIdentityNotice(userId) {
    set({ identityNotices: without(get().identityNotices, userId) });
  },
  async acceptIdentity(userId) {
    await parley.acceptIdentity(userId);
    get().dismissIdentityNotice(userId);
  },
  async rejectIdentity(userId) {
    await parley.rejectIdentity(userId);
    get().dismissIdentityNotice(userId);
  },
  reset() {
    set(initial);
  },
}));
