import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startApp, withBrowser } from '@parley/test-support/browser';
import { type Person, restart } from '@parley/test-support/pair';
import { REPO_ROOT, withServer } from '@parley/test-support/server';
import { addContact, history, openChat, sendMessage, signIn, signUp, uniqueUsername } from '@parley/test-support/ui';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const t = withServer();
const b = withBrowser();

/** A web page with Open Graph tags and a picture, on 127.0.0.1; every request it gets is logged. */
let site: Server;
let siteHost = '';
const requests: string[] = [];
beforeAll(async () => {
  const picture = await readFile(join(REPO_ROOT, 'apps/desktop/src/renderer/public/icon.png'));
  site = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/article') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><title>Fallback</title>
        <meta property="og:title" content="Ёлки &amp; палки: a test article">
        <meta property="og:description" content="What the sender's app found on the page.">
        <meta property="og:image" content="/picture.png"></head><body>Body</body></html>`);
    } else if (req.url === '/picture.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(picture);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteHost = `127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => site.close(() => resolve())));

async function person(name: string, displayName: string): Promise<Person> {
  // Both hosts may fetch from the test site, so a fetch by the receiver would show in its log.
  const app = await startApp(t.server.baseUrl, undefined, { linkPreviewTestHosts: [siteHost] });
  b.apps.push(app);
  const page = await (await b.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const username = uniqueUsername(name);
  await signUp(page, app.url, username, displayName);
  return { page, app, username, displayName };
}

/** How many pixels of a screenshot are strongly coloured (an emoji drawn in colour, not a grey box). */
function colouredPixels(page: Page, png: Buffer): Promise<number> {
  return page.evaluate<number>(`(async () => {
    const image = new Image();
    image.src = 'data:image/png;base64,${png.toString('base64')}';
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 90) count++;
    }
    return count;
  })()`);
}

/** The accessible name of the focused control. */
const focused = (page: Page) => page.evaluate<string | null>(`document.activeElement?.getAttribute('aria-label')`);

const composer = (page: Page) => page.getByRole('textbox', { name: 'Message' });

describe('writing and reading in Chromium', () => {
  it('emoji in colour from the picker, formatting and links, a link preview made by the sender only, long texts whole, search in a chat, drafts after a restart', {
    timeout: 300_000,
  }, async () => {
    const alice = await person('alice', 'Alice');
    const bob = await person('bob', 'Bob');
    // "@username" finds someone in the directory.
    await addContact(alice.page, `@${bob.username}`, 'Bob');
    await addContact(bob.page, alice.username, 'Alice');
    await openChat(alice.page, 'Bob');
    await openChat(bob.page, 'Alice');
    // Alice's second device: it gets her own messages as they are sent.
    const aliceLaptop = await startApp(t.server.baseUrl, undefined, { linkPreviewTestHosts: [siteHost] });
    b.apps.push(aliceLaptop);
    const laptop = await (await b.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await signIn(laptop, aliceLaptop.url, alice.username);

    // Emoji: Alice picks one by its Russian name with the keyboard only, in a skin tone.
    await composer(alice.page).fill('Привет ');
    await composer(alice.page).press('Tab');
    expect(await focused(alice.page)).toBe('Insert emoji');
    await alice.page.keyboard.press('Enter');
    const picker = alice.page.getByRole('dialog', { name: 'Emoji' });
    await picker.getByRole('searchbox', { name: 'Search emoji' }).fill('машет');
    await picker.getByRole('button', { name: 'waving hand' }).waitFor();
    await picker.getByRole('combobox', { name: 'Skin tone' }).selectOption({ label: '✋🏽 Medium' });
    await picker.getByRole('searchbox', { name: 'Search emoji' }).press('ArrowDown');
    await alice.page.keyboard.press('Enter');
    await alice.page.keyboard.press('Escape');
    await expect.poll(() => picker.count()).toBe(0);
    expect(await composer(alice.page).inputValue()).toBe('Привет 👋🏽');
    expect(await focused(alice.page)).toBe('Message');
    await alice.page.keyboard.press('Enter');
    await history(bob.page).filter({ hasText: 'Привет 👋🏽' }).waitFor();
    // The picker remembers it under Recent.
    await alice.page.getByRole('button', { name: 'Insert emoji' }).click();
    await picker.getByRole('tab', { name: 'Recent' }).click();
    await picker.getByRole('button', { name: 'waving hand' }).waitFor();
    await alice.page.keyboard.press('Escape');

    // The test machine has no colour emoji font of its own: the shipped one draws it in colour.
    await sendMessage(alice.page, '😀');
    const emoji = history(bob.page).filter({ hasText: /^😀$/ });
    await emoji.waitFor();
    await bob.page.evaluate('document.fonts.ready');
    expect(await bob.page.evaluate(`document.fonts.check('24px "Parley Emoji"', '😀')`)).toBe(true);
    expect(await colouredPixels(bob.page, await emoji.screenshot())).toBeGreaterThan(20);

    // Formatting and links, rendered as elements (never as HTML).
    await sendMessage(
      alice.page,
      '**Bold** and __italic__, `code`, ~~gone~~, ||secret|| <b>not html</b> https://example.org/a_b_c.',
    );
    const formatted = bob.page.getByRole('log', { name: 'Messages' }).locator('.bubble-text').last();
    await formatted.locator('strong', { hasText: 'Bold' }).waitFor();
    expect(await formatted.locator('em').textContent()).toBe('italic');
    expect(await formatted.locator('code').textContent()).toBe('code');
    expect(await formatted.locator('s').textContent()).toBe('gone');
    expect(await formatted.locator('b').count()).toBe(0);
    expect(await formatted.textContent()).toContain('<b>not html</b>');
    const link = formatted.getByRole('link', { name: 'https://example.org/a_b_c' });
    expect(await link.getAttribute('href')).toBe('https://example.org/a_b_c');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    const spoiler = formatted.getByRole('button', { name: 'Spoiler: show' });
    await spoiler.focus();
    await bob.page.keyboard.press('Enter');
    await formatted.locator('.spoiler.shown', { hasText: 'secret' }).waitFor();

    // A link preview: off until Alice turns it on in the settings.
    const article = `http://${siteHost}/article`;
    await composer(alice.page).fill(`No preview yet: ${article}`);
    await alice.page.waitForTimeout(1_500);
    expect(requests).toEqual([]);
    await composer(alice.page).fill('');
    await alice.page.getByRole('button', { name: 'Settings' }).click();
    const settings = alice.page.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('checkbox', { name: 'Link previews' }).check();
    await settings.getByRole('button', { name: 'Close' }).click();
    await composer(alice.page).fill(`Read this: ${article}`);
    await alice.page
      .locator('.composer-preview')
      .getByText('Ёлки & палки: a test article')
      .waitFor({ timeout: 15_000 });
    await composer(alice.page).press('Enter');
    const card = bob.page.getByRole('log', { name: 'Messages' }).locator('.link-preview').last();
    await card.getByText('Ёлки & палки: a test article').waitFor();
    await card.getByText("What the sender's app found on the page.").waitFor();
    await expect
      .poll(() => card.locator('img').evaluate((img: { naturalWidth: number }) => img.naturalWidth))
      .toBeGreaterThan(0);
    expect(await card.getAttribute('href')).toBe(article);
    // Only Alice's app fetched the page and its picture; Bob's fetched nothing.
    const fetchedBySender = [...requests];
    expect(fetchedBySender.sort()).toEqual(['/article', '/picture.png']);
    await bob.page.waitForTimeout(1_500);
    expect(requests).toHaveLength(fetchedBySender.length);

    // Long texts: 100,000 characters are refused, with a message, and kept; 60 KB go whole.
    const huge = 'x'.repeat(100_000);
    await composer(alice.page).fill(huge);
    await composer(alice.page).press('Enter');
    await alice.page
      .getByRole('alert')
      .filter({ hasText: 'This message is too long (98 KB, at most 64 KB)' })
      .waitFor();
    expect((await composer(alice.page).inputValue()).length).toBe(100_000);
    const long = `Начало. ${'Длинный текст с ёлкой, long text. '.repeat(1_200).slice(0, 30_000)} Конец.`;
    await composer(alice.page).fill(long);
    await composer(alice.page).press('Enter');
    await expect.poll(() => composer(alice.page).inputValue()).toBe('');
    await history(bob.page).filter({ hasText: 'Начало.' }).last().waitFor();
    await expect.poll(() => history(bob.page).last().textContent(), { timeout: 30_000 }).toBe(long);
    expect(await history(alice.page).last().textContent()).toBe(long);
    // On Alice's other device too: the whole text, the preview and the formatting.
    await openChat(laptop, 'Bob');
    await expect.poll(() => history(laptop).last().textContent(), { timeout: 30_000 }).toBe(long);
    await laptop.locator('.link-preview').getByText('Ёлки & палки: a test article').waitFor();
    await laptop.getByRole('log', { name: 'Messages' }).locator('strong', { hasText: 'Bold' }).waitFor();
    expect(requests).toHaveLength(fetchedBySender.length);

    // Search in the chat folds ё/е: "ЕЛКОИ" finds "ёлкой".
    await sendMessage(alice.page, 'Под ёлкой лежит подарок');
    await history(bob.page).filter({ hasText: 'Под ёлкой лежит подарок' }).waitFor();
    await bob.page.keyboard.press('Control+f');
    const inChat = bob.page.getByRole('search', { name: 'Search in this chat' });
    await inChat.getByRole('searchbox', { name: 'Search in this chat' }).fill('под елкой');
    await inChat.getByRole('status').filter({ hasText: '1 of 1' }).waitFor();
    await inChat.getByRole('searchbox', { name: 'Search in this chat' }).fill('ЕЛКОЙ');
    await inChat.getByRole('status').filter({ hasText: '1 of 2' }).waitFor();
    await bob.page.keyboard.press('Enter');
    await inChat.getByRole('status').filter({ hasText: '2 of 2' }).waitFor();
    await bob.page.keyboard.press('Escape');
    await expect.poll(() => inChat.count()).toBe(0);

    // A draft stays in its chat, and survives a restart of the app.
    await composer(bob.page).fill('Черновик, который переживёт перезапуск');
    await bob.page.waitForTimeout(800);
    const again = await restart(b, t.server.baseUrl, bob);
    await again.getByRole('searchbox', { name: 'Search people and chats' }).waitFor({ timeout: 20_000 });
    await openChat(again, 'Alice');
    await expect.poll(() => composer(again).inputValue()).toBe('Черновик, который переживёт перезапуск');
    // The whole long text is in Bob's store too.
    await expect.poll(() => history(again).filter({ hasText: 'Конец.' }).count()).toBeGreaterThan(0);
  });
});
