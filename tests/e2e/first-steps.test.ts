import { startApp, withBrowser } from '@parley/test-support/browser';
import { callScreen, connectCall } from '@parley/test-support/calls';
import { call, login } from '@parley/test-support/http';
import { befriend, person } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { history, sendMessage, signUp, uniqueUsername } from '@parley/test-support/ui';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

// The small things a new user runs into first (issue 16's bug list), each seen as they would see it.
const t = withServer();
const b = withBrowser();

/** Whether `inner` lies wholly inside `outer` on screen (not covered by what is below it). */
async function within(inner: Locator, outer: Locator): Promise<boolean> {
  const a = await inner.boundingBox();
  const o = await outer.boundingBox();
  return !!a && !!o && a.y >= o.y - 1 && a.y + a.height <= o.y + o.height + 1;
}

const historyLog = (page: Page) => page.getByRole('log', { name: 'Messages' });

/** The page's own view of an element (the tests are typed without the DOM's types). */
interface PageElement {
  ownerDocument: {
    activeElement: unknown;
    defaultView: { getComputedStyle(el: PageElement): { color: string; backgroundColor: string } };
  };
}

/** WCAG contrast ratio of an element's text on its own background. */
function contrastOf(element: Locator): Promise<number> {
  return element.evaluate((el) => {
    const luminance = (css: string) => {
      const [r = 0, g = 0, b = 0] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((c) => {
        const s = Number(c) / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const page = el as unknown as PageElement;
    const style = page.ownerDocument.defaultView.getComputedStyle(page);
    const [fg, bg] = [luminance(style.color), luminance(style.backgroundColor)];
    return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  });
}

/** Whether the element has the keyboard focus. */
const focused = (element: Locator) =>
  element.evaluate((el) => el === (el as unknown as PageElement).ownerDocument.activeElement);

describe('first steps', () => {
  it('Create account starts in its first field; a sign-out notice goes once read; signing out by myself says nothing of another device', {
    timeout: 90_000,
  }, async () => {
    const host = await startApp(t.server.baseUrl);
    b.apps.push(host);
    const page = await (await b.browser.newContext()).newPage();
    await page.goto(host.url);
    await page.getByRole('button', { name: 'New here? Create an account' }).click();
    await expect.poll(() => focused(page.getByLabel('Username'))).toBe(true);

    // Signed out from my other device: said on the sign-in screen, and gone once I move on to Create account.
    const username = uniqueUsername('carol');
    await signUp(page, host.url, username, 'Carol');
    const other = await login(t.server.baseUrl, username);
    const here = (await host.core.session())?.deviceId as string;
    await call(t.server.baseUrl, 'DELETE', `/devices/${here}`, { token: other.body.accessToken });
    const elsewhere = page.getByText('This device was signed out from another of your devices.');
    await elsewhere.waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'New here? Create an account' }).click();
    await expect.poll(() => elsewhere.count()).toBe(0);

    // Signing out here myself: no word of another device.
    await signUp(page, host.url, uniqueUsername('carol'), 'Carol');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Sign out of Parley' }).click();
    await page.getByRole('dialog', { name: 'Sign out of Parley?' }).getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await elsewhere.count()).toBe(0);
  });

  it('a blank message offers the microphone, files never cover the last message, a call ends at the newest message, reloading reopens the chat', {
    timeout: 180_000,
  }, async () => {
    const alice = await person(b.browser, t.server.baseUrl, 'alice', 'Alice');
    const bob = await person(b.browser, t.server.baseUrl, 'bob', 'Bob');
    b.apps.push(alice.app, bob.app);
    await befriend(alice, bob);

    // Only spaces: nothing to send, so the microphone stays.
    await alice.page.getByRole('textbox', { name: 'Message' }).fill('   ');
    expect(await alice.page.getByRole('button', { name: 'Send', exact: true }).count()).toBe(0);
    await alice.page.getByRole('button', { name: 'Record voice message' }).waitFor();
    await alice.page.getByRole('textbox', { name: 'Message' }).fill('');

    // Enough history to scroll.
    for (let i = 1; i <= 30; i++) await sendMessage(alice.page, `Message number ${i}`);
    await history(alice.page).filter({ hasText: 'Message number 30' }).waitFor();
    const last = history(alice.page).filter({ hasText: 'Message number 30' });
    await expect.poll(() => within(last, historyLog(alice.page))).toBe(true);

    // Files waiting above the box: the newest message stays in view.
    await alice.page.getByLabel('Attach files').setInputFiles([
      { name: 'one.txt', mimeType: 'text/plain', buffer: Buffer.from('one') },
      { name: 'two.txt', mimeType: 'text/plain', buffer: Buffer.from('two') },
      { name: 'three.txt', mimeType: 'text/plain', buffer: Buffer.from('three') },
    ]);
    await alice.page.getByRole('list', { name: 'Files to send' }).waitFor();
    await expect.poll(() => within(last, historyLog(alice.page))).toBe(true);
    for (const name of ['one.txt', 'two.txt', 'three.txt'])
      await alice.page.getByRole('button', { name: `Remove ${name}` }).click();

    // A call, in the light theme: its device picker is readable; afterwards the call's entry is in view.
    await alice.page.evaluate("document.documentElement.setAttribute('data-theme', 'light')");
    await connectCall(alice, bob, 'audio');
    const picker = callScreen(alice.page, 'Bob').getByRole('combobox').first();
    await picker.waitFor();
    expect(await contrastOf(picker)).toBeGreaterThanOrEqual(4.5);
    // Mid-call, the window is made smaller (as one does to keep the video beside other work).
    for (const page of [alice.page, bob.page]) await page.setViewportSize({ width: 1000, height: 560 });
    await callScreen(alice.page, 'Bob').getByRole('button', { name: 'Hang up' }).click();
    await callScreen(alice.page, 'Bob').waitFor({ state: 'detached', timeout: 15_000 });
    for (const page of [alice.page, bob.page]) {
      const entry = historyLog(page).locator('.call-entry').last();
      await entry.waitFor();
      await expect.poll(() => within(entry, historyLog(page)), { timeout: 5_000 }).toBe(true);
    }

    // Reloading comes back to the chat that was open.
    await alice.page.reload();
    await alice.page.getByRole('heading', { name: 'Bob' }).waitFor({ timeout: 15_000 });
  });

  it('in the browser host, a message written while the host is gone stays in the box and the lost host is shown', {
    timeout: 90_000,
  }, async () => {
    const alice = await person(b.browser, t.server.baseUrl, 'alice', 'Alice');
    const bob = await person(b.browser, t.server.baseUrl, 'bob', 'Bob');
    b.apps.push(alice.app, bob.app);
    await befriend(alice, bob);
    await alice.app.close();
    const box = alice.page.getByRole('textbox', { name: 'Message' });
    await box.fill('Are you there?');
    await box.press('Enter');
    await alice.page.getByText('Parley is not running').first().waitFor({ timeout: 15_000 });
    await alice.page.waitForTimeout(1_000);
    expect(await box.inputValue()).toBe('Are you there?');
  });
});
