import type { Contact, IdentityChange } from '@parley/shared';
import { create } from 'zustand';
import { parley } from '../api.js';

interface PeopleStore {
  contacts: Contact[];
  /** Users typing to me right now. */
  typing: Record<string, boolean>;
  /** Unacknowledged identity notices per user. */
  identity: Record<string, IdentityChange['kind']>;
  load(): Promise<void>;
  add(userId: string): Promise<void>;
  remove(userId: string): Promise<void>;
  setPresence(userId: string, online: boolean, lastSeenAt: string | null): void;
  setTyping(userId: string, typing: boolean): void;
  noteIdentity(change: IdentityChange): void;
  clearIdentity(userId: string): void;
}

export const usePeople = create<PeopleStore>((set, get) => ({
  contacts: [],
  typing: {},
  identity: {},
  async load() {
    set({ contacts: await parley().contacts() });
  },
  async add(userId) {
    const contact = await parley().addContact({ userId });
    set({ contacts: [...get().contacts.filter((c) => c.userId !== userId), contact] });
  },
  async remove(userId) {
    await parley().removeContact(userId);
    set({ contacts: get().contacts.filter((c) => c.userId !== userId) });
  },
  setPresence(userId, online, lastSeenAt) {
    set({
      contacts: get().contacts.map((c) => (c.userId === userId ? { ...c, presence: { online, lastSeenAt } } : c)),
    });
  },
  setTyping(userId, typing) {
    set({ typing: { ...get().typing, [userId]: typing } });
  },
  noteIdentity(change) {
    // A key change outranks a new-device notice.
    if (get().identity[change.userId] === 'key_changed') return;
    set({ identity: { ...get().identity, [change.userId]: change.kind } });
  },
  clearIdentity(userId) {
    const { [userId]: _, ...rest } = get().identity;
    set({ identity: rest });
  },
}));
