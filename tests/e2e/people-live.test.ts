import { withBrowser } from '@parley/test-support/browser';
import { person } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { addContact, openChat } from '@parley/test-support/ui';
import { describe, expect, it } from 'vitest';

// What a contact sees of me as it happens: my typing before we have a chat, my new name, and
// whether I am online (an app window open, and only while they are connected to know it).
const t = withServer();
const b = withBrowser();

describe('people, live', () => {
  it('typing shows before the first message, a new display name arrives at once, "online" means a window is open and the server is reachable', {
    timeout: 150_000,
  }, async () => {
    const alice = await person(b.browser, t.server.baseUrl, 'alice', 'Alice');
    const bob = await person(b.browser, t.server.baseUrl, 'bob', 'Bob');
    b.apps.push(alice.app, bob.app);
    await addContact(alice.page, bob.username, 'Bob');
    await addContact(bob.page, alice.username, 'Alice');

    // Alice writes to Bob, with whom she has no chat yet: Bob's list shows her typing.
    await openChat(alice.page, 'Bob');
    await alice.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Hel', { delay: 30 });
    const bobsList = bob.page.getByRole('navigation');
    await bobsList
      .getByRole('button', { name: /^Alice/ })
      .getByRole('img', { name: 'typing' })
      .waitFor({
        timeout: 10_000,
      });

    // Bob renames himself: Alice's list and header follow, no restart.
    await bob.page.getByRole('button', { name: 'Settings' }).click();
    const settings = bob.page.getByRole('dialog', { name: 'Settings' });
    await settings.getByLabel('Display name').fill('Robert the Builder');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByText('Saved').waitFor();
    await settings.getByRole('button', { name: 'Close settings' }).click();
    await alice.page.getByRole('heading', { name: 'Robert the Builder' }).waitFor({ timeout: 10_000 });
    await alice.page
      .getByRole('navigation')
      .getByRole('button', { name: /^Robert the Builder/ })
      .waitFor();

    // Bob's page closes while his host goes on running: he is no longer online.
    const header = alice.page.locator('.conversation-header');
    await header.getByText('online', { exact: true }).waitFor({ timeout: 10_000 });
    await bob.page.close();
    await header.getByText(/^last seen/).waitFor({ timeout: 15_000 });

    // Back with a window: online again. Then the server goes away: Alice cannot know, so no "online".
    const again = await (await b.browser.newContext()).newPage();
    await again.goto(bob.app.url);
    await again.getByRole('searchbox', { name: 'Search people and chats' }).waitFor({ timeout: 20_000 });
    await header.getByText('online', { exact: true }).waitFor({ timeout: 15_000 });
    await t.server.kill('SIGKILL');
    await alice.page.getByText(/Offline|Connecting/).waitFor({ timeout: 20_000 });
    await expect.poll(() => header.getByText('online', { exact: true }).count(), { timeout: 5_000 }).toBe(0);
    expect(await header.locator('.presence-dot').count()).toBe(0);
  });
});
