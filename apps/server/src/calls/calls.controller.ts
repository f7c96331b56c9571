import { createHmac } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { type CallConfig, type IceServer, ROUTES } from '@parley/shared';
import { CONFIG, type Config } from '../config/config.js';
import { type Caller, CurrentCaller, Route } from '../http/route.js';

/**
 * TURN credentials in coturn's "use-auth-secret" (TURN REST API) scheme: the username is the
 * expiry time and the user, the password an HMAC-SHA1 of it under the secret shared with coturn.
 * They expire on their own, so none is stored.
 */
export function turnCredentials(secret: string, userId: string, expiresAt: number) {
  const username = `${expiresAt}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

@Controller()
export class CallsController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @Route(ROUTES.callConfig)
  callConfig(@CurrentCaller() caller: Caller): CallConfig {
    const { STUN_URLS, TURN_URLS, TURN_SECRET, TURN_TTL_SECONDS, CALL_RING_SECONDS } = this.config;
    const iceServers: IceServer[] = [];
    if (STUN_URLS.length) iceServers.push({ urls: STUN_URLS });
    if (TURN_URLS.length && TURN_SECRET) {
      const expiresAt = Math.floor(Date.now() / 1000) + TURN_TTL_SECONDS;
      iceServers.push({ urls: TURN_URLS, ...turnCredentials(TURN_SECRET, caller.userId, expiresAt) });
    }
    return { iceServers, ttlSeconds: TURN_TTL_SECONDS, ringSeconds: CALL_RING_SECONDS };
  }
}
