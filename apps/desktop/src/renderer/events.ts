import { parley } from './api.js';
import { notifyIncomingMessage } from './notifications.js';
import { HOST_LINK_EVENT } from './platform/host-bridge.js';
import { callEngine } from './stores/calls.js';
import { useContacts } from './stores/contacts.js';
import { useConversations } from './stores/conversations.js';
import { useMessages } from './stores/messages.js';
import { useSession } from './stores/session.js';
import { useTransfers } from './stores/transfers.js';

/**
 * Feeds the core's events into the stores. Called once when the app starts; returns the function
 * that unsubscribes. Screens never subscribe to the core themselves: they read the stores.
 */
export function connectCoreEvents(): () => void {
  const stops = [
    parley.on('message', ({ conversation, unreadTotal: _, ...message }) => {
      useMessages.getState().received(message);
      useConversations.getState().messageArrived(message, conversation);
      if (message.direction === 'in') {
        useContacts.getState().typingChanged(message.peerUserId, false);
        notifyIncomingMessage(message);
      }
    }),
    parley.on('status', ({ messageId, peerUserId, status }) => {
      useMessages.getState().statusChanged(messageId, peerUserId, status);
      useConversations.getState().statusChanged(messageId, status);
    }),
    parley.on('messagesChanged', ({ conversation, unreadTotal: _, ...change }) => {
      useMessages.getState().changed(change);
      useConversations.getState().conversationChanged(conversation);
    }),
    parley.on('read', ({ peerUserId, unreadCount }) =>
      useConversations.getState().readChanged(peerUserId, unreadCount),
    ),
    parley.on('presence', ({ userId, online, lastSeenAt }) =>
      useContacts.getState().presenceChanged(userId, { online, lastSeenAt }),
    ),
    parley.on('user', (user) => {
      useContacts.getState().userChanged(user);
      useConversations.getState().userChanged(user);
      if (user.id === useSession.getState().session?.user.id) useSession.getState().profileUpdated(user);
    }),
    parley.on('typing', ({ userId, typing }) => useContacts.getState().typingChanged(userId, typing)),
    parley.on('identity', (change) => useContacts.getState().identityChanged(change)),
    parley.on('connection', ({ state }) => {
      useSession.getState().connectionChanged(state);
      // Presence is not told while away: connected again, it is asked for afresh.
      if (state === 'online')
        useContacts
          .getState()
          .load()
          .catch(() => {});
    }),
    parley.on('transfer', (update) => useTransfers.getState().updated(update)),
    parley.on('signedOut', ({ reason }) => useSession.getState().signedOut(reason)),
    parley.on('signal', ({ fromUserId, fromDeviceId, payload }) =>
      callEngine.signalReceived(fromUserId, fromDeviceId, payload),
    ),
  ];
  // The browser host's process gone (or back): said by its bridge; Electron's never goes alone.
  const hostLink = (event: Event) => useSession.getState().hostLinkChanged((event as CustomEvent<boolean>).detail);
  window.addEventListener(HOST_LINK_EVENT, hostLink);
  stops.push(() => window.removeEventListener(HOST_LINK_EVENT, hostLink));
  return () => {
    for (const stop of stops) stop();
  };
}
