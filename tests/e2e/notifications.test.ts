import { withBrowser } from '@parley/test-support/browser';
import { befriend, person } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { history, sendMessage } from '@parley/test-support/ui';
import { describe, expect, it } from 'vitest';

const t = withServer();
const b = withBrowser();

/**
 * Records notifications through the real Notification API surface, and lets the test hide the
 * page (headless Chromium has no window manager to take focus away).
 */
const INSTRUMENT = `
  window.__shown = [];
  window.__hidden = false;
  class RecordingNotification {
    static permission = 'granted';
    static requestPermission = async () => 'granted';
    constructor(title, options = {}) {
      this.onclick = null;
      window.__shown.push({ title, body: options.body ?? '' });
    }
    close() {}
  }
  Object.defineProperty(window, 'Notification', { value: RecordingNotification, configurable: true });
  Object.defineProperty(document, 'visibilityState', { get: () => (window.__hidden ? 'hidden' : 'visible'), configurable: true });
  document.hasFocus = () => !window.__hidden;
`;

describe('notifications', () => {
  it('a message arriving while the page is hidden raises a notification with the sender’s name; none when turned off', {
    timeout: 90_000,
  }, async () => {
    const alice = await person(b.browser, t.server.baseUrl, 'alice', 'Alice');
    const bob = await person(b.browser, t.server.baseUrl, 'bob', 'Боб');
    b.apps.push(alice.app, bob.app);
    await alice.page.addInitScript({ content: INSTRUMENT });
    await alice.page.reload(); // the session is restored from the keychain; the script is in place
    await befriend(alice, bob);
    const shown = () => alice.page.evaluate<{ title: string; body: string }[]>('window.__shown');
    const setHidden = (hidden: boolean) => alice.page.evaluate(`window.__hidden = ${hidden}`);

    // Visible and focused: no notification.
    await sendMessage(bob.page, 'You are looking at this');
    await history(alice.page).filter({ hasText: 'You are looking at this' }).waitFor();
    expect(await shown()).toEqual([]);

    await setHidden(true);
    await sendMessage(bob.page, 'Are you there?');
    await expect.poll(shown, { timeout: 10_000 }).toEqual([{ title: 'Боб', body: 'Are you there?' }]);

    // Turned off in settings: nothing more.
    await setHidden(false);
    await alice.page.getByRole('button', { name: 'Settings' }).click();
    await alice.page.getByRole('checkbox', { name: 'Show notifications for new messages' }).uncheck();
    await alice.page.getByRole('button', { name: 'Close settings' }).click();
    await setHidden(true);
    await sendMessage(bob.page, 'Still there?');
    await history(alice.page).filter({ hasText: 'Still there?' }).waitFor();
    await new Promise((r) => setTimeout(r, 500));
    expect(await shown()).toHaveLength(1);
  });
});
