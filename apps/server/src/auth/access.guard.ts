import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { RouteDef } from '@parley/shared';
import type { Request } from 'express';
import { DevicesService } from '../devices/devices.service.js';
import { AppError } from '../http/app-error.js';
import { ROUTE_DEF } from '../http/route.js';
import { Tokens } from './tokens.js';

/**
 * Every route needs a valid access token of a live device unless its route definition says
 * otherwise. Revocation takes effect at once, not when the token expires.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: Tokens,
    private readonly devices: DevicesService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const route = this.reflector.get<RouteDef | undefined>(ROUTE_DEF, ctx.getHandler());
    if (route && !route.auth) return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new AppError('UNAUTHENTICATED', 'Send an access token as "Authorization: Bearer <token>"');
    }
    const { userId, deviceId } = await this.tokens.verifyAccess(token);
    await this.devices.assertActive(userId, deviceId);
    req.caller = { userId, deviceId };
    return true;
  }
}
