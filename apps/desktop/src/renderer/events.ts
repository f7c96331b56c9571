import type { TFunction } from 'i18next';
import { parley } from './api.js';
import { notifyMessage } from './notifications.js';
import { useChats } from './stores/chats.js';
import { usePeople } from './stores/people.js';
import { useSession } from './stores/session.js';

/** Feeds the core's events into the stores, once for the app's life. Returns the unsubscriber. */
export function subscribeToCore(t: TFunction): () => void {
  const api = parley();
  const stops = [
    api.on('message', (message) => {
      useChats.getState().received(message);
      if (message.direction === 'in') {
        usePeople.getState().setTyping(message.peerUserId, false);
        const name =
          useChats.getState().conversations.find((c) => c.peer.id === message.peerUserId)?.peer.displayName ??
          usePeople.getState().contacts.find((c) => c.userId === message.peerUserId)?.displayName ??
          t('appName');
        notifyMessage(message, name, t);
      }
    }),
    api.on('status', ({ messageId, peerUserId, status }) =>
      useChats.getState().statusChanged(messageId, peerUserId, status),
    ),
    api.on('read', ({ peerUserId, unreadCount }) => useChats.getState().readChanged(peerUserId, unreadCount)),
    api.on('presence', ({ userId, online, lastSeenAt }) =>
      usePeople.getState().setPresence(userId, online, lastSeenAt),
    ),
    api.on('typing', ({ userId, typing }) => usePeople.getState().setTyping(userId, typing)),
    api.on('identity', (change) => usePeople.getState().noteIdentity(change)),
    api.on('connection', ({ state }) => useSession.setState({ connection: state })),
    api.on('signedOut', () => useSession.setState({ status: 'signedOut', session: null })),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
