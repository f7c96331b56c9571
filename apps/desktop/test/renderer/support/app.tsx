import { act, cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../../../src/renderer/App.js';
import { initI18n } from '../../../src/renderer/i18n/i18n.js';
import { useContacts } from '../../../src/renderer/stores/contacts.js';
import { useConversations } from '../../../src/renderer/stores/conversations.js';
import { useMessages } from '../../../src/renderer/stores/messages.js';
import { useSession } from '../../../src/renderer/stores/session.js';
import { useSettings } from '../../../src/renderer/stores/settings.js';
import { useTransfers } from '../../../src/renderer/stores/transfers.js';
import { useVoicePlayer } from '../../../src/renderer/stores/voice-player.js';
import { fake, SESSION } from './fake-bridge.js';

/** A fresh start: no app on screen, the fake emptied, every store as at launch, English. */
export function resetApp(): void {
  cleanup();
  fake.reset();
  localStorage.clear();
  sessionStorage.clear(); // the chat a window had open, reopened on a reload
  useSession.setState({
    phase: 'restoring',
    session: null,
    connection: 'connecting',
    hostReachable: true,
    signedOutNotice: null,
    restoreError: null,
  });
  useContacts.getState().reset();
  useConversations.getState().reset();
  useMessages.getState().reset();
  useTransfers.getState().reset();
  useVoicePlayer.getState().reset();
  useSettings.setState({ theme: 'system', language: 'en', notifications: true, notificationText: true });
  initI18n('en');
}

/** Renders the whole app as it starts, with a user-event driver. */
export function renderApp() {
  const user = userEvent.setup();
  const view = render(<App />);
  return { user, ...view };
}

/** Starts signed in (the keychain has a session) and waits for the chat screen. */
export async function renderSignedIn() {
  fake.storedSession = SESSION;
  const app = renderApp();
  await screen.findByRole('searchbox', { name: 'Search people and chats' });
  return app;
}

/** Opens a chat from the sidebar by the person's name, and waits for its history. */
export async function openChat(user: ReturnType<typeof userEvent.setup>, name: string) {
  const nav = screen.getByRole('navigation');
  const [button] = within(nav).getAllByRole('button', { name: new RegExp(`^${name}`) });
  if (!button) throw new Error(`no chat with ${name} in the sidebar`);
  await user.click(button);
  await screen.findByRole('heading', { level: 2, name });
}

/** Emits a core event inside act(), as the bridge would deliver it. */
export function emit<E extends Parameters<typeof fake.emit>[0]>(event: E, payload: Parameters<typeof fake.emit<E>>[1]) {
  act(() => fake.emit(event, payload));
}
