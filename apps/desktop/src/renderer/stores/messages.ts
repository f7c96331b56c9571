import type { ClientEvents, LocalMessage, MessageStatus } from '@parley/shared';
import { create } from 'zustand';
import { parley } from '../api.js';

/** Messages per history page. */
export const HISTORY_PAGE = 50;

export interface Thread {
  /** Oldest first. */
  messages: LocalMessage[];
  /** Cursor of the older page; null once the start of the conversation is here. */
  before: string | null;
  /** The newest page has arrived. */
  loaded: boolean;
  loadingOlder: boolean;
}

interface MessagesState {
  threads: Record<string, Thread>;
  /** Unsent text per conversation. Kept in memory only: a draft is plaintext and stays off the disk. */
  drafts: Record<string, string>;
  /** A message to bring into view and highlight (from message search, or a reply's quote). */
  focus: { peerUserId: string; messageId: string } | null;
  /** Per chat: the message the composer replies to or edits, if any. */
  compose: Record<string, Compose | undefined>;
  /** Messages picked in a chat to delete or forward together. */
  selection: { peerUserId: string; ids: string[] } | null;
  open(peerUserId: string): void;
  loadOlder(peerUserId: string): Promise<void>;
  received(message: LocalMessage): void;
  statusChanged(messageId: string, peerUserId: string, status: MessageStatus): void;
  /** Messages changed by actions (edits, deletes, reactions), or removed (deleted for me). */
  changed(change: Pick<ClientEvents['messagesChanged'], 'peerUserId' | 'changed' | 'removed'>): void;
  /** Starts replying to or editing a message (an edit puts its text in the composer); null stops. */
  setCompose(peerUserId: string, compose: Compose | null): void;
  toggleSelected(peerUserId: string, messageId: string): void;
  clearSelection(): void;
  /** The attachment's local copy is here now (downloaded): it can be shown and saved. */
  attachmentReady(messageId: string, peerUserId: string): void;
  setDraft(peerUserId: string, text: string): void;
  send(peerUserId: string, text: string): Promise<void>;
  /** Sends a failed outgoing message again (text or file), as the same message. */
  resend(message: LocalMessage): Promise<void>;
  setFocus(focus: MessagesState['focus']): void;
  reset(): void;
}

export interface Compose {
  mode: 'reply' | 'edit';
  message: LocalMessage;
}

const initial = { threads: {}, drafts: {}, focus: null, compose: {}, selection: null };
const emptyThread: Thread = { messages: [], before: null, loaded: false, loadingOlder: false };
/** Bumped by reset(): pages that arrive for a previous account are dropped. */
let epoch = 0;

export const useMessages = create<MessagesState>((set, get) => {
  const updateThread = (peerUserId: string, change: (thread: Thread) => Thread) => {
    const thread = get().threads[peerUserId];
    if (thread) set({ threads: { ...get().threads, [peerUserId]: change(thread) } });
  };
  /** Changes one message of a loaded thread (nothing happens when it already is so). */
  const updateMessage = (peerUserId: string, messageId: string, change: Partial<LocalMessage>) =>
    updateThread(peerUserId, (thread) => {
      const at = thread.messages.findIndex((m) => m.id === messageId);
      const current = thread.messages[at];
      if (!current || Object.entries(change).every(([k, v]) => current[k as keyof LocalMessage] === v)) return thread;
      const messages = thread.messages.slice();
      messages[at] = { ...current, ...change };
      return { ...thread, messages };
    });

  return {
    ...initial,
    open(peerUserId) {
      if (get().threads[peerUserId]) return;
      set({ threads: { ...get().threads, [peerUserId]: emptyThread } });
      const started = epoch;
      parley.history(peerUserId, undefined, HISTORY_PAGE).then(
        (page) => {
          if (started !== epoch) return;
          // Messages that arrived while the page was on its way stay, after it.
          updateThread(peerUserId, (thread) => {
            const ids = new Set(page.messages.map((m) => m.id));
            return {
              ...thread,
              messages: [...page.messages, ...thread.messages.filter((m) => !ids.has(m.id))],
              before: page.before,
              loaded: true,
            };
          });
        },
        () => {
          // Let the next open try again.
          if (started === epoch && !get().threads[peerUserId]?.loaded) {
            const { [peerUserId]: _, ...rest } = get().threads;
            set({ threads: rest });
          }
        },
      );
    },
    async loadOlder(peerUserId) {
      const thread = get().threads[peerUserId];
      if (!thread?.loaded || !thread.before || thread.loadingOlder) return;
      const started = epoch;
      updateThread(peerUserId, (t) => ({ ...t, loadingOlder: true }));
      try {
        const page = await parley.history(peerUserId, thread.before, HISTORY_PAGE);
        if (started !== epoch) return;
        updateThread(peerUserId, (t) => {
          const ids = new Set(t.messages.map((m) => m.id));
          return {
            ...t,
            messages: [...page.messages.filter((m) => !ids.has(m.id)), ...t.messages],
            before: page.before,
            loadingOlder: false,
          };
        });
      } catch (error) {
        updateThread(peerUserId, (t) => ({ ...t, loadingOlder: false }));
        throw error;
      }
    },
    received(message) {
      // Delivery is at least once: a message seen before is not added again.
      updateThread(message.peerUserId, (thread) =>
        thread.messages.some((m) => m.id === message.id)
          ? thread
          : { ...thread, messages: [...thread.messages, message] },
      );
    },
    statusChanged(messageId, peerUserId, status) {
      updateMessage(peerUserId, messageId, { status });
    },
    changed({ peerUserId, changed, removed }) {
      const byId = new Map(changed.map((m) => [m.id, m]));
      const gone = new Set(removed);
      updateThread(peerUserId, (thread) => ({
        ...thread,
        messages: thread.messages.filter((m) => !gone.has(m.id)).map((m) => byId.get(m.id) ?? m),
      }));
      // A reply or edit under way of a message that went (or was deleted) stops.
      const compose = get().compose[peerUserId];
      const now = compose && (byId.get(compose.message.id) ?? compose.message);
      if (compose && now && (gone.has(now.id) || now.deleted)) get().setCompose(peerUserId, null);
      const selection = get().selection;
      if (selection?.peerUserId === peerUserId && selection.ids.some((id) => gone.has(id)))
        set({ selection: { peerUserId, ids: selection.ids.filter((id) => !gone.has(id)) } });
    },
    setCompose(peerUserId, compose) {
      const previous = get().compose[peerUserId];
      set({ compose: { ...get().compose, [peerUserId]: compose ?? undefined } });
      if (compose?.mode === 'edit') get().setDraft(peerUserId, compose.message.text);
      else if (previous?.mode === 'edit') get().setDraft(peerUserId, '');
    },
    toggleSelected(peerUserId, messageId) {
      const current = get().selection;
      const ids = current?.peerUserId === peerUserId ? current.ids : [];
      set({
        selection: {
          peerUserId,
          ids: ids.includes(messageId) ? ids.filter((id) => id !== messageId) : [...ids, messageId],
        },
      });
    },
    clearSelection() {
      set({ selection: null });
    },
    attachmentReady(messageId, peerUserId) {
      updateMessage(peerUserId, messageId, { attachmentReady: true });
    },
    setDraft(peerUserId, text) {
      set({ drafts: { ...get().drafts, [peerUserId]: text } });
    },
    async send(peerUserId, text) {
      const compose = get().compose[peerUserId];
      get().setDraft(peerUserId, '');
      try {
        if (compose?.mode === 'edit') {
          await parley.editMessage(compose.message.id, text);
          get().setCompose(peerUserId, null);
          return;
        }
        // The core also emits the new message as an event; `received` keeps one copy.
        get().received(await parley.sendText(peerUserId, text, compose?.message.id));
        if (compose) get().setCompose(peerUserId, null);
      } catch (error) {
        // Not sent: give the text back, unless something new was typed meanwhile.
        if (!get().drafts[peerUserId]) get().setDraft(peerUserId, text);
        throw error;
      }
    },
    async resend(message) {
      // Shown as sending at once; the core's status events take it from there.
      get().statusChanged(message.id, message.peerUserId, 'pending');
      try {
        await parley.retryMessage(message.id);
      } catch (error) {
        get().statusChanged(message.id, message.peerUserId, 'failed');
        throw error;
      }
    },
    setFocus(focus) {
      set({ focus });
    },
    reset() {
      epoch++;
      set(initial);
    },
  };
});
