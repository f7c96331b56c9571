import { Body, Controller, Inject } from '@nestjs/common';
import { type AuthResponse, type RegistrationInfo, ROUTES, type TokenPair } from '@parley/shared';
import type { z } from 'zod';
import { CONFIG, type Config } from '../config/config.js';
import { DevicesService } from '../devices/devices.service.js';
import { type Caller, ClientIp, CurrentCaller, Route } from '../http/route.js';
import { valid } from '../http/zod-pipe.js';
import { AuthService } from './auth.service.js';

@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly devices: DevicesService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Route(ROUTES.registration)
  registration(): RegistrationInfo {
    return { mode: this.config.REGISTRATION };
  }

  @Route(ROUTES.register)
  register(
    @Body(valid(ROUTES.register.body)) body: z.output<typeof ROUTES.register.body>,
    @ClientIp() ip: string,
  ): Promise<AuthResponse> {
    return this.auth.register(body, ip);
  }

  @Route(ROUTES.login)
  login(
    @Body(valid(ROUTES.login.body)) body: z.output<typeof ROUTES.login.body>,
    @ClientIp() ip: string,
  ): Promise<AuthResponse> {
    return this.auth.login(body, ip);
  }

  @Route(ROUTES.refresh)
  refresh(
    @Body(valid(ROUTES.refresh.body)) body: z.output<typeof ROUTES.refresh.body>,
    @ClientIp() ip: string,
  ): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken, ip);
  }

  @Route(ROUTES.logout)
  async logout(@CurrentCaller() caller: Caller): Promise<void> {
    await this.devices.revokeOwn(caller.userId, caller.deviceId);
  }
}
