import type { Browser, Page } from 'playwright-core';
import { type BrowserContext, startApp, type TestApp } from './browser.js';
import { addContact, openChat, signUp, uniqueUsername } from './ui.js';

export interface Person {
  page: Page;
  app: TestApp;
  username: string;
  displayName: string;
}

/** A person with their own browser host and browser context, signed up through the UI. */
export async function person(browser: Browser, serverUrl: string, name: string, displayName: string): Promise<Person> {
  const app = await startApp(serverUrl);
  const page = await (await browser.newContext()).newPage();
  const username = uniqueUsername(name);
  await signUp(page, app.url, username, displayName);
  return { page, app, username, displayName };
}

/** Two people who have each other in contacts, each with the other's chat open. */
export async function befriend(a: Person, b: Person): Promise<void> {
  await addContact(a.page, b.username, b.displayName);
  await addContact(b.page, a.username, a.displayName);
  await openChat(a.page, b.displayName);
  await openChat(b.page, a.displayName);
}

/** Alice and Bob (a host and a page each), with each other in contacts and each other's chat open. */
export async function aliceAndBob(context: BrowserContext, serverUrl: string): Promise<{ alice: Person; bob: Person }> {
  const alice = await person(context.browser, serverUrl, 'alice', 'Alice');
  const bob = await person(context.browser, serverUrl, 'bob', 'Bob');
  context.apps.push(bob.app);
  await befriend(alice, bob);
  return { alice, bob };
}

/** Closes a person's page and host, lets `meanwhile` touch the data directory, and opens a new host on it. */
export async function restart(
  context: BrowserContext,
  serverUrl: string,
  someone: Person,
  meanwhile?: () => Promise<void>,
): Promise<Page> {
  await someone.page.close();
  await someone.app.close();
  await meanwhile?.();
  const again = await startApp(serverUrl, someone.app.dataDir);
  context.apps.push(again);
  const page = await (await context.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(again.url);
  return page;
}
