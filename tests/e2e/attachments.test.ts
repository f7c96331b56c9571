import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBrowser } from '@parley/test-support/browser';
import { sha256 } from '@parley/test-support/bytes';
import { dumpDatabase } from '@parley/test-support/database';
import { befriend, person } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

const MiB = 1024 * 1024;
const LIMIT = 25 * MiB;
const t = withServer({ ATTACHMENT_MAX_BYTES: String(LIMIT) });
const b = withBrowser();

/** Records every value each progress bar of the page shows (sampled every few ms, in the page). */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const seen = (window.__progress = {});
    setInterval(() => {
      for (const bar of document.querySelectorAll('progress')) {
        const name = bar.getAttribute('aria-label') ?? '';
        seen[name] ??= [];
        if (seen[name].at(-1) !== bar.value) seen[name].push(bar.value);
      }
    }, 5);
  })()`);
}

const progressSeen = (page: Page) => page.evaluate<Record<string, number[]>>('window.__progress');

/** The message row (in the open conversation) showing `text`. */
const row = (page: Page, text: string) =>
  page.getByRole('log', { name: 'Messages' }).locator('[data-index]').filter({ hasText: text });

describe('files, images and voice messages', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('Alice sends Bob a 20 MB file, an image and a voice message; Bob gets the same bytes, sees the image, plays the voice', {
    timeout: 240_000,
  }, async () => {
    const alice = await person(b.browser, t.server.baseUrl, 'alice', 'Alice');
    const bob = await person(b.browser, t.server.baseUrl, 'bob', 'Bob');
    b.apps.push(alice.app, bob.app);
    await befriend(alice, bob);
    await recordProgress(alice.page);
    await recordProgress(bob.page);

    const dir = await mkdtemp(join(tmpdir(), 'parley-e2e-files-'));
    dirs.push(dir);
    const marker = `plaintext-marker-${randomBytes(6).toString('hex')}`;
    const big = Buffer.concat([Buffer.from(marker), randomBytes(20 * 1_000_000 - marker.length)]);
    await writeFile(join(dir, 'dataset.bin'), big);
    // A real PNG, drawn by the browser.
    const png = await alice.page.evaluate<string>(`(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 200;
      const g = canvas.getContext('2d');
      g.fillStyle = '#2a7';
      g.fillRect(0, 0, 320, 200);
      g.fillStyle = '#fff';
      g.fillRect(40, 40, 120, 80);
      return canvas.toDataURL('image/png').split(',')[1];
    })()`);
    await writeFile(join(dir, 'photo.png'), Buffer.from(png, 'base64'));
    const huge = join(dir, 'huge.bin');
    await writeFile(huge, '');
    await truncate(huge, LIMIT + 1);

    // Over the limit: refused before any upload, with a clear message; nothing is sent.
    await alice.page.getByLabel('Attach files').setInputFiles(huge);
    await expect.poll(() => alice.page.getByRole('alert').textContent()).toMatch(/huge\.bin.*25 MB/);

    // The 20 MB file, then the image with a caption.
    await alice.page.getByLabel('Attach files').setInputFiles(join(dir, 'dataset.bin'));
    await alice.page.getByRole('button', { name: 'Send' }).click();
    await alice.page.getByLabel('Attach files').setInputFiles(join(dir, 'photo.png'));
    await alice.page.getByRole('textbox', { name: 'Message' }).fill('the view from here');
    await alice.page.getByRole('button', { name: 'Send' }).click();

    // A voice message from the fake microphone.
    await alice.page.getByRole('button', { name: 'Record voice message' }).click();
    await expect.poll(() => alice.page.getByRole('timer').textContent(), { timeout: 10_000 }).toMatch(/^0:0[2-9]$/);
    await alice.page.getByRole('button', { name: 'Send voice message' }).click();

    // Bob: the file card, downloaded and saved: the same bytes.
    const card = row(bob.page, 'dataset.bin');
    await card.getByRole('button', { name: 'Download' }).click({ timeout: 60_000 });
    const save = card.getByRole('link', { name: 'Save' });
    await save.waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([bob.page.waitForEvent('download'), save.click()]);
    expect(download.suggestedFilename()).toBe('dataset.bin');
    expect(sha256(await readFile(await download.path()))).toBe(sha256(big));

    // The image is displayed (decoded, its real size), with its caption.
    const image = row(bob.page, 'the view from here').getByRole('img', { name: 'photo.png' });
    await image.waitFor({ timeout: 30_000 });
    await expect
      .poll(
        () => image.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth),
        { timeout: 10_000 },
      )
      .toBe(320);

    // The voice message plays, with a duration above zero.
    const voice = bob.page.getByRole('slider', { name: 'Voice message position' });
    await voice.waitFor({ timeout: 30_000 });
    expect(Number(await voice.getAttribute('aria-valuemax'))).toBeGreaterThan(1);
    await bob.page.getByRole('button', { name: 'Play voice message' }).click();
    await expect.poll(() => voice.getAttribute('aria-valuenow').then(Number), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect
      .poll(() =>
        bob.page
          .locator('audio')
          .first()
          .evaluate((audio: { paused: boolean; currentTime: number }) => !audio.paused && audio.currentTime),
      )
      .toBeGreaterThan(0);

    // Progress was visible: the bars moved through several values while Alice's app handed the file
    // to her core and while Bob's downloaded it. (Her upload's bar shows too, but on loopback a
    // 20 MB upload can finish between two progress reports.)
    const moved = (seen: Record<string, number[]>, what: RegExp) =>
      Object.entries(seen).some(([name, values]) => what.test(name) && new Set(values).size >= 2);
    expect(moved(await progressSeen(alice.page), /^Preparing dataset\.bin/)).toBe(true);
    expect(moved(await progressSeen(bob.page), /^Downloading dataset\.bin/)).toBe(true);

    // The server holds ciphertext only: the marker is in no blob and no table.
    const blobs = join(t.server.dataDir, 'attachments');
    const names = (await readdir(blobs)).filter((n) => !n.startsWith('.'));
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const name of names) expect((await readFile(join(blobs, name))).includes(marker)).toBe(false);
    expect(await dumpDatabase(t.db)).not.toContain(marker);
  });
});
