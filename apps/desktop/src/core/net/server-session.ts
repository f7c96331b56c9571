import { type SessionEndedBy, SessionRevokedDetails, type TokenPair } from '@parley/shared';
import { CoreError } from '../errors.js';
import { type ApiClient, ApiError, type CallInput, type CallOutput, type RouteName } from './api-client.js';

/** Refresh this long before the access token expires, so calls rarely meet an expired one. */
const REFRESH_MARGIN_MS = 60_000;

export interface SessionHooks {
  /** A new refresh token was issued: persist it before anything else happens. */
  persistRefreshToken(token: string): Promise<void>;
  /** The server ended this device's session (revoked, or a refresh token reused); `by` says who. */
  revoked(by: SessionEndedBy): void;
}

/** Who ended the session, from SESSION_REVOKED's details; without them, the user (as before they existed). */
export const endedBy = (details: unknown): SessionEndedBy =>
  SessionRevokedDetails.safeParse(details).data?.by ?? 'user';

const toCoreError = (error: unknown): CoreError =>
  error instanceof ApiError
    ? new CoreError(error.code, error.message, error.details)
    : error instanceof CoreError
      ? error
      : new CoreError('NETWORK', (error as Error).message);

/**
 * The signed-in device's side of the API: calls carry a fresh access token, refreshed
 * transparently (one refresh at a time), and a revoked session is reported once.
 */
export class ServerSession {
  private accessToken: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<string> | null = null;

  constructor(
    private readonly api: ApiClient,
    private refreshToken: string,
    private readonly hooks: SessionHooks,
    initial?: TokenPair,
  ) {
    if (initial) this.adopt(initial);
  }

  /** A valid access token, refreshing if needed. */
  async token(): Promise<string> {
    if (this.accessToken && Date.now() < this.expiresAt - REFRESH_MARGIN_MS) return this.accessToken;
    return this.refresh();
  }

  refresh(): Promise<string> {
    this.refreshing ??= (async () => {
      try {
        const pair = await this.api('refresh', { body: { refreshToken: this.refreshToken } });
        // The old token stays in use until the new one is in the keychain: if the answer or the
        // write is lost, the next try presents the old one, which the server accepts once more.
        await this.hooks.persistRefreshToken(pair.refreshToken);
        this.adopt(pair);
        return pair.accessToken;
      } catch (error) {
        if (error instanceof ApiError && error.code === 'SESSION_REVOKED') this.hooks.revoked(endedBy(error.details));
        // Expired, or deleted with a revoked device: in doubt, local history is not destroyed.
        if (error instanceof ApiError && error.code === 'INVALID_REFRESH_TOKEN') this.hooks.revoked('server');
        throw toCoreError(error);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Waits for a refresh in flight, so that closing never cuts one off between the server's rotation and the keychain write. */
  async settled(): Promise<void> {
    await this.refreshing?.catch(() => {});
  }

  async call<K extends RouteName>(name: K, input: Omit<CallInput<K>, 'accessToken'>): Promise<CallOutput<K>> {
    for (let attempt = 0; ; attempt++) {
      const accessToken = await this.token();
      try {
        return await this.api(name, { ...input, accessToken } as CallInput<K>);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'TOKEN_EXPIRED' && attempt === 0) {
          this.expiresAt = 0;
          continue;
        }
        if (error instanceof ApiError && error.code === 'SESSION_REVOKED') this.hooks.revoked(endedBy(error.details));
        throw toCoreError(error);
      }
    }
  }

  private adopt(pair: TokenPair): void {
    this.accessToken = pair.accessToken;
    this.expiresAt = Date.parse(pair.accessTokenExpiresAt);
    this.refreshToken = pair.refreshToken;
  }
}

export { toCoreError };
