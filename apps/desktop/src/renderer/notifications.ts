import type { LocalMessage } from '@parley/shared';
import i18next from 'i18next';
import { messagePreview } from './screens/chat/message-preview.js';
import { findPeer, useConversations } from './stores/conversations.js';
import { useSettings } from './stores/settings.js';

/**
 * Desktop notifications, all in this module: the Web Notification API, which Electron shows as
 * native notifications and the browser host as the browser's.
 */

const supported = () => typeof Notification !== 'undefined';

/** Asks the OS once (on first sign-in, or when turned on); later calls do nothing. */
export async function requestNotificationPermission(): Promise<void> {
  if (supported() && Notification.permission === 'default') await Notification.requestPermission();
}

export const notificationsBlocked = () => supported() && Notification.permission === 'denied';

/** Someone looking at the window needs no notification. */
const windowActive = () => document.visibilityState === 'visible' && document.hasFocus();

/**
 * A notification for an incoming message while the window is hidden or unfocused, as the
 * settings allow. One per chat (the tag replaces the previous); a click opens that chat.
 */
export function notifyIncomingMessage(message: LocalMessage): void {
  const { notifications, notificationText } = useSettings.getState();
  if (message.direction !== 'in' || !notifications || windowActive()) return;
  if (!supported() || Notification.permission !== 'granted') return;
  const sender = findPeer(message.peerUserId)?.displayName ?? i18next.t('appName');
  const notification = new Notification(sender, {
    body: notificationText
      ? messagePreview(message, i18next.t, { firstLine: false })
      : i18next.t('notification.newMessage'),
    tag: message.peerUserId,
  });
  notification.onclick = () => {
    window.focus();
    useConversations.getState().open(message.peerUserId);
    notification.close();
  };
}

/**
 * A notification for an incoming call while the window is hidden or unfocused; a click brings the
 * window forward, where the call screen answers or declines.
 */
export function notifyIncomingCall(peerUserId: string, media: 'audio' | 'video'): void {
  if (!useSettings.getState().notifications || windowActive()) return;
  if (!supported() || Notification.permission !== 'granted') return;
  const caller = findPeer(peerUserId)?.displayName ?? i18next.t('appName');
  const notification = new Notification(caller, {
    body: i18next.t(media === 'video' ? 'call.incomingVideo' : 'call.incomingAudio'),
    tag: `call:${peerUserId}`,
    requireInteraction: true,
  });
  notification.onclick = () => {
    window.focus();
    notification.close();
  };
}
