import { Inject, Injectable } from '@nestjs/common';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { CONFIG, type Config, type RateLimit } from '../config/config.js';
import { Metrics } from '../metrics/metrics.js';
import { REDIS, type RedisClient } from '../realtime/redis.js';
import { type AppError, retryLater } from './app-error.js';

export type LimitName =
  | 'loginPerIp'
  | 'loginFailuresPerUsernameIp'
  | 'loginFailuresPerUsername'
  | 'registerPerIp'
  | 'refreshPerIp'
  | 'searchPerUser'
  | 'keysPerTarget'
  | 'keysPerTargetIp'
  | 'sendPerDevice'
  | 'ephemeralPerDevice'
  | 'attachmentAnnouncePerUser'
  | 'receiptsPerDevice'
  | 'contactsPerUser'
  | 'profilePerUser'
  | 'connectPerUser';

/**
 * Limits per action and key; exceeding one is RATE_LIMITED with `RetryAfterDetails` (over REST a
 * 429 with Retry-After). Counted in Redis when instances share one (so the limit holds across
 * them), in memory otherwise.
 */
@Injectable()
export class RateLimits {
  private readonly limiters: Record<LimitName, RateLimiterAbstract>;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(REDIS) redis: RedisClient | null,
    private readonly metrics: Metrics,
  ) {
    const make = ({ points, seconds }: RateLimit, name: string): RateLimiterAbstract => {
      const keyPrefix = `${config.REDIS_KEY_PREFIX}:limit:${name}`;
      return redis
        ? new RateLimiterRedis({ storeClient: redis, useRedisPackage: true, points, duration: seconds, keyPrefix })
        : new RateLimiterMemory({ points, duration: seconds, keyPrefix });
    };
    this.limiters = {
      loginPerIp: make(config.RATE_LIMIT_LOGIN_PER_IP, 'login-ip'),
      loginFailuresPerUsernameIp: make(config.RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME_IP, 'login-fail-user-ip'),
      loginFailuresPerUsername: make(config.RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME, 'login-fail-user'),
      registerPerIp: make(config.RATE_LIMIT_REGISTER_PER_IP, 'register-ip'),
      refreshPerIp: make(config.RATE_LIMIT_REFRESH_PER_IP, 'refresh-ip'),
      searchPerUser: make(config.RATE_LIMIT_SEARCH_PER_USER, 'search-user'),
      keysPerTarget: make(config.RATE_LIMIT_KEYS_PER_TARGET, 'keys-target'),
      keysPerTargetIp: make(config.RATE_LIMIT_KEYS_PER_TARGET_IP, 'keys-target-ip'),
      sendPerDevice: make(config.RATE_LIMIT_SEND_PER_DEVICE, 'send-device'),
      ephemeralPerDevice: make(config.RATE_LIMIT_EPHEMERAL_PER_DEVICE, 'ephemeral-device'),
      attachmentAnnouncePerUser: make(config.RATE_LIMIT_ATTACHMENT_ANNOUNCE_PER_USER, 'attachment-announce-user'),
      receiptsPerDevice: make(config.RATE_LIMIT_RECEIPTS_PER_DEVICE, 'receipts-device'),
      contactsPerUser: make(config.RATE_LIMIT_CONTACTS_PER_USER, 'contacts-user'),
      profilePerUser: make(config.RATE_LIMIT_PROFILE_PER_USER, 'profile-user'),
      connectPerUser: make(config.RATE_LIMIT_CONNECT_PER_USER, 'connect-user'),
    };
  }

  /** Counts one action; throws RATE_LIMITED when the bucket is empty. */
  async consume(name: LimitName, key: string): Promise<void> {
    try {
      await this.limiters[name].consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      this.metrics.rateLimited(name);
      throw rateLimited(rejection.msBeforeNext);
    }
  }

  /**
   * Throws RATE_LIMITED when the bucket is empty, without counting an action; else answers how
   * many were counted in the current window.
   */
  async check(name: LimitName, key: string): Promise<number> {
    const limiter = this.limiters[name];
    const state = await limiter.get(key);
    if (state && state.consumedPoints >= limiter.points) {
      this.metrics.rateLimited(name);
      throw rateLimited(state.msBeforeNext);
    }
    return state?.consumedPoints ?? 0;
  }

  /** Counts one action without refusing it (e.g. a failure, to be refused next time by `check`). */
  async count(name: LimitName, key: string): Promise<void> {
    await this.limiters[name].penalty(key, 1);
  }

  /** Forgets a key, e.g. a username's failed logins after a successful one. */
  async reset(name: LimitName, key: string): Promise<void> {
    await this.limiters[name].delete(key);
  }
}

function rateLimited(msBeforeNext: number): AppError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return retryLater('RATE_LIMITED', seconds, `Too many attempts; try again in ${seconds} s`);
}
