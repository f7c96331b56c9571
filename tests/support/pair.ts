import type { Browser, Page } from 'playwright-core';
import { startApp, type TestApp } from './browser.js';
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
