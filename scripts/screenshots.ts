// Screenshots of the main screens, from the running app, for the README:
//   npm run screenshots   (writes docs/screenshots/*.png)
// Runs its own server (embedded PostgreSQL), two browser hosts and Debian's Chromium, with a
// throwaway keyring, so nothing touches your own data or keychain.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/support/chromium.ts';
import { startTestKeyring, waitForKeyring } from '../tests/support/keyring.ts';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'docs/screenshots');
mkdirSync(out, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'parley-shots-'));
chmodSync(scratch, 0o755); // as root, the embedded PostgreSQL runs as `postgres` and must enter it

const keyring = startTestKeyring();
Object.assign(process.env, keyring.env);
await waitForKeyring(keyring.env);
const { startHost } = await import('../apps/desktop/dist/host/host.js');

const port = 3990;
const serverUrl = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['apps/server/dist/main.js'], {
  cwd: root,
  env: { ...process.env, PORT: String(port), DATA_DIR: join(scratch, 'server'), LOG_LEVEL: 'warn' },
  stdio: 'inherit',
});
let exited = false;
server.once('exit', () => {
  exited = true;
});
for (let i = 0; ; i++) {
  if (exited) throw new Error('the server exited');
  try {
    if ((await fetch(`${serverUrl}/health`)).ok) break;
  } catch {}
  if (i > 600) throw new Error('the server did not start');
  await new Promise((r) => setTimeout(r, 100));
}

const rendererDir = join(root, 'apps/desktop/dist/renderer');
const hostA = await startHost({ dataDir: join(scratch, 'alice'), serverUrl, port: 0, rendererDir });
const hostB = await startHost({ dataDir: join(scratch, 'bob'), serverUrl, port: 0, rendererDir });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: CHROMIUM_ARGS,
});
const viewport = { width: 1100, height: 700 };
const alice = await (await browser.newContext({ viewport, colorScheme: 'light' })).newPage();
const bob = await (await browser.newContext({ viewport })).newPage();
const suffix = Date.now().toString(36).slice(-4);

async function signUp(page: Page, url: string, username: string, displayName: string, shot?: string) {
  await page.goto(url);
  await page.getByRole('button', { name: 'New here? Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByLabel('Display name').fill(displayName);
  if (shot) await page.screenshot({ path: join(out, shot) });
  await page.getByRole('button', { name: 'Create account' }).click();
  try {
    await page.getByRole('searchbox', { name: 'Search people and chats' }).waitFor({ timeout: 30_000 });
  } catch (error) {
    await page.screenshot({ path: join(scratch, 'failed.png') });
    console.error(`sign-up of ${username} failed; see ${join(scratch, 'failed.png')}`);
    throw error;
  }
}
async function add(page: Page, query: string, name: string) {
  const search = page.getByRole('searchbox', { name: 'Search people and chats' });
  await search.fill(query);
  await page.getByRole('button', { name: `Add ${name} to contacts` }).click();
  await page.getByText('In contacts').waitFor();
  await search.fill('');
}
async function say(page: Page, text: string) {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await page.waitForTimeout(400);
}

await signUp(alice, hostA.url, `alice_${suffix}`, 'Alice Liddell', 'sign-up.png');
await signUp(bob, hostB.url, `bob_${suffix}`, 'Борис Пастернак');
await add(alice, `bob_${suffix}`, 'Борис Пастернак');
await add(bob, `alice_${suffix}`, 'Alice Liddell');
await alice
  .getByRole('navigation')
  .getByRole('button', { name: /^Борис/ })
  .click();
await bob
  .getByRole('navigation')
  .getByRole('button', { name: /^Alice/ })
  .click();
await say(alice, 'Hi Boris! Are we still on for the reading tonight?');
await say(bob, 'Привет! Да, в семь у фонтана.');
await say(bob, 'I will bring the new poems.');
await say(alice, 'Perfect — see you there.');
await bob.getByRole('textbox', { name: 'Message' }).pressSequentially('До вс', { delay: 40 });
await alice.waitForTimeout(800);
await alice.screenshot({ path: join(out, 'chat.png') });

await alice.emulateMedia({ colorScheme: 'dark' });
await alice.waitForTimeout(300);
await alice.screenshot({ path: join(out, 'chat-dark.png') });
await alice.emulateMedia({ colorScheme: 'light' });

await alice.getByRole('button', { name: 'Safety number' }).click();
await alice.waitForTimeout(300);
await alice.screenshot({ path: join(out, 'safety-number.png') });
await alice.keyboard.press('Escape');

await alice.getByRole('button', { name: 'Search messages' }).click();
await alice.getByRole('searchbox', { name: 'Search in all chats' }).fill('фонтан');
await alice.waitForTimeout(500);
await alice.screenshot({ path: join(out, 'search.png') });
await alice.getByRole('button', { name: 'Close search' }).click();

await alice.getByRole('button', { name: 'Settings' }).click();
await alice.waitForTimeout(500);
await alice.screenshot({ path: join(out, 'settings.png') });

await browser.close();
await hostA.close();
await hostB.close();
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
keyring.stop();
rmSync(scratch, { recursive: true, force: true });
console.log(`screenshots written to ${out}`);
