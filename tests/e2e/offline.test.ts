import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, removeApp, startApp, type TestApp } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { befriend, person } from '../support/pair.js';
import { RELAXED_LIMITS, type ServerProcess, startServer } from '../support/server.js';
import { history, openChat, sendMessage } from '../support/ui.js';

let db: TestDatabase;
let server: ServerProcess;
let browser: Browser;
const apps: TestApp[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ DATABASE_URL: db.url, ...RELAXED_LIMITS });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  for (const app of apps) await removeApp(app).catch(() => {});
  await server?.stop();
  await db?.drop();
});

describe('restart and offline', () => {
  it('a restarted host signs in from the keychain; offline, history and search work and a message waits, then goes', {
    timeout: 120_000,
  }, async () => {
    const alice = await person(browser, server.baseUrl, 'alice', 'Alice');
    const bob = await person(browser, server.baseUrl, 'bob', 'Bob');
    apps.push(bob.app);
    await befriend(alice, bob);
    await sendMessage(bob.page, 'Встречаемся у фонтана');
    await sendMessage(bob.page, 'Bring the blueprints');
    await history(alice.page).filter({ hasText: 'Bring the blueprints' }).waitFor();

    // Alice's host restarts on the same data directory: no password, history is there.
    await alice.page.close();
    await alice.app.close();
    const again = await startApp(server.baseUrl, alice.app.dataDir);
    apps.push(again);
    const page = await (await browser.newContext()).newPage();
    await page.goto(again.url);
    await openChat(page, 'Bob');
    await history(page).filter({ hasText: 'Bring the blueprints' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);

    // The server goes away: history, search and writing still work.
    await server.kill('SIGTERM');
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
    await server.restart();
    await expect.poll(() => tick.getAttribute('aria-label'), { timeout: 45_000 }).not.toBe('Sending');
    await history(bob.page).filter({ hasText: 'Written while offline' }).waitFor({ timeout: 30_000 });
  });
});
