import { Controller, Inject, Res } from '@nestjs/common';
import {
  HEALTH_LIVE_ROUTE,
  HEALTH_READY_ROUTE,
  HEALTH_ROUTE,
  type HealthResponse,
  type LivenessResponse,
  type ReadinessResponse,
} from '@parley/shared';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { Route } from '../http/route.js';
import { REDIS, type RedisClient } from '../realtime/redis.js';
import { SERVER_VERSION } from '../version.js';

/** How long one dependency may take to answer before it counts as down. */
const CHECK_TIMEOUT_MS = 2_000;

/** Whether `work` succeeds within CHECK_TIMEOUT_MS. */
function succeeds(work: () => Promise<unknown>): Promise<boolean> {
  return Promise.race([
    work().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => setTimeout(resolve, CHECK_TIMEOUT_MS, false).unref()),
  ]);
}

@Controller()
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly attachments: AttachmentsService,
    @Inject(REDIS) private readonly redis: RedisClient | null,
  ) {}

  /** 200 when the database answers, 503 (same shape) when it does not. */
  @Route(HEALTH_ROUTE)
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthResponse> {
    const up = await succeeds(() => this.db.query('SELECT 1'));
    if (!up) res.status(503);
    return { status: up ? 'ok' : 'degraded', database: up ? 'up' : 'down', version: SERVER_VERSION };
  }

  /** The process answers: nothing else is checked (a database outage is no reason to restart it). */
  @Route(HEALTH_LIVE_ROUTE)
  live(): LivenessResponse {
    return { status: 'ok', version: SERVER_VERSION };
  }

  /** 200 when this instance can serve, 503 (same shape, naming what is down) when not. */
  @Route(HEALTH_READY_ROUTE)
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadinessResponse> {
    const state = (ok: boolean) => (ok ? ('up' as const) : ('down' as const));
    const [database, migrated, blobStore, redis] = await Promise.all([
      succeeds(() => this.db.query('SELECT 1')),
      succeeds(async () => {
        if (await this.db.showMigrations()) throw new Error('migrations pending');
      }),
      succeeds(() => this.attachments.checkBlobStore()),
      this.redis ? succeeds(() => (this.redis as RedisClient).ping()) : Promise.resolve(null),
    ]);
    const checks = {
      database: state(database),
      migrations: state(migrated),
      blobStore: state(blobStore),
      redis: redis === null ? ('skipped' as const) : state(redis),
    };
    const ready = Object.values(checks).every((c) => c !== 'down');
    if (!ready) res.status(503);
    return { status: ready ? 'ready' : 'not_ready', checks, version: SERVER_VERSION };
  }
}
