import { Inject, Injectable } from '@nestjs/common';
import type { AuthResponse, LoginRequest, RegisterRequest, TokenPair } from '@parley/shared';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import type { z } from 'zod';
import { CONFIG, type Config } from '../config/config.js';
import type { RefreshTokenEntity, UserEntity } from '../database/entities.js';
import { DevicesRepository } from '../devices/devices.repository.js';
import { sessionRevoked } from '../devices/devices.service.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import { Realtime } from '../realtime/realtime.js';
import { UsersRepository } from '../users/users.repository.js';
import { toUser } from '../users/users.service.js';
import { hashInviteCode, InvitesRepository } from './invites.repository.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import { RefreshTokensRepository } from './refresh-tokens.repository.js';
import { hashRefreshToken, Tokens } from './tokens.js';

type Register = z.output<typeof RegisterRequest>;
type Login = z.output<typeof LoginRequest>;

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class AuthService {
  constructor(
    private readonly db: DataSource,
    private readonly tokens: Tokens,
    private readonly devices: DevicesRepository,
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly limits: RateLimits,
    private readonly realtime: Realtime,
    private readonly invites: InvitesRepository,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /**
   * Creates an account as REGISTRATION allows: anyone (`open`), the holder of a valid invite code
   * (`invite`: one use is taken in the account's own transaction, so a failed sign-up gives it
   * back), or no one (`closed`: accounts come from `parley-admin create-user`).
   */
  async register(input: Register, ip: string): Promise<AuthResponse> {
    await this.limits.consume('registerPerIp', ip);
    const mode = this.config.REGISTRATION;
    if (mode === 'closed') {
      throw new AppError('REGISTRATION_CLOSED', 'This server does not take sign-ups; its admin creates accounts');
    }
    const invite = mode === 'invite' ? input.inviteCode : undefined;
    if (mode === 'invite' && !invite) throw new AppError('INVALID_INVITE', 'Signing up here needs an invite code');
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.db.transaction(async (tx) => {
        if (invite && !(await this.invites.use(tx, hashInviteCode(invite)))) {
          throw new AppError('INVALID_INVITE', 'The invite code is unknown, used up or expired');
        }
        const user = await this.users.create(tx, {
          username: input.username,
          displayName: input.displayName,
          passwordHash,
        });
        return this.signIn(tx, user, input.device.name);
      });
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new AppError('USERNAME_TAKEN', `The username "${input.username}" is taken`);
      }
      throw error;
    }
  }

  /**
   * Failed logins are counted per (username, IP), so guessing from one place does not lock the
   * owner out elsewhere; a slower per-username backstop stops a guess spread over many places,
   * but refuses only IPs that have already failed for that username: an owner at a new address
   * with the right password still gets in.
   */
  async login(input: Login, ip: string): Promise<AuthResponse> {
    await this.limits.consume('loginPerIp', ip);
    const here = `${input.username}:${ip}`;
    const failedHere = await this.limits.check('loginFailuresPerUsernameIp', here);
    if (failedHere > 0) await this.limits.check('loginFailuresPerUsername', input.username);
    const user = await this.users.findForLogin(input.username);
    const ok = user ? await verifyPassword(user.passwordHash, input.password) : await burnPasswordCheck(input.password);
    if (!user || !ok) {
      await this.limits.count('loginFailuresPerUsernameIp', here);
      await this.limits.count('loginFailuresPerUsername', input.username);
      throw new AppError('INVALID_CREDENTIALS', 'Wrong username or password');
    }
    await this.limits.reset('loginFailuresPerUsernameIp', here);
    // Told only to someone with the password, so it reveals nothing to a guesser.
    return this.db.transaction(async (tx) => {
      if (await this.users.lockDisabled(tx, user.id)) {
        throw new AppError('ACCOUNT_DISABLED', 'This account has been disabled by the server admin');
      }
      return this.signIn(tx, user, input.device.name);
    });
  }

  /**
   * Exchanges a refresh token for a new pair. A token can be exchanged once; presenting it
   * again means it leaked, so the device's session is revoked: unless the answer was lost (see
   * `unusedSuccessor`).
   */
  async refresh(refreshToken: string, ip: string): Promise<TokenPair> {
    await this.limits.consume('refreshPerIp', ip);
    type Outcome = { pair: TokenPair } | { error: AppError; revokedDevice?: string };
    const hash = hashRefreshToken(refreshToken);
    const outcome = await this.db.transaction(async (tx): Promise<Outcome> => {
      const row = await this.refreshTokens.lockByHash(tx, hash);
      if (!row) {
        const revoked = await this.devices.findByRevokedToken(tx, hash);
        if (revoked) return { error: sessionRevoked(revoked.revokedBy) };
        return { error: new AppError('INVALID_REFRESH_TOKEN', 'The refresh token is not valid') };
      }
      const device = await this.devices.find(row.deviceId, tx);
      if (!device || device.revokedAt) return { error: sessionRevoked(device?.revokedBy) };
      if (row.rotatedAt) {
        const successor = await this.unusedSuccessor(tx, row, row.rotatedAt);
        if (!successor) {
          await this.devices.revoke(tx, device.id, 'server');
          return {
            error: sessionRevoked('server', 'The refresh token was already used; this device has been signed out'),
            revokedDevice: device.id,
          };
        }
        // The answer to the rotation was lost and the client retries with the token it kept:
        // rotate again, dropping the successor it never received.
        await this.refreshTokens.delete(tx, successor.id);
        await this.refreshTokens.markGraceUsed(tx, row.id);
        return { pair: await this.issuePair(tx, device.userId, device.id) };
      }
      if (row.expiresAt.getTime() <= Date.now()) {
        return { error: new AppError('INVALID_REFRESH_TOKEN', 'The refresh token has expired; sign in again') };
      }
      await this.refreshTokens.markRotated(tx, row.id);
      return { pair: await this.issuePair(tx, device.userId, device.id) };
    });
    if ('pair' in outcome) return outcome.pair;
    if (outcome.revokedDevice) this.realtime.endDeviceSession(outcome.revokedDevice, 'revoked', 'server');
    throw outcome.error;
  }

  /**
   * The live token that replaced `row`, if `row` may be exchanged once more: only once, within
   * REFRESH_REUSE_GRACE_SECONDS of its rotation, and only while it is the device's latest rotation
   * and its successor has never been used (a successor that was used proves the answer arrived).
   */
  private async unusedSuccessor(
    tx: EntityManager,
    row: RefreshTokenEntity,
    rotatedAt: Date,
  ): Promise<RefreshTokenEntity | null> {
    if (row.graceUsedAt || !this.tokens.inReuseGrace(rotatedAt)) return null;
    if (await this.refreshTokens.rotatedSince(tx, row.deviceId, rotatedAt)) return null;
    return this.refreshTokens.lockLive(tx, row.deviceId);
  }

  private async signIn(tx: EntityManager, user: UserEntity, deviceName: string): Promise<AuthResponse> {
    const device = await this.devices.create(tx, user.id, deviceName);
    return { user: toUser(user), deviceId: device.id, ...(await this.issuePair(tx, user.id, device.id)) };
  }

  private async issuePair(tx: EntityManager, userId: string, deviceId: string): Promise<TokenPair> {
    const refresh = this.tokens.newRefreshToken();
    await this.refreshTokens.insert(tx, deviceId, refresh.hash, refresh.expiresAt);
    return { ...(await this.tokens.issueAccess({ userId, deviceId })), refreshToken: refresh.token };
  }
}
