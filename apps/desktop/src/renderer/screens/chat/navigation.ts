import type { KeyboardEvent } from 'react';
import { useContacts } from '../../stores/contacts.js';
import { useConversations } from '../../stores/conversations.js';

/** The sidebar's order: chats (most recent first), then contacts without a chat. */
export function sidebarOrder(): string[] {
  const chats = useConversations.getState().summaries.map((c) => c.peer.id);
  const withChat = new Set(chats);
  const contacts = useContacts
    .getState()
    .contacts.filter((c) => !withChat.has(c.userId))
    .sort(byName)
    .map((c) => c.userId);
  return [...chats, ...contacts];
}

export const byName = (a: { displayName: string }, b: { displayName: string }) =>
  a.displayName.localeCompare(b.displayName);

/** Opens the chat before (-1) or after (+1) the open one, wrapping around. */
export function stepConversation(direction: 1 | -1): void {
  const order = sidebarOrder();
  if (order.length === 0) return;
  const { selected, open } = useConversations.getState();
  const at = selected ? order.indexOf(selected) : -1;
  const next = at < 0 ? (direction > 0 ? 0 : order.length - 1) : (at + direction + order.length) % order.length;
  open(order[next] ?? null);
}

/** Arrow keys, Home and End move the focus between the items of a list (one Tab stop for the list). */
export function moveFocusInList(event: KeyboardEvent<HTMLElement>, selector = '[data-nav-item]'): void {
  const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
  if (!keys.includes(event.key) || event.altKey || event.ctrlKey || event.metaKey) return;
  const items = [...event.currentTarget.querySelectorAll<HTMLElement>(selector)];
  if (items.length === 0) return;
  const at = items.indexOf(document.activeElement as HTMLElement);
  const next =
    event.key === 'Home'
      ? 0
      : event.key === 'End'
        ? items.length - 1
        : Math.max(0, Math.min(items.length - 1, at + (event.key === 'ArrowDown' ? 1 : -1)));
  event.preventDefault();
  items[next]?.focus();
}

/** The chat open in this window, kept for a reload (the tab's sessionStorage: gone with the window). */
const OPEN_CHAT_ITEM = 'parley:open-chat';

export function rememberOpenChat(userId: string, peerUserId: string | null): void {
  if (peerUserId) sessionStorage.setItem(OPEN_CHAT_ITEM, JSON.stringify({ userId, peerUserId }));
  else sessionStorage.removeItem(OPEN_CHAT_ITEM);
}

/** The chat this window had open before it was reloaded, if the same account is signed in. */
export function lastOpenChat(userId: string): string | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(OPEN_CHAT_ITEM) ?? 'null') as {
      userId?: unknown;
      peerUserId?: unknown;
    } | null;
    return saved?.userId === userId && typeof saved.peerUserId === 'string' ? saved.peerUserId : null;
  } catch {
    return null;
  }
}
