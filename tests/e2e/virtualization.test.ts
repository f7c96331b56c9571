import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeychainSecretStore, keychainAccount, LocalStore, openDatabase } from '@parley/desktop';
import { UNTOUCHED } from '@parley/shared';
import { withBrowser } from '@parley/test-support/browser';
import { aliceAndBob, restart } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { history, openChat, sendMessage } from '@parley/test-support/ui';
import { describe, expect, it } from 'vitest';

const t = withServer();
const b = withBrowser();

/** Writes `count` old messages into a host's local store (its key from the keychain), as history. */
async function seedHistory(dataDir: string, serverUrl: string, peerUserId: string, count: number): Promise<void> {
  const profile = JSON.parse(await readFile(join(dataDir, 'profile.json'), 'utf8')) as {
    user: { id: string };
    deviceId: string;
  };
  const secrets = await new KeychainSecretStore().get(keychainAccount(serverUrl, profile.user.id, profile.deviceId));
  const store = new LocalStore(
    openDatabase(join(dataDir, 'parley.db'), Buffer.from(secrets?.databaseKey ?? '', 'base64')),
  );
  const start = Date.now() - count * 60_000 - 3_600_000;
  store.transaction(() => {
    for (let i = 0; i < count; i++) {
      const at = new Date(start + i * 60_000).toISOString();
      const mine = i % 3 === 0;
      store.messages.insert(
        {
          id: randomUUID(),
          peerUserId,
          senderUserId: mine ? profile.user.id : peerUserId,
          direction: mine ? 'out' : 'in',
          text: `History message number ${i}`,
          status: 'read',
          sentAt: at,
          serverTimestamp: at,
          readAt: at,
          attachment: null,
          attachmentReady: false,
          call: null,
          ...UNTOUCHED,
        },
        Date.parse(at),
      );
    }
  });
  store.close();
}

describe('a long conversation', () => {
  it('opens and scrolls through 10,000 messages without putting them all in the DOM', {
    timeout: 120_000,
  }, async () => {
    const { alice, bob } = await aliceAndBob(b, t.server.baseUrl);
    await sendMessage(bob.page, 'The newest message');
    await history(alice.page).filter({ hasText: 'The newest message' }).waitFor();
    const bobId = await bob.page.evaluate<string>('window.parley.session().then((s) => s.user.id)');

    const page = await restart(b, t.server.baseUrl, alice, () =>
      seedHistory(alice.app.dataDir, t.server.baseUrl, bobId, 10_000),
    );
    await openChat(page, 'Bob');
    await history(page).filter({ hasText: 'The newest message' }).waitFor();

    const rendered = () => page.getByRole('log', { name: 'Messages' }).locator('li').count();
    expect(await rendered()).toBeLessThan(60);
    // Scroll up through several pages: older messages load, the DOM stays bounded.
    const log = page.getByRole('log', { name: 'Messages' });
    for (let i = 0; i < 8; i++) {
      await log.evaluate((el) => {
        el.scrollTop = 0;
      });
      await page.waitForTimeout(150);
    }
    await history(page)
      .filter({ hasText: /History message number 9[0-8]\d\d$/ })
      .first()
      .waitFor();
    expect(await rendered()).toBeLessThan(60);
  });
});
