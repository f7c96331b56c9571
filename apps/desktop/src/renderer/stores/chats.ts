import type { ConversationSummary, LocalMessage, MessageStatus, User } from '@parley/shared';
import { create } from 'zustand';
import { parley } from '../api.js';

const PAGE = 50;

interface Thread {
  messages: LocalMessage[];
  /** Cursor for older messages; null when the start is loaded. */
  before: string | null;
  loaded: boolean;
}

interface ChatsStore {
  conversations: ConversationSummary[];
  selected: string | null;
  threads: Record<string, Thread>;
  drafts: Record<string, string>;
  /** A message to scroll to and highlight (from search). */
  focusMessage: string | null;
  /** People met in the directory, before any chat exists with them. */
  known: Record<string, Pick<User, 'id' | 'username' | 'displayName'>>;
  remember(user: Pick<User, 'id' | 'username' | 'displayName'>): void;
  loadConversations(): Promise<void>;
  select(peerUserId: string | null, focusMessage?: string | null): void;
  loadLatest(peerUserId: string): Promise<void>;
  loadOlder(peerUserId: string): Promise<boolean>;
  setDraft(peerUserId: string, text: string): void;
  send(peerUserId: string, text: string): Promise<void>;
  received(message: LocalMessage): void;
  statusChanged(messageId: string, peerUserId: string, status: MessageStatus): void;
  readChanged(peerUserId: string, unreadCount: number): void;
}

export const useChats = create<ChatsStore>((set, get) => ({
  conversations: [],
  selected: null,
  threads: {},
  drafts: {},
  focusMessage: null,
  known: {},
  remember(user) {
    set({ known: { ...get().known, [user.id]: user } });
  },
  async loadConversations() {
    set({ conversations: await parley().conversations() });
  },
  select(peerUserId, focusMessage = null) {
    set({ selected: peerUserId, focusMessage });
    if (peerUserId && !get().threads[peerUserId]?.loaded) void get().loadLatest(peerUserId);
  },
  async loadLatest(peerUserId) {
    const page = await parley().history(peerUserId, undefined, PAGE);
    set({
      threads: { ...get().threads, [peerUserId]: { messages: page.messages, before: page.before, loaded: true } },
    });
  },
  async loadOlder(peerUserId) {
    const thread = get().threads[peerUserId];
    if (!thread?.before) return false;
    const page = await parley().history(peerUserId, thread.before, PAGE);
    const current = get().threads[peerUserId] ?? thread;
    set({
      threads: {
        ...get().threads,
        [peerUserId]: { ...current, messages: [...page.messages, ...current.messages], before: page.before },
      },
    });
    return page.messages.length > 0;
  },
  setDraft(peerUserId, text) {
    set({ drafts: { ...get().drafts, [peerUserId]: text } });
  },
  async send(peerUserId, text) {
    // Cleared at once, so what the person types next is never wiped by this send finishing.
    set({ drafts: { ...get().drafts, [peerUserId]: '' } });
    try {
      await parley().sendText(peerUserId, text);
    } catch (error) {
      if (!get().drafts[peerUserId]) set({ drafts: { ...get().drafts, [peerUserId]: text } });
      throw error;
    }
  },
  received(message) {
    const thread = get().threads[message.peerUserId];
    if (thread && !thread.messages.some((m) => m.id === message.id)) {
      set({
        threads: { ...get().threads, [message.peerUserId]: { ...thread, messages: [...thread.messages, message] } },
      });
    }
    void get().loadConversations();
  },
  statusChanged(messageId, peerUserId, status) {
    const thread = get().threads[peerUserId];
    if (thread) {
      set({
        threads: {
          ...get().threads,
          [peerUserId]: {
            ...thread,
            messages: thread.messages.map((m) => (m.id === messageId ? { ...m, status } : m)),
          },
        },
      });
    }
    set({
      conversations: get().conversations.map((c) =>
        c.lastMessage?.id === messageId ? { ...c, lastMessage: { ...c.lastMessage, status } } : c,
      ),
    });
  },
  readChanged(peerUserId, unreadCount) {
    set({ conversations: get().conversations.map((c) => (c.peer.id === peerUserId ? { ...c, unreadCount } : c)) });
  },
}));
