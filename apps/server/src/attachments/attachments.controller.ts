import { Body, Controller, Param, Req, StreamableFile } from '@nestjs/common';
import { type CreateAttachmentResponse, ROUTES } from '@parley/shared';
import type { Request } from 'express';
import type { z } from 'zod';
import { type Caller, CurrentCaller, Route } from '../http/route.js';
import { valid } from '../http/zod-pipe.js';
import { AttachmentsService } from './attachments.service.js';

@Controller()
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Route(ROUTES.createAttachment)
  create(
    @CurrentCaller() caller: Caller,
    @Body(valid(ROUTES.createAttachment.body)) body: z.output<typeof ROUTES.createAttachment.body>,
  ): Promise<CreateAttachmentResponse> {
    return this.attachments.create(caller, body);
  }

  @Route(ROUTES.uploadAttachment)
  async upload(
    @CurrentCaller() caller: Caller,
    @Param(valid(ROUTES.uploadAttachment.params)) params: z.output<typeof ROUTES.uploadAttachment.params>,
    @Req() req: Request,
  ): Promise<void> {
    const length = req.headers['content-length'];
    await this.attachments.upload(caller, params.id, req, length === undefined ? undefined : Number(length));
  }

  @Route(ROUTES.shareAttachment)
  share(
    @CurrentCaller() caller: Caller,
    @Param(valid(ROUTES.shareAttachment.params)) params: z.output<typeof ROUTES.shareAttachment.params>,
    @Body(valid(ROUTES.shareAttachment.body)) body: z.output<typeof ROUTES.shareAttachment.body>,
  ): Promise<void> {
    return this.attachments.share(caller, params.id, body);
  }

  @Route(ROUTES.downloadAttachment)
  async download(
    @CurrentCaller() caller: Caller,
    @Param(valid(ROUTES.downloadAttachment.params)) params: z.output<typeof ROUTES.downloadAttachment.params>,
  ): Promise<StreamableFile> {
    const { stream, size } = await this.attachments.download(caller, params.id);
    return new StreamableFile(stream, { type: 'application/octet-stream', length: size });
  }
}
