import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningHost, startHost } from '@parley/desktop/host';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import { REPO_ROOT } from './server.js';

/** Debian's Chromium, headless, with fake camera and microphone; never a downloaded browser. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export interface TestApp extends RunningHost {
  dataDir: string;
}

/**
 * A real browser host (its own data directory and keychain entries) serving the built renderer.
 * `linkPreviewTestHosts`: test pages on 127.0.0.1 its link previews may fetch (see HostOptions).
 */
export async function startApp(
  serverUrl: string,
  dataDir?: string,
  options: { linkPreviewTestHosts?: string[] } = {},
): Promise<TestApp> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'parley-app-')));
  const host = await startHost({
    dataDir: dir,
    serverUrl,
    port: 0,
    rendererDir: join(REPO_ROOT, 'apps/desktop/dist/renderer'),
    ...options,
  });
  return { ...host, dataDir: dir };
}

export async function removeApp(app: TestApp): Promise<void> {
  await app.close();
  await rm(app.dataDir, { recursive: true, force: true });
}

export interface BrowserContext {
  browser: Browser;
  /** Hosts to stop and remove after the file's tests. */
  apps: TestApp[];
}

/** Chromium for the test file that calls this, closed afterwards with every app registered in `apps`. */
export function withBrowser(): BrowserContext {
  const context: BrowserContext = { browser: undefined as unknown as Browser, apps: [] };
  beforeAll(async () => {
    context.browser = await launchBrowser();
  });
  afterAll(async () => {
    await context.browser?.close();
    for (const app of context.apps) await removeApp(app).catch(() => {});
  });
  return context;
}
