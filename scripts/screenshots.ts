// Screenshots of the main screens, from the running app, for the README:
//   npm run screenshots   (writes docs/screenshots/*.png)
// Runs its own server (embedded PostgreSQL), two browser hosts and Debian's Chromium, with a
// throwaway keyring, so nothing touches your own data or keychain.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '@parley/test-support/chromium';
import { startTestKeyring, waitForKeyring } from '@parley/test-support/keyring';
import { chromium, type Page } from 'playwright-core';

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

// Message actions: a reaction, a reply with its quote, and the menu open on a message.
const poems = alice.getByRole('article', { name: /^Message from Борис Пастернак: I will bring/ });
await poems.click({ button: 'right' });
await alice.getByRole('menuitem', { name: 'React with ❤️' }).click();
await poems.click({ button: 'right' });
await alice.getByRole('menuitem', { name: 'Reply', exact: true }).click();
await say(alice, 'Yes please, the one about the rain!');
await alice.getByRole('article', { name: /^Message from Борис Пастернак: Привет/ }).click({ button: 'right' });
await alice.waitForTimeout(300);
await alice.screenshot({ path: join(out, 'message-actions.png') });
await alice.keyboard.press('Escape');

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

// Files: a picture, a document and a voice message from Alice, as Boris sees them.
await alice.keyboard.press('Escape');
const picture = await alice.evaluate<string>(`(() => {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 400;
  const g = canvas.getContext('2d');
  const sky = g.createLinearGradient(0, 0, 0, 400);
  sky.addColorStop(0, '#7fb6e8');
  sky.addColorStop(1, '#f4d7a1');
  g.fillStyle = sky;
  g.fillRect(0, 0, 640, 400);
  g.fillStyle = '#3e7d4f';
  g.beginPath();
  g.ellipse(320, 420, 420, 140, 0, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = '#d9dde3';
  g.fillRect(270, 220, 100, 60);
  g.fillStyle = '#9cc9f0';
  for (let i = 0; i < 7; i++) g.fillRect(312 + (i % 3) * 6, 140 + i * 11, 4, 9);
  return canvas.toDataURL('image/png').split(',')[1];
})()`);
const attach = (name: string, mimeType: string, buffer: Buffer) =>
  alice.getByLabel('Attach files').setInputFiles([{ name, mimeType, buffer }]);
await attach('fountain.png', 'image/png', Buffer.from(picture, 'base64'));
await alice.getByRole('textbox', { name: 'Message' }).fill('The fountain this morning');
await alice.getByRole('button', { name: 'Send' }).click();
await attach('Poems, draft 3.pdf', 'application/pdf', Buffer.alloc(486_400, 7));
await alice.getByRole('button', { name: 'Send' }).click();
await alice.getByRole('button', { name: 'Record voice message' }).click();
await alice.waitForTimeout(3_500);
await alice.getByRole('button', { name: 'Send voice message' }).click();
await bob.getByRole('slider', { name: 'Voice message position' }).waitFor();
await bob.waitForTimeout(1_000);
await bob.screenshot({ path: join(out, 'files.png') });

await browser.close();
await hostA.close();
await hostB.close();
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
keyring.stop();
rmSync(scratch, { recursive: true, force: true });
console.log(`screenshots written to ${out}`);
