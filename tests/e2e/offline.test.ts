import { withBrowser } from '@parley/test-support/browser';
import { aliceAndBob, restart } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { history, openChat, sendMessage } from '@parley/test-support/ui';
import { describe, expect, it } from 'vitest';

const t = withServer();
const b = withBrowser();

describe('restart and offline', () => {
  it('a restarted host signs in from the keychain; offline, history and search work and a message waits, then goes', {
    timeout: 120_000,
  }, async () => {
    const { alice, bob } = await aliceAndBob(b, t.server.baseUrl);
    await sendMessage(bob.page, 'Встречаемся у фонтана');
    await sendMessage(bob.page, 'Bring the blueprints');
    await history(alice.page).filter({ hasText: 'Bring the blueprints' }).waitFor();

    // Alice's host restarts on the same data directory: no password, history is there.
    const page = await restart(b, t.server.baseUrl, alice);
    await openChat(page, 'Bob');
    await history(page).filter({ hasText: 'Bring the blueprints' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);

    // The server goes away: history, search and writing still work.
    await t.server.kill('SIGTERM');
    await page.getByText(/Offline|Connecting/).waitFor({ timeout: 15_000 });
    expect(await history(page).allTextContents()).toEqual(['Встречаемся у фонтана', 'Bring the blueprints']);
    await page.getByRole('button', { name: 'Search messages' }).click();
    const dialog = page.getByRole('dialog', { name: 'Search messages' });
    await dialog.getByRole('searchbox', { name: 'Search in all chats' }).fill('фонтан');
    await dialog.getByRole('button', { name: /фонтана/ }).waitFor();
    await dialog.getByRole('searchbox', { name: 'Search in all chats' }).fill('blueprint');
    await dialog.getByRole('button', { name: /blueprints/ }).waitFor();
    await dialog.getByRole('button', { name: 'Close search' }).click();

    await sendMessage(page, 'Written while offline');
    const tick = page.getByRole('log', { name: 'Messages' }).getByRole('img').last();
    await expect.poll(() => tick.getAttribute('aria-label')).toBe('Sending');

    // The server comes back: the message goes out by itself and reaches Bob.
    await t.server.restart();
    await expect.poll(() => tick.getAttribute('aria-label'), { timeout: 45_000 }).not.toBe('Sending');
    await history(bob.page).filter({ hasText: 'Written while offline' }).waitFor({ timeout: 30_000 });
  });
});
