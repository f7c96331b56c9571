import keytar from 'keytar';
import { z } from 'zod';
import { CoreError } from './errors.js';

/**
 * The one keychain service name of the app. One entry (account) per server, user and device:
 * two data directories of the same user on one machine (two profiles) must not share a key.
 */
export const KEYCHAIN_SERVICE = 'Parley';

/** What an account keeps in the keychain: nothing else secret is ever written anywhere. */
export const AccountSecrets = z.object({
  /**
   * The current refresh token of this device; absent once the server has ended its session (the
   * store's key is kept so that signing in to the same account here again brings the history back).
   */
  refreshToken: z.string().min(1).optional(),
  /** The 256-bit key of the local store, base64. */
  databaseKey: z.base64(),
});
export type AccountSecrets = z.infer<typeof AccountSecrets>;

export interface SecretStore {
  get(account: string): Promise<AccountSecrets | null>;
  set(account: string, secrets: AccountSecrets): Promise<void>;
  delete(account: string): Promise<void>;
}

/** Keychain account name of a device of a user on a server. */
export const keychainAccount = (serverUrl: string, userId: string, deviceId: string) =>
  `${new URL(serverUrl).origin} ${userId} ${deviceId}`;

/**
 * The OS keychain through keytar (Secret Service on Linux, Keychain on macOS, Credential Vault
 * on Windows). Any failure to reach it is KEYCHAIN_UNAVAILABLE: there is no plaintext fallback.
 */
export class KeychainSecretStore implements SecretStore {
  async get(account: string): Promise<AccountSecrets | null> {
    const raw = await this.reach(() => keytar.getPassword(KEYCHAIN_SERVICE, account));
    if (raw === null) return null;
    const parsed = AccountSecrets.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  async set(account: string, secrets: AccountSecrets): Promise<void> {
    await this.reach(() => keytar.setPassword(KEYCHAIN_SERVICE, account, JSON.stringify(secrets)));
  }

  async delete(account: string): Promise<void> {
    await this.reach(() => keytar.deletePassword(KEYCHAIN_SERVICE, account));
  }

  private async reach<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new CoreError(
        'KEYCHAIN_UNAVAILABLE',
        `The system keychain cannot be reached, so Parley cannot keep its secrets safe: ${(error as Error).message}`,
      );
    }
  }
}
