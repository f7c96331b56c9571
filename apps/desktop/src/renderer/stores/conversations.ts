import type { ConversationSummary, LocalMessage, MessageStatus, User } from '@parley/shared';
import { create } from 'zustand';
import { parley } from '../api.js';
import { useContacts } from './contacts.js';
import { useMessages } from './messages.js';

export type Peer = Pick<User, 'id' | 'username' | 'displayName'>;

interface ConversationsState {
  /** Most recent first, as the core orders them. */
  summaries: ConversationSummary[];
  loaded: boolean;
  selected: string | null;
  /** People met in the directory, so a chat can be named before its first message. */
  people: Record<string, Peer>;
  refresh(): Promise<void>;
  /** Opens a chat (null: none); with a message id, the history scrolls to that message. */
  open(peerUserId: string | null, focusMessageId?: string): void;
  remember(peer: Peer): void;
  /** A message was stored: its conversation, as the core now has it, moves to its place. */
  messageArrived(message: LocalMessage, conversation: ConversationSummary): void;
  statusChanged(messageId: string, status: MessageStatus): void;
  /** A conversation as the core now has it (its last message edited, deleted…), in its place. */
  conversationChanged(conversation: ConversationSummary): void;
  readChanged(peerUserId: string, unreadCount: number): void;
  /** Someone's profile changed: their chat shows their new name. */
  userChanged(user: User): void;
  reset(): void;
}

const initial = { summaries: [], loaded: false, selected: null, people: {} };

// Refreshes are coalesced: a burst of calls costs one call in flight and at most one more after
// it. (Messages carry their conversation: they need none, but from someone not yet known.)
let refreshing: Promise<void> | null = null;
let refreshAgain = false;
/** Bumped by reset(): answers to calls made for a previous account are dropped. */
let epoch = 0;

export const useConversations = create<ConversationsState>((set, get) => ({
  ...initial,
  refresh() {
    if (refreshing) {
      refreshAgain = true;
      return refreshing;
    }
    const run = async () => {
      do {
        refreshAgain = false;
        const started = epoch;
        try {
          const summaries = await parley.conversations();
          if (started === epoch) {
            if (!get().loaded) performance.mark('parley:conversations-loaded');
            set({ summaries, loaded: true });
          }
        } catch {
          return; // signed out meanwhile, or the core is going away: keep what is shown
        }
      } while (refreshAgain);
    };
    refreshing = run().finally(() => {
      refreshing = null;
    });
    return refreshing;
  },
  open(peerUserId, focusMessageId) {
    set({ selected: peerUserId });
    if (!peerUserId) return;
    const messages = useMessages.getState();
    messages.open(peerUserId);
    if (focusMessageId) messages.setFocus({ peerUserId, messageId: focusMessageId });
  },
  remember(peer) {
    set({ people: { ...get().people, [peer.id]: peer } });
  },
  messageArrived(message, conversation) {
    // In its place by time, most recent first (ISO times of one format sort as strings).
    const others = get().summaries.filter((c) => c.peer.id !== message.peerUserId);
    const at = others.findIndex((c) => c.updatedAt <= conversation.updatedAt);
    const position = at === -1 ? others.length : at;
    set({ summaries: [...others.slice(0, position), conversation, ...others.slice(position)] });
    // Someone the core has not met yet (it is asking the server who they are); or a list in
    // flight that may have been read before this message: fetch it (again).
    if (!conversation.peer.username || refreshing) void get().refresh();
  },
  conversationChanged(conversation) {
    if (!get().summaries.some((c) => c.peer.id === conversation.peer.id)) return;
    set({ summaries: get().summaries.map((c) => (c.peer.id === conversation.peer.id ? conversation : c)) });
  },
  statusChanged(messageId, status) {
    set({
      summaries: get().summaries.map((c) =>
        c.lastMessage?.id === messageId ? { ...c, lastMessage: { ...c.lastMessage, status } } : c,
      ),
    });
  },
  readChanged(peerUserId, unreadCount) {
    const summaries = get().summaries;
    if (!summaries.some((c) => c.peer.id === peerUserId && c.unreadCount !== unreadCount)) return;
    set({ summaries: summaries.map((c) => (c.peer.id === peerUserId ? { ...c, unreadCount } : c)) });
  },
  userChanged(user) {
    const peer: Peer = { id: user.id, username: user.username, displayName: user.displayName };
    set({
      summaries: get().summaries.map((c) => (c.peer.id === user.id ? { ...c, peer } : c)),
      people: get().people[user.id] ? { ...get().people, [user.id]: peer } : get().people,
    });
  },
  reset() {
    epoch++;
    set(initial);
  },
}));

/** Who a user id is, from whatever we know: chats, contacts, the directory. */
export function findPeer(peerUserId: string): Peer | null {
  const summary = useConversations.getState().summaries.find((c) => c.peer.id === peerUserId);
  if (summary) return summary.peer;
  const contact = useContacts.getState().contacts.find((c) => c.userId === peerUserId);
  if (contact) return { id: contact.userId, username: contact.username, displayName: contact.displayName };
  return useConversations.getState().people[peerUserId] ?? null;
}

/** The same, as a hook that follows changes (a renamed contact, a chat appearing). */
export function usePeer(peerUserId: string): Peer | null {
  const summaryPeer = useConversations((s) => s.summaries.find((c) => c.peer.id === peerUserId)?.peer);
  const contact = useContacts((s) => s.contacts.find((c) => c.userId === peerUserId));
  const remembered = useConversations((s) => s.people[peerUserId]);
  if (contact) return { id: contact.userId, username: contact.username, displayName: contact.displayName };
  return summaryPeer ?? remembered ?? null;
}
