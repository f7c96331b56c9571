import { withBrowser } from '@parley/test-support/browser';
import { aliceAndBob } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { history, openChat, sendMessage, signIn } from '@parley/test-support/ui';
import type { Page } from 'playwright-core';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';

const t = withServer();
const b = withBrowser();

async function openSafetyNumber(page: Page, name: string) {
  await page.getByRole('button', { name: 'Safety number' }).click();
  const dialog = page.getByRole('dialog', { name: `Safety number with ${name}` });
  await dialog.getByRole('list', { name: 'Safety number digits' }).waitFor({ timeout: 15_000 });
  return dialog;
}

describe('safety numbers', () => {
  it('a QR code of the number, a scanned code compared, "Mark as verified" on the header, undone when the contact’s key changes', {
    timeout: 150_000,
  }, async () => {
    const { alice, bob } = await aliceAndBob(b, t.server.baseUrl);
    b.apps.push(alice.app);

    const bobs = await openSafetyNumber(bob.page, 'Alice');
    const bobDigits = (
      await bobs.getByRole('list', { name: 'Safety number digits' }).locator('li').allTextContents()
    ).join('');
    expect(bobDigits).toMatch(/^\d{60}$/);

    const dialog = await openSafetyNumber(alice.page, 'Bob');
    const digits = (
      await dialog.getByRole('list', { name: 'Safety number digits' }).locator('li').allTextContents()
    ).join('');
    expect(digits).toBe(bobDigits);
    // The QR code holds the number, as a phone scanning it reads it.
    const code = `parley-safety-number:1:${digits}`;
    const qr = dialog.getByRole('img', { name: 'QR code of your safety number with Bob, to scan from their screen' });
    const svg = await QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    expect(await qr.getAttribute('src')).toBe(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);

    // By keyboard alone: a wrong code, then the code scanned from Bob's screen.
    const field = dialog.getByLabel('Code scanned from Bob’s screen, or their digits');
    await field.fill(`parley-safety-number:1:${'1'.repeat(60)}`);
    await field.press('Enter');
    await dialog.getByText('These numbers do not match.', { exact: false }).waitFor();
    await field.fill(code);
    await field.press('Enter');
    await dialog.getByText('The numbers match: you can mark Bob as verified.').waitFor();
    await dialog.getByRole('button', { name: 'Mark as verified' }).press('Enter');
    await dialog.getByText('You have verified Bob.', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Close', exact: true }).press('Enter');
    const header = alice.page.locator('.conversation-header');
    await header.getByText('Verified', { exact: true }).waitFor();

    // Bob signs out and in again: a new device, with a new key. His next message brings it to Alice.
    await bobs.getByRole('button', { name: 'Close', exact: true }).click();
    await bob.page.getByRole('button', { name: 'Settings' }).click();
    await bob.page.getByRole('button', { name: 'Sign out of Parley' }).click();
    await bob.page
      .getByRole('dialog', { name: 'Sign out of Parley?' })
      .getByRole('button', { name: 'Sign out' })
      .click();
    await signIn(bob.page, bob.app.url, bob.username);
    await openChat(bob.page, 'Alice');
    await sendMessage(bob.page, 'New device, same Bob');
    await history(alice.page).filter({ hasText: 'New device, same Bob' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => header.getByText('Verified', { exact: true }).count(), { timeout: 10_000 }).toBe(0);
    const again = await openSafetyNumber(alice.page, 'Bob');
    await again.getByRole('button', { name: 'Mark as verified' }).waitFor();
    const newDigits = (
      await again.getByRole('list', { name: 'Safety number digits' }).locator('li').allTextContents()
    ).join('');
    expect(newDigits).not.toBe(digits);
  });
});
