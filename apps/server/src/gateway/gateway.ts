import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  type Ack,
  CLIENT_EVENTS,
  EnvelopeBatchAck,
  type ErrorCode,
  LIMITS,
  ReadReceiptsRequest,
  SERVER_EVENTS,
  SendMessageRequest,
  type SessionEndedEvent,
  SignalRequest,
  SOCKET_PATH,
  type SocketError,
  TypingRequest,
  toFieldIssues,
} from '@parley/shared';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import { Tokens } from '../auth/tokens.js';
import { DevicesService } from '../devices/devices.service.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { LOGGER } from '../logger.js';
import { MessagesService } from '../messages/messages.service.js';
import { EphemeralService } from './ephemeral.service.js';
import { PresenceService } from './presence.service.js';
import { deviceRoom, type QueuePump, Realtime, userRoom } from './realtime.js';

/** How long a device has to acknowledge a page of its queue before delivery pauses. */
const ACK_TIMEOUT_MS = 30_000;
const KNOWN_EVENTS = new Set<string>(Object.values(CLIENT_EVENTS));

/** What the handshake established about a connection (its `socket.data`). */
interface SocketSession extends Caller {
  /** When the access token it connected with expires (ms since the epoch). */
  expiresAt: number;
}

function toSocketError(error: unknown): SocketError | undefined {
  if (error instanceof AppError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  return undefined;
}

/**
 * Delivers one connected device's queue, in order, a page at a time, always read from the
 * database: at most one page is in flight, so a device that never acknowledges costs the server
 * one page however much is queued for it. New envelopes only wake the loop; one run at a time.
 */
class DeliveryLoop {
  private running: Promise<void> | undefined;
  /** Woken during a run: read the queue again when the run ends. */
  private again = false;
  private drainedOnce = false;
  private readonly closed: Promise<undefined>;

  constructor(
    private readonly socket: Socket,
    private readonly caller: Caller,
    private readonly messages: MessagesService,
    private readonly onError: (error: unknown) => void,
  ) {
    this.closed = new Promise((resolve) => socket.once('disconnect', () => resolve(undefined)));
  }

  /** The queue may hold something new. */
  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Settles when the run under way, if any, has. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      while (this.socket.connected) {
        const page = await this.messages.queuePage(this.caller.deviceId);
        if (page.length === 0) break;
        // No answer (a timeout, or the connection went) acknowledges nothing.
        const answer = await Promise.race([
          this.socket
            .timeout(ACK_TIMEOUT_MS)
            .emitWithAck(SERVER_EVENTS.envelopes, { envelopes: page })
            .catch(() => undefined),
          this.closed,
        ]);
        const acked = EnvelopeBatchAck.safeParse(answer).data?.ids ?? [];
        await this.messages.ack(this.caller, acked);
        // What was not acked stays queued for the next wake or connection: do not spin on it.
        if (acked.length < page.length) return;
        // A short page was the whole queue as of the read; anything queued since woke the loop.
        if (page.length < LIMITS.drainPage) break;
      }
      if (!this.drainedOnce && this.socket.connected) {
        this.drainedOnce = true;
        this.socket.emit(SERVER_EVENTS.queueEmpty, {});
      }
    } while (this.again && this.socket.connected);
  }
}

/**
 * The Socket.IO gateway: authenticates the handshake, keeps one connection per device, delivers
 * queues, and validates every client event against the shared schemas, answering each with an
 * acknowledgement (or an `app:error` event when the client gave no callback).
 */
@Injectable()
@WebSocketGateway({
  path: SOCKET_PATH,
  transports: ['websocket'],
  perMessageDeflate: false,
  maxHttpBufferSize: LIMITS.sendBodyBytes,
  serveClient: false,
})
export class Gateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, QueuePump, OnApplicationShutdown
{
  private readonly loops = new Map<string, DeliveryLoop>();
  /** Work clients started (events, connections coming and going), until it settles: shutdown waits for it. */
  private readonly inFlight = new Set<Promise<void>>();
  private server?: Server;

  constructor(
    private readonly tokens: Tokens,
    private readonly devices: DevicesService,
    private readonly messages: MessagesService,
    private readonly presence: PresenceService,
    private readonly ephemeral: EphemeralService,
    private readonly limits: RateLimits,
    @Inject(Realtime) private readonly realtime: Realtime,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  afterInit(server: Server): void {
    this.server = server;
    this.realtime.attach(server, this);
    // Guards do not run on connections: authenticate in the handshake middleware.
    server.use((socket, next) => {
      this.authenticate(socket).then(
        (session) => {
          socket.data = session;
          next();
        },
        (error: unknown) => {
          const refused = toSocketError(error) ?? {
            code: 'INTERNAL' as const,
            message: 'The connection could not be set up',
          };
          const err = new Error(refused.message) as Error & { data: Omit<SocketError, 'message'> };
          err.data = { code: refused.code, ...(refused.details === undefined ? {} : { details: refused.details }) };
          next(err);
        },
      );
    });
  }

  handleConnection(socket: Socket): void {
    // A connection that could not be set up is closed: the client reconnects and tries again.
    this.track(
      'connection set-up',
      () => this.setUp(socket),
      () => socket.conn.close(),
    );
  }

  handleDisconnect(socket: Socket): void {
    this.track('disconnection', () => this.tearDown(socket));
  }

  wakeLocal(deviceIds: readonly string[]): void {
    for (const id of deviceIds) this.loops.get(id)?.wake();
  }

  /**
   * Shutdown: closes every connection's transport (not a kick: clients reconnect, to another
   * instance if there is one), then waits for the work clients started here to finish.
   */
  async closeTransports(): Promise<void> {
    const loops = [...this.loops.values()];
    for (const socket of this.server?.sockets.sockets.values() ?? []) socket.conn.close();
    await Promise.all(loops.map((loop) => loop.settled()));
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  onApplicationShutdown(): void {
    this.loops.clear();
  }

  private async setUp(socket: Socket): Promise<void> {
    const { expiresAt, ...caller } = socket.data as SocketSession;
    // Handlers first, synchronously: a client may emit as soon as it is connected.
    this.register(socket, caller);
    this.endAtExpiry(socket, expiresAt);
    const loop = new DeliveryLoop(socket, caller, this.messages, (error) =>
      this.log.error({ err: error }, 'delivery failed'),
    );
    socket.once('disconnect', () => {
      if (this.loops.get(caller.deviceId) === loop) this.loops.delete(caller.deviceId);
    });
    // One live connection per device: a new one replaces the old.
    const previous = (await socket.nsp.in(deviceRoom(caller.deviceId)).fetchSockets()).filter(
      (s) => s.id !== socket.id,
    );
    for (const old of previous) {
      old.emit(SERVER_EVENTS.sessionEnded, { reason: 'replaced' });
      old.disconnect(true);
    }
    const wasOnline = (await socket.nsp.in(userRoom(caller.userId)).fetchSockets()).length > 0;
    if (!socket.connected) return;
    await socket.join([userRoom(caller.userId), deviceRoom(caller.deviceId)]);
    // A revocation that committed after the handshake's check but before the join missed this socket.
    const revokedBy = await this.devices.revokedBy(caller.deviceId);
    if (revokedBy) {
      this.realtime.endDeviceSession(caller.deviceId, 'revoked', revokedBy);
      return;
    }
    this.loops.set(caller.deviceId, loop);
    loop.wake();
    if (!wasOnline) await this.presence.announce(caller.userId, { online: true, lastSeenAt: null });
  }

  private async tearDown(socket: Socket): Promise<void> {
    const caller = socket.data as Caller | undefined;
    if (!caller?.userId) return;
    const stillOnline = (await socket.nsp.in(userRoom(caller.userId)).fetchSockets()).length > 0;
    if (!stillOnline) await this.presence.wentOffline(caller.userId);
  }

  /** Runs work a client started, counted in `inFlight` until it settles; a failure is logged, never thrown. */
  private track(what: string, work: () => Promise<void>, onFailure?: () => void): void {
    const running = work().catch((error: unknown) => {
      this.log.error({ err: error }, `${what} failed`);
      onFailure?.();
    });
    this.inFlight.add(running);
    void running.then(() => this.inFlight.delete(running));
  }

  /**
   * A connection lives no longer than its access token: at expiry the client is told, and the
   * transport closed (not a kick: the client refreshes its token and reconnects).
   */
  private endAtExpiry(socket: Socket, expiresAt: number): void {
    const timer = setTimeout(() => {
      socket.emit(SERVER_EVENTS.sessionEnded, { reason: 'expired' } satisfies SessionEndedEvent);
      socket.conn.close();
    }, expiresAt - Date.now());
    socket.once('disconnect', () => clearTimeout(timer));
  }

  private async authenticate(socket: Socket): Promise<SocketSession> {
    const token: unknown = socket.handshake.auth?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw new AppError('UNAUTHENTICATED', 'Connect with auth: { token: <access token> }');
    }
    const { userId, deviceId, expiresAt } = await this.tokens.verifyAccess(token);
    await this.devices.assertActive(userId, deviceId);
    // Each connection may announce the user online to all their contacts: a reconnect storm is refused here.
    await this.limits.consume('connectPerUser', userId);
    return { userId, deviceId, expiresAt };
  }

  private register(socket: Socket, caller: Caller): void {
    this.on(socket, CLIENT_EVENTS.send, SendMessageRequest, (input) => this.messages.send(caller, input));
    this.on(socket, CLIENT_EVENTS.read, ReadReceiptsRequest, async (input) => ({
      accepted: await this.messages.markRead(caller, input),
    }));
    this.on(socket, CLIENT_EVENTS.typing, TypingRequest, async (input) => {
      await this.ephemeral.typing(caller, input);
      return {};
    });
    this.on(socket, CLIENT_EVENTS.signal, SignalRequest, (input) => this.ephemeral.signal(caller, input));
    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      this.reply(socket, event, args.at(-1), {
        ok: false,
        error: { code: 'UNKNOWN_EVENT', message: `No such event: ${String(event).slice(0, 64)}` },
      });
    });
  }

  /** Binds a client event: validate, run, answer. Nothing a client sends can crash the server. */
  private on<S extends z.ZodType, R>(
    socket: Socket,
    event: string,
    schema: S,
    run: (input: z.output<S>) => Promise<R>,
  ): void {
    socket.on(event, (...args: unknown[]) =>
      this.track(event, async () => {
        const callback = args.at(-1);
        const payload = typeof callback === 'function' && args.length === 1 ? undefined : args[0];
        let result: Ack<R>;
        try {
          const parsed = schema.safeParse(payload);
          if (!parsed.success) {
            throw new AppError('VALIDATION_FAILED', `Invalid ${event} payload`, {
              issues: toFieldIssues(parsed.error),
            });
          }
          result = { ok: true, data: await run(parsed.data) };
        } catch (error) {
          const known = toSocketError(error);
          if (!known) this.log.error({ err: error, event }, 'socket handler failed');
          result = {
            ok: false,
            error: known ?? { code: 'INTERNAL' satisfies ErrorCode, message: 'Something went wrong on our side' },
          };
        }
        this.reply(socket, event, callback, result);
      }),
    );
  }

  private reply(socket: Socket, event: string, callback: unknown, result: Ack<unknown>): void {
    if (typeof callback === 'function') callback(result);
    else if (!result.ok) socket.emit(SERVER_EVENTS.error, { event, ...result.error });
  }
}
