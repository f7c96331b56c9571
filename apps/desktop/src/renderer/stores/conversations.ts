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
  messageArrived(message: LocalMessage): void;
  statusChanged(messageId: string, status: MessageStatus): void;
  readChanged(peerUserId: string, unreadCount: number): void;
  reset(): void;
}

const initial = { summaries: [], loaded: false, selected: null, people: {} };

// Refreshes are coalesced: a burst of messages (a queue drained after a night offline) costs one
// call in flight and at most one more after it, never one per message.
let refreshing: Promise<void> | null = null;
let refreshAgain = false;
/** Bumped by reset(): answers to calls made for a previous account are dropped. */
let epoch = 0;

const momentOf = (m: LocalMessage) => m.serverTimestamp ?? m.sentAt;

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
  messageArrived(message) {
    // Shown at once (moved to the top, counted); the core's own figures follow in the refresh.
    const summaries = get().summaries;
    const at = summaries.findIndex((c) => c.peer.id === message.peerUserId);
    const current = summaries[at];
    if (current && current.lastMessage?.id !== message.id) {
      const unseen = message.direction === 'in' && message.readAt === null;
      const updated: ConversationSummary = {
        ...current,
        lastMessage: message,
        updatedAt: momentOf(message),
        unreadCount: current.unreadCount + (unseen ? 1 : 0),
      };
      set({ summaries: [updated, ...summaries.slice(0, at), ...summaries.slice(at + 1)] });
    }
    void get().refresh();
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
