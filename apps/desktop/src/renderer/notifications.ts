import type { LocalMessage } from '@parley/shared';
import type { TFunction } from 'i18next';
import { useChats } from './stores/chats.js';
import { useSettings } from './stores/settings.js';

/** Asks once, when notifications are on and the browser has not been asked yet. */
export async function askNotificationPermission(): Promise<void> {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default')
    await Notification.requestPermission();
}

/**
 * A native notification for an incoming message when the window is hidden or not focused,
 * as the settings allow. One per conversation (tag); a click focuses the window and opens it.
 */
export function notifyMessage(message: LocalMessage, senderName: string, t: TFunction): void {
  const { notifications, notificationText } = useSettings.getState();
  if (message.direction !== 'in' || !notifications) return;
  if (document.visibilityState === 'visible' && document.hasFocus()) return;
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const notification = new Notification(senderName, {
    body: notificationText ? message.text : t('notification.newMessage'),
    tag: message.peerUserId,
  });
  notification.onclick = () => {
    window.focus();
    useChats.getState().select(message.peerUserId);
    notification.close();
  };
}
