import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { Realtime } from '../realtime/realtime.js';
import { QUEUE_DEPTH_BUCKETS, type ServerStats, StatsRepository } from './stats.repository.js';

/** Database-wide gauges are read once per scrape (every gauge of a scrape shares the read). */
const STATS_FRESH_MS = 1_000;

/** The pg pool behind TypeORM's postgres driver. */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * The Prometheus metrics of this instance (prom-client). What the hot paths touch (a send, an ack,
 * a request, a refusal) is a counter increment or a histogram observation on a child resolved once
 * per label value; everything else is read when scraped: connected sockets, the database pool,
 * and the deployment's queues, prekeys and attachments from the database.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly sends = new Counter({
    name: 'parley_sends_total',
    help: 'Message sends by outcome: accepted, duplicate, or the error code refusing them',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly sendOutcomes = new Map<string, Counter.Internal>();
  private readonly deliveryLatency = new Histogram({
    name: 'parley_delivery_latency_seconds',
    help: 'From a message envelope being stored to its destination device acknowledging it',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3_600, 86_400],
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP requests by method, route (its pattern) and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [this.registry],
  });
  private readonly refusals = new Counter({
    name: 'parley_rate_limit_refusals_total',
    help: 'Actions refused as RATE_LIMITED, by limit',
    labelNames: ['limit'],
    registers: [this.registry],
  });
  private stats: { at: number; read: Promise<ServerStats> } | undefined;

  constructor(
    private readonly statsRepository: StatsRepository,
    private readonly realtime: Realtime,
    private readonly db: DataSource,
  ) {
    // Process metrics, event-loop delay (nodejs_eventloop_lag_*) and GC among them.
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const local = () => this.realtime.localConnections();
    new Gauge({
      name: 'parley_sockets_connected',
      help: 'Socket.IO connections to this instance',
      registers,
      collect() {
        this.set(local().sockets);
      },
    });
    new Gauge({
      name: 'parley_devices_connected',
      help: 'Devices connected to this instance',
      registers,
      collect() {
        this.set(local().devices);
      },
    });
    const pool = () => (this.db.driver as unknown as { master?: PgPool }).master;
    new Gauge({
      name: 'parley_db_pool_connections',
      help: "This instance's PostgreSQL pool: total, idle, and requests waiting for a connection",
      labelNames: ['state'],
      registers,
      collect() {
        const p = pool();
        this.set({ state: 'total' }, p?.totalCount ?? 0);
        this.set({ state: 'idle' }, p?.idleCount ?? 0);
        this.set({ state: 'waiting' }, p?.waitingCount ?? 0);
      },
    });
    const stat = (name: string, help: string, read: (s: ServerStats) => number) =>
      new Gauge({
        name,
        help: `${help} (the whole deployment: every instance reports the same)`,
        registers,
        collect: async function (this: Gauge) {
          this.set(read(await stats()));
        },
      });
    const stats = () => this.readStats();
    stat('parley_queued_envelopes', 'Envelopes waiting in device queues', (s) => s.queuedEnvelopes);
    stat(
      'parley_oldest_queued_envelope_age_seconds',
      'Age of the oldest queued envelope',
      (s) => s.oldestQueuedSeconds,
    );
    stat(
      'parley_prekeys_low_devices',
      'Receiving devices with fewer one-time prekeys than the low-water mark',
      (s) => s.preKeysLow,
    );
    stat('parley_attachment_bytes_stored', 'Ciphertext bytes of uploaded attachments', (s) => s.attachmentBytes);
    stat('parley_users', 'Accounts', (s) => s.users);
    new Gauge({
      name: 'parley_queue_depth_devices',
      help: 'Devices with at least `min_depth` envelopes queued (the whole deployment)',
      labelNames: ['min_depth'],
      registers,
      collect: async function (this: Gauge) {
        const depths = (await stats()).queueDepths;
        for (const [i, bucket] of QUEUE_DEPTH_BUCKETS.entries())
          this.set({ min_depth: String(bucket) }, depths[i] ?? 0);
      },
    });
  }

  /** Counts a send's outcome: `accepted`, `duplicate`, or the error code that refused it. */
  sent(outcome: string): void {
    let child = this.sendOutcomes.get(outcome);
    if (!child) {
      child = this.sends.labels(outcome);
      this.sendOutcomes.set(outcome, child);
    }
    child.inc();
  }

  /** Message envelopes acknowledged, each with its seconds since it was stored. */
  delivered(ages: readonly number[]): void {
    for (const age of ages) this.deliveryLatency.observe(age);
  }

  rateLimited(limit: string): void {
    this.refusals.inc({ limit });
  }

  /** Express middleware timing each request, labelled by its route's pattern (not its path). */
  readonly timeRequests = (req: Request, res: Response, next: () => void): void => {
    const start = performance.now();
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      this.httpDuration.observe(
        { method: req.method, route, status: String(res.statusCode) },
        (performance.now() - start) / 1000,
      );
    });
    next();
  };

  private readStats(): Promise<ServerStats> {
    if (!this.stats || Date.now() - this.stats.at > STATS_FRESH_MS) {
      this.stats = { at: Date.now(), read: this.statsRepository.read() };
    }
    return this.stats.read;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The `/metrics` handler (Prometheus text format), for the main server under METRICS_TOKEN or the
 * separate METRICS_PORT listener. With a token, anything but `Authorization: Bearer <token>` is 401.
 */
export function metricsHandler(metrics: Metrics, token: string | undefined) {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/' && path !== '')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics could not be collected\n'),
    );
  };
}
