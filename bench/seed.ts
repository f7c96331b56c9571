// Writes a history straight into a signed-up client's encrypted store (its key from the keychain),
// for the benchmarks that need a big store: far faster than receiving it.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalMessage, UNTOUCHED } from '@parley/shared';

/**
 * One conversation per entry of `sizes`, with a new peer named `peerName(c)`; message i of a
 * conversation says `text(i)`, every third is mine, all read. A day per 100k messages at one a
 * second, conversation 0 the newest so it tops the list. The data directory's core must be closed.
 */
export async function seedHistory(
  dataDir: string,
  serverUrl: string,
  sizes: number[],
  peerName: (c: number) => string,
  text: (i: number) => string,
): Promise<void> {
  const { KeychainSecretStore, keychainAccount, LocalStore, openDatabase } = await import('@parley/desktop');
  const profile = JSON.parse(readFileSync(join(dataDir, 'profile.json'), 'utf8')) as {
    user: { id: string };
    deviceId: string;
  };
  const secrets = await new KeychainSecretStore().get(keychainAccount(serverUrl, profile.user.id, profile.deviceId));
  if (!secrets) throw new Error('no database key in the keychain');
  const store = new LocalStore(openDatabase(join(dataDir, 'parley.db'), Buffer.from(secrets.databaseKey, 'base64')));
  const now = Date.now();
  store.transaction(() => {
    sizes.forEach((size, c) => {
      const peerUserId = randomUUID();
      store.users.upsert({ id: peerUserId, username: `peer${c}`, displayName: peerName(c) });
      const base = now - (c + 1) * 110_000_000;
      for (let i = 1; i <= size; i++) {
        const at = base + i * 1000;
        const mine = i % 3 === 0;
        const message: LocalMessage = {
          id: randomUUID(),
          peerUserId,
          senderUserId: mine ? profile.user.id : peerUserId,
          direction: mine ? 'out' : 'in',
          text: text(i),
          status: 'read',
          sentAt: new Date(at).toISOString(),
          serverTimestamp: new Date(at).toISOString(),
          readAt: new Date(at).toISOString(),
          attachment: null,
          attachmentReady: false,
          call: null,
          ...UNTOUCHED,
        };
        store.messages.insert(message, at);
      }
    });
  });
  store.close();
}
