import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SessionEndedBy } from '@parley/shared';
import pg from 'pg';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { DATABASE_URL } from '../database/data-source.js';
import { LOGGER } from '../logger.js';
import { Realtime } from '../realtime/realtime.js';
import { DevicesRepository } from './devices.repository.js';

/** The PostgreSQL channel every instance listens on for sessions ended outside it (`parley-admin`). */
const CHANNEL = 'parley_sessions_ended';
const RECONNECT_MS = 2_000;

/** Every session of a user, or one device's, ended by the admin. */
export const SessionsEnded = z.strictObject({
  target: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('user'), userId: z.uuid() }),
    z.strictObject({ kind: z.literal('device'), deviceId: z.uuid() }),
  ]),
  by: SessionEndedBy,
});
export type SessionsEnded = z.infer<typeof SessionsEnded>;

/**
 * Tells every server instance, when the transaction commits (PostgreSQL delivers a NOTIFY only
 * then, and not at all on rollback), to end these sessions' sockets. The admin commands talk to
 * the database, not to a server, so the database carries the word, with or without Redis.
 */
export async function notifySessionsEnded(tx: EntityManager, notice: SessionsEnded): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(notice)]);
}

/**
 * Listens for `notifySessionsEnded` on a connection of its own and ends the named sessions'
 * sockets connected to this instance. A notice sent while the connection was down is missed, so
 * after reconnecting every local socket whose device was revoked meanwhile is ended too.
 */
@Injectable()
export class SessionNotices implements OnApplicationBootstrap, OnModuleDestroy {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    @Inject(DATABASE_URL) private readonly url: string,
    private readonly realtime: Realtime,
    private readonly devices: DevicesRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => {});
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => this.handle(message.payload));
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'session notices: connection lost; reconnecting');
      void client.end().catch(() => {});
      this.reconnectLater();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
  }

  private reconnectLater(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      this.listen()
        .then(() => this.endRevokedLocally())
        .catch(() => this.reconnectLater());
    }, RECONNECT_MS);
  }

  private handle(payload: string | undefined): void {
    let notice: SessionsEnded;
    try {
      notice = SessionsEnded.parse(JSON.parse(payload ?? ''));
    } catch {
      this.log.warn('session notices: ignored a malformed notice');
      return;
    }
    this.realtime.endLocalSessions(notice.target, notice.by);
  }

  /** Ends the local sockets of devices revoked while notices could not be heard. */
  private async endRevokedLocally(): Promise<void> {
    for (const device of await this.devices.revokedAmong(this.realtime.localDeviceIds())) {
      this.realtime.endLocalSessions({ kind: 'device', deviceId: device.id }, device.revokedBy ?? 'server');
    }
  }
}
