import { Controller, Param } from '@nestjs/common';
import { type DeviceList, ROUTES } from '@parley/shared';
import type { z } from 'zod';
import { type Caller, CurrentCaller, Route } from '../http/route.js';
import { valid } from '../http/zod-pipe.js';
import { DevicesService } from './devices.service.js';

@Controller()
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Route(ROUTES.listDevices)
  async list(@CurrentCaller() caller: Caller): Promise<DeviceList> {
    return { items: await this.devices.list(caller.userId, caller.deviceId) };
  }

  @Route(ROUTES.revokeDevice)
  async revoke(
    @CurrentCaller() caller: Caller,
    @Param(valid(ROUTES.revokeDevice.params)) params: z.output<typeof ROUTES.revokeDevice.params>,
  ): Promise<void> {
    await this.devices.revokeOwn(caller.userId, params.id);
  }
}
