import { Body, Controller } from '@nestjs/common';
import { ROUTES, type SendMessageResponse } from '@parley/shared';
import type { z } from 'zod';
import { type Caller, CurrentCaller, Route } from '../http/route.js';
import { valid } from '../http/zod-pipe.js';
import { MessagesService } from './messages.service.js';

@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Route(ROUTES.sendMessage)
  send(
    @CurrentCaller() caller: Caller,
    @Body(valid(ROUTES.sendMessage.body)) body: z.output<typeof ROUTES.sendMessage.body>,
  ): Promise<SendMessageResponse> {
    return this.messages.send(caller, body);
  }
}
