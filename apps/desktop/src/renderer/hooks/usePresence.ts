import type { Presence } from '@parley/shared';
import { useContacts } from '../stores/contacts.js';
import { useSession } from '../stores/session.js';

/**
 * A contact's presence as it may be shown: only while this app is connected (offline, "online" is
 * news too old to tell), and only if they share it with me.
 */
export function usePresence(userId: string): Presence | null {
  const connected = useSession((s) => s.connection === 'online' && s.hostReachable);
  const presence = useContacts((s) => s.contacts.find((c) => c.userId === userId)?.presence ?? null);
  return connected ? presence : null;
}
