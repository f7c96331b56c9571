import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningHost, startHost } from '@parley/desktop/host';
import { type Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from './server.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, headless, with fake camera and microphone; never a downloaded browser. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
}

export interface TestApp extends RunningHost {
  dataDir: string;
}

/** A real browser host (its own data directory and keychain entries) serving the built renderer. */
export async function startApp(serverUrl: string, dataDir?: string): Promise<TestApp> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'parley-app-')));
  const host = await startHost({
    dataDir: dir,
    serverUrl,
    port: 0,
    rendererDir: join(REPO_ROOT, 'apps/desktop/dist/renderer'),
  });
  return { ...host, dataDir: dir };
}

export async function removeApp(app: TestApp): Promise<void> {
  await app.close();
  await rm(app.dataDir, { recursive: true, force: true });
}
