import { startApp, withBrowser } from '@parley/test-support/browser';
import { aliceAndBob, restart } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { history, openChat, sendMessage, signIn } from '@parley/test-support/ui';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const t = withServer();
const b = withBrowser();

/** A message of the open chat, by the start of its accessible name ("Message from Bob: …"). */
const message = (page: Page, name: string) =>
  page.getByRole('log', { name: 'Messages' }).getByRole('article', { name: new RegExp(`^Message from ${name}`) });
const menuItem = (page: Page, name: string) =>
  page.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name, exact: true });

describe('message actions in Chromium', () => {
  it('reply, edit, react, delete for everyone and for me, forward, copy, select: on both sides, on Alice’s second device, after restarts', {
    timeout: 240_000,
  }, async () => {
    const { alice, bob } = await aliceAndBob(b, t.server.baseUrl);
    b.apps.push(alice.app);
    await alice.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    // Alice's second device.
    const alice2App = await startApp(t.server.baseUrl);
    b.apps.push(alice2App);
    const alice2 = await (await b.browser.newContext()).newPage();
    await signIn(alice2, alice2App.url, alice.username);
    // Bob's core learns of the new device when the server refuses a send that misses it.
    await sendMessage(bob.page, 'Lunch at noon?');
    // The first send also learns of Alice's new device (sessions from its bundle): slower on a busy machine.
    await history(alice.page).filter({ hasText: 'Lunch at noon?' }).waitFor({ timeout: 60_000 });
    await openChat(alice2, 'Bob');
    await history(alice2).filter({ hasText: 'Lunch at noon?' }).waitFor({ timeout: 60_000 });

    // Reply: right-click on Bob's message, Reply, type; the quote shows everywhere.
    await message(alice.page, 'Bob: Lunch at noon').click({ button: 'right' });
    await menuItem(alice.page, 'Reply').click();
    await alice.page.getByText('Replying to Bob').waitFor();
    await sendMessage(alice.page, 'Yes, see you at noon');
    await alice2.getByRole('button', { name: /^Reply to Bob: Lunch at noon\?/ }).waitFor({ timeout: 15_000 });
    await bob.page.getByRole('button', { name: /^Reply to You: Lunch at noon\?/ }).waitFor({ timeout: 15_000 });
    expect(
      await bob.page.getByRole('button', { name: 'Reply to You: Lunch at noon?. Show the original' }).count(),
    ).toBe(1);

    // Edit by keyboard alone: focus the message, Shift+F10, Edit, change the text, Enter.
    await message(alice.page, 'You: Yes, see you at noon').focus();
    await alice.page.keyboard.press('Shift+F10');
    await menuItem(alice.page, 'Edit').waitFor();
    await alice.page.keyboard.press('End');
    await alice.page.keyboard.press('ArrowUp'); // Select
    await alice.page.keyboard.press('ArrowUp'); // Forward
    await alice.page.keyboard.press('ArrowUp'); // Copy text
    await alice.page.keyboard.press('ArrowUp'); // Edit
    await alice.page.keyboard.press('Enter');
    const composer = alice.page.getByRole('textbox', { name: 'Message' });
    expect(await composer.inputValue()).toBe('Yes, see you at noon');
    await composer.fill('Yes, see you at one');
    await composer.press('Enter');
    for (const page of [bob.page, alice2, alice.page]) {
      await history(page).filter({ hasText: 'Yes, see you at one' }).waitFor({ timeout: 15_000 });
      await message(page, '(Alice|You): Yes, see you at one').getByText('edited').waitFor();
    }

    // React from the hover button; Alice's devices see who reacted.
    await message(bob.page, 'Alice: Yes, see you at one').hover();
    await message(bob.page, 'Alice: Yes, see you at one').getByRole('button', { name: 'More actions' }).click();
    await menuItem(bob.page, 'React with 👍').click();
    for (const page of [alice.page, alice2]) {
      await page.getByRole('button', { name: '👍 1: Bob' }).waitFor({ timeout: 15_000 });
    }

    // Copy text puts it on the clipboard.
    await message(alice.page, 'Bob: Lunch at noon').click({ button: 'right' });
    await menuItem(alice.page, 'Copy text').click();
    expect(await alice.page.evaluate('navigator.clipboard.readText()')).toBe('Lunch at noon?');

    // Delete for everyone: a tombstone on every device.
    await sendMessage(alice.page, 'Wrong chat, sorry');
    await history(bob.page).filter({ hasText: 'Wrong chat, sorry' }).waitFor({ timeout: 15_000 });
    await message(alice.page, 'You: Wrong chat').click({ button: 'right' });
    await menuItem(alice.page, 'Delete').click();
    await alice.page
      .getByRole('dialog', { name: 'Delete the message?' })
      .getByRole('button', { name: 'Delete for everyone' })
      .click();
    for (const page of [alice.page, bob.page, alice2]) {
      await page
        .getByRole('log', { name: 'Messages' })
        .getByText('This message was deleted')
        .waitFor({ timeout: 15_000 });
      expect(await history(page).filter({ hasText: 'Wrong chat' }).count()).toBe(0);
    }

    // Delete for me, on Alice's second device: gone from both of hers, still at Bob's.
    await message(alice2, 'Bob: Lunch at noon').click({ button: 'right' });
    await menuItem(alice2, 'Delete').click();
    await alice2
      .getByRole('dialog', { name: 'Delete the message?' })
      .getByRole('button', { name: 'Delete for me' })
      .click();
    for (const page of [alice2, alice.page]) {
      await expect.poll(() => message(page, 'Bob: Lunch at noon').count(), { timeout: 15_000 }).toBe(0);
    }
    expect(await message(bob.page, 'You: Lunch at noon').count()).toBe(1);

    // Forward (into the same chat here): Bob sees it marked forwarded.
    await message(alice.page, 'You: Yes, see you at one').click({ button: 'right' });
    await menuItem(alice.page, 'Forward').click();
    await alice.page
      .getByRole('dialog', { name: 'Forward to…' })
      .getByRole('button', { name: 'Forward to Bob' })
      .click();
    await bob.page.getByRole('log', { name: 'Messages' }).getByText('Forwarded').waitFor({ timeout: 15_000 });

    // Select several on Bob's side and delete them for him.
    await sendMessage(bob.page, 'One more');
    await message(bob.page, 'You: One more').click({ button: 'right' });
    await menuItem(bob.page, 'Select').click();
    const toolbar = bob.page.getByRole('toolbar', { name: 'Selecting messages' });
    await toolbar.getByText('1 selected').waitFor();
    await message(bob.page, 'You: Lunch at noon').getByRole('checkbox', { name: 'Select this message' }).check();
    await toolbar.getByText('2 selected').waitFor();
    await toolbar.getByRole('button', { name: 'Delete' }).click();
    await bob.page
      .getByRole('dialog', { name: 'Delete 2 messages?' })
      .getByRole('button', { name: 'Delete for me' })
      .click();
    await expect.poll(() => message(bob.page, 'You: (One more|Lunch at noon)').count()).toBe(0);

    // Every app restarts: what each showed is still there.
    const expectations = async (page: Page, side: 'alice' | 'bob') => {
      await openChat(page, side === 'alice' ? 'Bob' : 'Alice');
      await history(page).filter({ hasText: 'Yes, see you at one' }).first().waitFor({ timeout: 20_000 });
      await page.getByRole('log', { name: 'Messages' }).getByText('This message was deleted').waitFor();
      expect(await page.getByText('edited').count()).toBeGreaterThan(0);
      if (side === 'alice') {
        await page.getByRole('button', { name: '👍 1: Bob' }).waitFor();
        expect(await message(page, 'Bob: Lunch at noon').count()).toBe(0);
      } else {
        await page.getByRole('button', { name: '👍 1: You' }).waitFor();
        await page.getByRole('button', { name: 'Reply to You: Lunch at noon?. Show the original' }).waitFor();
        expect(await message(page, 'You: (One more|Lunch at noon)').count()).toBe(0);
      }
    };
    await expectations(await restart(b, t.server.baseUrl, alice), 'alice');
    await expectations(await restart(b, t.server.baseUrl, bob), 'bob');
    await expectations(
      await restart(b, t.server.baseUrl, {
        page: alice2,
        app: alice2App,
        username: alice.username,
        displayName: 'Alice',
      }),
      'alice',
    );
  });
});
