import { randomUUID } from 'node:crypto';
import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Request } from 'express';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AttachmentsController } from './attachments/attachments.controller.js';
import { AttachmentsRepository } from './attachments/attachments.repository.js';
import { AttachmentsService } from './attachments/attachments.service.js';
import { AccessGuard } from './auth/access.guard.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthService } from './auth/auth.service.js';
import { InvitesRepository } from './auth/invites.repository.js';
import { JWT_SECRET } from './auth/jwt-secret.js';
import { RefreshTokensRepository } from './auth/refresh-tokens.repository.js';
import { Tokens } from './auth/tokens.js';
import { CallsController } from './calls/calls.controller.js';
import { CONFIG, type Config } from './config/config.js';
import { ContactsController } from './contacts/contacts.controller.js';
import { ContactsRepository } from './contacts/contacts.repository.js';
import { ContactsService } from './contacts/contacts.service.js';
import { PresenceService } from './contacts/presence.service.js';
import { DATABASE_URL, dataSourceOptions } from './database/data-source.js';
import { DevicesController } from './devices/devices.controller.js';
import { DevicesRepository } from './devices/devices.repository.js';
import { DevicesService } from './devices/devices.service.js';
import { SessionNotices } from './devices/session-notices.js';
import { DocsController } from './docs/docs.controller.js';
import { EphemeralService } from './gateway/ephemeral.service.js';
import { Gateway } from './gateway/gateway.js';
import { HealthController } from './health/health.controller.js';
import { jsonBody } from './http/json-body.js';
import { RateLimits } from './http/rate-limits.js';
import { KeysController } from './keys/keys.controller.js';
import { KeysService } from './keys/keys.service.js';
import { PreKeysRepository } from './keys/prekeys.repository.js';
import { LOGGER } from './logger.js';
import { Deliveries } from './messages/deliveries.js';
import { MessagesController } from './messages/messages.controller.js';
import { MessagesRepository } from './messages/messages.repository.js';
import { MessagesService } from './messages/messages.service.js';
import { Metrics } from './metrics/metrics.js';
import { StatsRepository } from './metrics/stats.repository.js';
import { Realtime } from './realtime/realtime.js';
import { REDIS, type RedisClient } from './realtime/redis.js';
import { UsersController } from './users/users.controller.js';
import { UsersRepository } from './users/users.repository.js';
import { UsersService } from './users/users.service.js';

export interface AppDeps {
  config: Config;
  redis: RedisClient | null;
  databaseUrl: string;
  jwtSecret: string;
  logger: Logger;
}

/** A request id the client sent is kept if it looks like one; otherwise a new UUID. */
const REQUEST_ID = /^[\w-]{8,64}$/;

/** Prefixed and unprefixed paths alike; named once so every middleware runs once per request. */
const EVERY_ROUTE = { path: '{*path}', method: RequestMethod.ALL };

@Module({})
export class AppModule implements NestModule {
  static forRoot({ config, redis, databaseUrl, jwtSecret, logger }: AppDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          forRoutes: [EVERY_ROUTE],
          pinoHttp: {
            logger,
            genReqId: (req, res) => {
              const sent = req.headers['x-request-id'];
              const id = typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
              res.setHeader('X-Request-Id', id);
              return id;
            },
            serializers: {
              req: (req: Request & { raw?: Request }) => ({
                id: req.id,
                method: req.method,
                path: (req.raw ?? req).path,
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
        }),
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, config.DATABASE_POOL_SIZE)),
      ],
      controllers: [
        AuthController,
        DevicesController,
        UsersController,
        ContactsController,
        KeysController,
        MessagesController,
        CallsController,
        AttachmentsController,
        HealthController,
        DocsController,
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: JWT_SECRET, useValue: jwtSecret },
        { provide: LOGGER, useValue: logger },
        { provide: REDIS, useValue: redis },
        { provide: DATABASE_URL, useValue: databaseUrl },
        { provide: APP_GUARD, useClass: AccessGuard },
        Tokens,
        StatsRepository,
        Metrics,
        RateLimits,
        UsersRepository,
        DevicesRepository,
        RefreshTokensRepository,
        InvitesRepository,
        ContactsRepository,
        PreKeysRepository,
        MessagesRepository,
        AttachmentsRepository,
        AuthService,
        DevicesService,
        SessionNotices,
        UsersService,
        ContactsService,
        Realtime,
        PresenceService,
        EphemeralService,
        KeysService,
        MessagesService,
        Deliveries,
        AttachmentsService,
        Gateway,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(jsonBody).forRoutes(EVERY_ROUTE);
  }
}
