import { Body, Controller, Param } from '@nestjs/common';
import { type PreKeyCount, ROUTES, type UserBundles } from '@parley/shared';
import type { z } from 'zod';
import { type Caller, ClientIp, CurrentCaller, Route } from '../http/route.js';
import { valid } from '../http/zod-pipe.js';
import { KeysService } from './keys.service.js';

@Controller()
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Route(ROUTES.uploadKeys)
  upload(
    @CurrentCaller() caller: Caller,
    @Body(valid(ROUTES.uploadKeys.body)) body: z.output<typeof ROUTES.uploadKeys.body>,
  ) {
    return this.keys.upload(caller, body);
  }

  @Route(ROUTES.replaceSignedPreKey)
  replaceSigned(
    @CurrentCaller() caller: Caller,
    @Body(valid(ROUTES.replaceSignedPreKey.body)) body: z.output<typeof ROUTES.replaceSignedPreKey.body>,
  ) {
    return this.keys.replaceSignedPreKey(caller, body.signedPreKey);
  }

  @Route(ROUTES.addPreKeys)
  addPreKeys(
    @CurrentCaller() caller: Caller,
    @Body(valid(ROUTES.addPreKeys.body)) body: z.output<typeof ROUTES.addPreKeys.body>,
  ) {
    return this.keys.addPreKeys(caller, body.preKeys);
  }

  // Declared before `/keys/:userId`, so "count" is never taken for a user id.
  @Route(ROUTES.preKeyCount)
  async count(@CurrentCaller() caller: Caller): Promise<PreKeyCount> {
    return { count: await this.keys.count(caller) };
  }

  @Route(ROUTES.getBundles)
  bundles(
    @CurrentCaller() caller: Caller,
    @Param(valid(ROUTES.getBundles.params)) params: z.output<typeof ROUTES.getBundles.params>,
    @ClientIp() ip: string,
  ): Promise<UserBundles> {
    return this.keys.bundles(caller, params.userId, ip);
  }
}
