import { startApp, type TestApp, withBrowser } from '@parley/test-support/browser';
import { withServer } from '@parley/test-support/server';
import { addContact, history, openChat, sendMessage, signUp, uniqueUsername } from '@parley/test-support/ui';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const t = withServer();
const b = withBrowser();

async function newUser(name: string, displayName: string): Promise<{ page: Page; app: TestApp; username: string }> {
  const app = await startApp(t.server.baseUrl);
  b.apps.push(app);
  const page = await (await b.browser.newContext()).newPage();
  const username = uniqueUsername(name);
  await signUp(page, app.url, username, displayName);
  return { page, app, username };
}

const LONG = `${'Длинное сообщение, long message. '.repeat(121).slice(0, 3999)}!`;

describe('two people in Chromium', () => {
  it('register, find and add each other, chat both ways with typing, presence and ticks, then remove a contact', {
    timeout: 120_000,
  }, async () => {
    const alice = await newUser('alice', 'Alice Liddell');
    const bob = await newUser('bob', 'Боб Строитель');

    await addContact(alice.page, bob.username, 'Боб Строитель');
    await addContact(bob.page, alice.username, 'Alice Liddell');

    // Alice opens the chat: Bob is online, and she sees him typing.
    await openChat(alice.page, 'Боб Строитель');
    await alice.page.getByText('online', { exact: true }).waitFor({ timeout: 10_000 });
    await openChat(bob.page, 'Alice Liddell');
    await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Прив', { delay: 30 });
    await alice.page.getByText('typing…').waitFor({ timeout: 10_000 });

    // Both ways: Russian, English, emoji, and a 4,000-character message.
    await sendMessage(bob.page, 'Привет, Алиса! 👋');
    await history(alice.page).filter({ hasText: 'Привет, Алиса! 👋' }).waitFor();
    await sendMessage(alice.page, 'Hello Bob — how are you? 🎉');
    await history(bob.page).filter({ hasText: 'Hello Bob — how are you? 🎉' }).waitFor();
    await sendMessage(alice.page, LONG);
    await history(bob.page)
      .filter({ hasText: LONG.slice(0, 60) })
      .waitFor();
    expect(await history(bob.page).last().textContent()).toBe(LONG);

    // Alice's ticks: Bob has the conversation open and focused, so her messages end up read.
    const lastTick = alice.page.getByRole('log', { name: 'Messages' }).getByRole('img').last();
    await expect.poll(() => lastTick.getAttribute('aria-label'), { timeout: 15_000 }).toBe('Read');
    expect(await history(alice.page).allTextContents()).toEqual([
      'Привет, Алиса! 👋',
      'Hello Bob — how are you? 🎉',
      LONG,
    ]);
    expect(await history(bob.page).allTextContents()).toEqual([
      'Привет, Алиса! 👋',
      'Hello Bob — how are you? 🎉',
      LONG,
    ]);

    // Presence: Bob leaves; Alice sees "last seen".
    await bob.page.close();
    await bob.app.close();
    await alice.page.getByText(/^last seen/).waitFor({ timeout: 15_000 });

    // Remove Bob from contacts, with confirmation.
    await alice.page.getByRole('button', { name: 'Remove Боб Строитель from contacts' }).click();
    await alice.page
      .getByRole('dialog', { name: 'Remove Боб Строитель?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect
      .poll(() => alice.page.getByRole('button', { name: 'Remove Боб Строитель from contacts' }).count())
      .toBe(0);
  });
});
