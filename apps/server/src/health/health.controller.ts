import { Controller, Res } from '@nestjs/common';
import { HEALTH_ROUTE, type HealthResponse } from '@parley/shared';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Route } from '../http/route.js';
import { SERVER_VERSION } from '../version.js';

@Controller()
export class HealthController {
  constructor(private readonly db: DataSource) {}

  /** 200 when the database answers, 503 (same shape) when it does not. */
  @Route(HEALTH_ROUTE)
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthResponse> {
    const up = await Promise.race([
      this.db.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, false)),
    ]);
    if (!up) res.status(503);
    return { status: up ? 'ok' : 'degraded', database: up ? 'up' : 'down', version: SERVER_VERSION };
  }
}
