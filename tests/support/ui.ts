import type { Page } from 'playwright-core';
import { PASSWORD } from './http.js';

let counter = 0;
export const uniqueUsername = (name: string) => `${name}_${process.pid}_${++counter}`.toLowerCase().slice(0, 32);

/** Creates an account through the sign-up form, as a person would. */
export async function signUp(page: Page, url: string, username: string, displayName: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: 'New here? Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Display name').fill(displayName);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('searchbox', { name: 'Search people and chats' }).waitFor({ timeout: 20_000 });
}

/** Signs in to an existing account through the sign-in form (a new device of that account). */
export async function signIn(page: Page, url: string, username: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('searchbox', { name: 'Search people and chats' }).waitFor({ timeout: 20_000 });
}

/** Finds someone in the directory and adds them. */
export async function addContact(page: Page, query: string, displayName: string): Promise<void> {
  const search = page.getByRole('searchbox', { name: 'Search people and chats' });
  await search.fill(query);
  await page.getByRole('button', { name: `Add ${displayName} to contacts` }).click();
  await page.getByText('In contacts').waitFor();
  await search.fill('');
}

export async function openChat(page: Page, displayName: string): Promise<void> {
  await page
    .getByRole('navigation')
    .getByRole('button', { name: new RegExp(`^${displayName}`) })
    .first()
    .click();
  await page.getByRole('heading', { name: displayName }).waitFor();
}

export async function sendMessage(page: Page, text: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill(text);
  await composer.press('Enter');
}

/** The texts of the messages rendered in the open conversation, in order. */
export function history(page: Page) {
  return page.getByRole('log', { name: 'Messages' }).locator('.bubble-text');
}
