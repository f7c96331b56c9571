import { Inject, Injectable } from '@nestjs/common';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { CONFIG, type Config, type RateLimit } from '../config/config.js';
import { REDIS, type RedisClient } from '../gateway/redis.js';
import { AppError } from './app-error.js';

export type LimitName =
  | 'loginPerIp'
  | 'loginPerUsername'
  | 'registerPerIp'
  | 'refreshPerIp'
  | 'searchPerUser'
  | 'keysPerTarget'
  | 'sendPerDevice'
  | 'ephemeralPerDevice';

/**
 * Limits per action and key; exceeding one is a 429 with Retry-After. Counted in Redis when
 * instances share one (so the limit holds across them), in memory otherwise.
 */
@Injectable()
export class RateLimits {
  private readonly limiters: Record<LimitName, RateLimiterAbstract>;

  constructor(@Inject(CONFIG) config: Config, @Inject(REDIS) redis: RedisClient | null) {
    const make = ({ points, seconds }: RateLimit, name: string): RateLimiterAbstract => {
      const keyPrefix = `${config.REDIS_KEY_PREFIX}:limit:${name}`;
      return redis
        ? new RateLimiterRedis({ storeClient: redis, useRedisPackage: true, points, duration: seconds, keyPrefix })
        : new RateLimiterMemory({ points, duration: seconds, keyPrefix });
    };
    this.limiters = {
      loginPerIp: make(config.RATE_LIMIT_LOGIN_PER_IP, 'login-ip'),
      loginPerUsername: make(config.RATE_LIMIT_LOGIN_PER_USERNAME, 'login-user'),
      registerPerIp: make(config.RATE_LIMIT_REGISTER_PER_IP, 'register-ip'),
      refreshPerIp: make(config.RATE_LIMIT_REFRESH_PER_IP, 'refresh-ip'),
      searchPerUser: make(config.RATE_LIMIT_SEARCH_PER_USER, 'search-user'),
      keysPerTarget: make(config.RATE_LIMIT_KEYS_PER_TARGET, 'keys-target'),
      sendPerDevice: make(config.RATE_LIMIT_SEND_PER_DEVICE, 'send-device'),
      ephemeralPerDevice: make(config.RATE_LIMIT_EPHEMERAL_PER_DEVICE, 'ephemeral-device'),
    };
  }

  /** Counts one action; throws RATE_LIMITED when the bucket is empty. */
  async consume(name: LimitName, key: string): Promise<void> {
    try {
      await this.limiters[name].consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new AppError(
        'RATE_LIMITED',
        `Too many attempts; try again in ${retryAfter} s`,
        { retryAfter },
        {
          'Retry-After': String(retryAfter),
        },
      );
    }
  }

  /** Forgets a key, e.g. a username's failed logins after a successful one. */
  async reset(name: LimitName, key: string): Promise<void> {
    await this.limiters[name].delete(key);
  }
}
