import { randomBytes } from 'node:crypto';
import type {
  AuthResponse,
  ClientApi,
  Device,
  RegistrationMode,
  SessionInfo,
  SignedOutReason,
  User,
} from '@parley/shared';
import { CoreError } from '../errors.js';
import type { Emit } from '../events.js';
import { createApiClient } from '../net/api-client.js';
import { toCoreError } from '../net/server-session.js';
import { keychainAccount, type SecretStore } from '../secrets.js';
import { SignedIn } from '../session.js';
import { type DataDir, type Profile, sameAccount } from './profile.js';

export interface AccountOptions {
  serverUrl: string;
  dataDir: DataDir;
  secrets: SecretStore;
  emit: Emit;
}

/**
 * The account on this data directory: signing in (a new device, its keys made and uploaded),
 * restoring the last session from the keychain, signing out (erasing, or keeping the store when
 * the server ended the session), the profile and the device list. Owns the signed-in session.
 */
export class Account {
  private active: SignedIn | null = null;
  private restoring: Promise<SessionInfo | null> | null = null;
  /** A window of the app is open (the shells say): the connection tells the server, for presence. */
  private windowOpen = false;
  /** While I sign out here, the server's revocation of this device is that sign-out, not one from elsewhere. */
  private loggingOut = false;

  constructor(private readonly options: AccountOptions) {}

  /** The signed-in session; NOT_SIGNED_IN without one. */
  get signedIn(): SignedIn {
    if (!this.active) throw new CoreError('NOT_SIGNED_IN', 'Sign in first');
    return this.active;
  }

  /** The signed-in session, if any. */
  get current(): SignedIn | null {
    return this.active;
  }

  async registrationMode(): Promise<RegistrationMode> {
    try {
      return (await createApiClient(this.options.serverUrl)('registration', {})).mode;
    } catch (error) {
      throw toCoreError(error);
    }
  }

  register(input: Parameters<ClientApi['register']>[0]): Promise<SessionInfo> {
    return this.signIn(() =>
      createApiClient(this.options.serverUrl)('register', {
        body: {
          username: input.username,
          password: input.password,
          displayName: input.displayName,
          device: { name: input.deviceName },
          ...(input.inviteCode ? { inviteCode: input.inviteCode } : {}),
        },
      }),
    );
  }

  login(input: Parameters<ClientApi['login']>[0]): Promise<SessionInfo> {
    return this.signIn(() =>
      createApiClient(this.options.serverUrl)('login', {
        body: { username: input.username, password: input.password, device: { name: input.deviceName } },
      }),
    );
  }

  /**
   * Restores the last session. Concurrent calls share one restore, so the app can start it as it
   * launches, while the window loads, and the window's own call just joins it.
   */
  restoreSession(): Promise<SessionInfo | null> {
    this.restoring ??= this.restore().finally(() => {
      this.restoring = null;
    });
    return this.restoring;
  }

  session(): SessionInfo | null {
    return this.active ? info(this.active.profile) : null;
  }

  async logout(): Promise<void> {
    const active = this.signedIn;
    this.loggingOut = true;
    try {
      // Not through the socket's "session ended" that the server's revocation sends: this sign-out erases all, now.
      active.connection.close();
      await active.server.call('logout', {}).catch(() => {}); // offline: the device stays listed until revoked elsewhere
      await this.teardown('logout');
    } finally {
      this.loggingOut = false;
    }
  }

  /** Stops everything and closes the store, keeping the session for the next start. */
  async close(): Promise<void> {
    await this.restoring?.catch(() => {});
    const active = this.active;
    if (!active) return;
    this.active = null;
    await active.stop();
  }

  setWindowOpen(open: boolean): void {
    this.windowOpen = open;
    this.active?.connection.setActive(open);
  }

  async updateProfile(input: { displayName: string }): Promise<User> {
    const active = this.signedIn;
    const user = await active.server.call('updateMe', { body: input });
    active.profile.user = user;
    await this.options.dataDir.writeProfile(active.profile);
    return user;
  }

  async devices(): Promise<Device[]> {
    return (await this.signedIn.server.call('listDevices', {})).items;
  }

  async revokeDevice(deviceId: string): Promise<void> {
    await this.signedIn.server.call('revokeDevice', { params: { id: deviceId } });
  }

  private async restore(): Promise<SessionInfo | null> {
    if (this.active) return info(this.active.profile);
    const profile = await this.options.dataDir.readProfile();
    if (!profile) return null;
    const secrets = await this.options.secrets.get(
      keychainAccount(profile.serverUrl, profile.user.id, profile.deviceId),
    );
    if (!secrets?.refreshToken) return null; // signed out by the server: the store waits for a sign-in
    const active = this.activate(profile, Buffer.from(secrets.databaseKey, 'base64'), secrets.refreshToken);
    await active.attachments.clearPartials(); // left by a crash; nothing is writing yet
    active.start();
    return info(profile);
  }

  private async signIn(authenticate: () => Promise<AuthResponse>): Promise<SessionInfo> {
    if (this.active) throw new CoreError('ALREADY_SIGNED_IN', 'Already signed in on this device');
    const { secrets, dataDir } = this.options;
    // Reach the keychain before the server: without it nothing can be kept safe.
    await secrets.get('parley-keychain-probe');
    let auth: AuthResponse;
    try {
      auth = await authenticate();
    } catch (error) {
      throw toCoreError(error);
    }
    const profile: Profile = { serverUrl: this.options.serverUrl, user: auth.user, deviceId: auth.deviceId };
    const previous = await dataDir.readProfile();
    const previousAccount = previous && keychainAccount(previous.serverUrl, previous.user.id, previous.deviceId);
    // The same account signing in again here (after the server ended the session) gets its store back.
    const kept =
      previousAccount && sameAccount(previous, profile) ? (await secrets.get(previousAccount))?.databaseKey : null;
    const databaseKey = kept ? Buffer.from(kept, 'base64') : randomBytes(32);
    if (!kept) await dataDir.removeLocalData();
    const account = keychainAccount(profile.serverUrl, profile.user.id, profile.deviceId);
    await secrets.set(account, { refreshToken: auth.refreshToken, databaseKey: databaseKey.toString('base64') });
    if (previousAccount && previousAccount !== account) await secrets.delete(previousAccount).catch(() => {});
    await dataDir.writeProfile(profile);
    const active = this.activate(profile, databaseKey, auth.refreshToken, auth);
    active.store.users.upsert(auth.user);
    await active.keys.createDeviceKeys();
    active.start();
    return info(profile);
  }

  private activate(profile: Profile, databaseKey: Buffer, refreshToken: string, initial?: AuthResponse): SignedIn {
    this.active = new SignedIn({
      profile,
      databaseKey,
      refreshToken,
      initial,
      dataDir: this.options.dataDir,
      secrets: this.options.secrets,
      emit: this.options.emit,
      ended: (reason) => void this.teardown(this.loggingOut ? 'logout' : reason),
    });
    this.active.connection.setActive(this.windowOpen);
    return this.active;
  }

  /**
   * Ends the session here. When the user ended it (`logout` here, or `revoked` from another
   * device) the store, keychain entry and files are erased. When the server did (`ended`: a
   * refresh token presented again, or expired) only the refresh token goes: the encrypted store and its key stay,
   * so that signing in to the same account here again brings the history back (`signIn`).
   */
  private async teardown(reason: SignedOutReason): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = null;
    await active.stop();
    const { profile, databaseKey } = active;
    const account = keychainAccount(profile.serverUrl, profile.user.id, profile.deviceId);
    if (reason !== 'ended') {
      await this.options.secrets.delete(account).catch(() => {});
      await this.options.dataDir.removeAll();
    } else {
      await this.options.secrets.set(account, { databaseKey: databaseKey.toString('base64') }).catch(() => {});
    }
    this.options.emit('signedOut', { reason });
  }
}

const info = (profile: Profile): SessionInfo => ({
  user: profile.user,
  deviceId: profile.deviceId,
  serverUrl: profile.serverUrl,
});
