import { Inject, Injectable } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  type Ack,
  type ClientAnswer,
  type ClientEvent,
  type EnvelopeBatch,
  LIMITS,
  SERVER_EVENTS,
  type ServerEvent,
  type ServerPayload,
  SOCKET_EVENTS,
  SOCKET_PATH,
  type SocketError,
  toFieldIssues,
} from '@parley/shared';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import { Tokens } from '../auth/tokens.js';
import { PresenceService } from '../contacts/presence.service.js';
import { DevicesService } from '../devices/devices.service.js';
import { AppError, knownError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { LOGGER } from '../logger.js';
import { Deliveries } from '../messages/deliveries.js';
import type { DeviceLink } from '../messages/delivery-loop.js';
import { MessagesService } from '../messages/messages.service.js';
import { deviceRoom, Realtime, userRoom } from '../realtime/realtime.js';
import { EphemeralService } from './ephemeral.service.js';

/** How long a device has to acknowledge a page of its queue before delivery pauses. */
const ACK_TIMEOUT_MS = 30_000;
const CLIENT_EVENTS = Object.keys(SOCKET_EVENTS.client) as ClientEvent[];
const KNOWN_EVENTS = new Set<string>(CLIENT_EVENTS.map((event) => SOCKET_EVENTS.client[event].name));

/** What the gateway does with each client event, given its parsed payload: answers the ack's data. */
type ClientInput<E extends ClientEvent> = z.output<(typeof SOCKET_EVENTS.client)[E]['payload']>;
type ClientHandlers = { [E in ClientEvent]: (input: ClientInput<E>) => Promise<ClientAnswer<E>> };

/** What the handshake established about a connection (its `socket.data`). */
interface SocketSession extends Caller {
  /** When the access token it connected with expires (ms since the epoch). */
  expiresAt: number;
  /** An app window of the device is open (the handshake's `auth.active`, then `presence:active`): "online" means one is. */
  active: boolean;
}

function toSocketError(error: unknown): SocketError | undefined {
  const known = knownError(error);
  if (!known) return undefined;
  return {
    code: known.code,
    message: known.message,
    ...(known.details === undefined ? {} : { details: known.details }),
  };
}

/** Emits a server event to one socket, typed by SOCKET_EVENTS. */
const emit = <E extends ServerEvent>(socket: Socket, event: E, payload: ServerPayload<E>) =>
  socket.emit(SERVER_EVENTS[event], payload);

/** A socket as the delivery loop sees it. */
function deviceLink(socket: Socket): DeviceLink {
  const closed = new Promise<undefined>((resolve) => socket.once('disconnect', () => resolve(undefined)));
  return {
    get connected() {
      return socket.connected;
    },
    deliver: (batch: EnvelopeBatch) =>
      Promise.race([
        socket
          .timeout(ACK_TIMEOUT_MS)
          .emitWithAck(SERVER_EVENTS.envelopes, batch)
          .catch(() => undefined),
        closed,
      ]),
    drained: () => emit(socket, 'queueEmpty', {}),
  };
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
export class Gateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  /** Work clients started (events, connections coming and going), until it settles: shutdown waits for it. */
  private readonly inFlight = new Set<Promise<void>>();
  private server?: Server;

  constructor(
    private readonly tokens: Tokens,
    private readonly devices: DevicesService,
    private readonly messages: MessagesService,
    private readonly deliveries: Deliveries,
    private readonly presence: PresenceService,
    private readonly ephemeral: EphemeralService,
    private readonly limits: RateLimits,
    @Inject(Realtime) private readonly realtime: Realtime,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  afterInit(server: Server): void {
    this.server = server;
    this.realtime.attach(server);
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

  /**
   * Shutdown: closes every connection's transport (not a kick: clients reconnect, to another
   * instance if there is one), then waits for the work clients started here to finish.
   */
  async closeTransports(): Promise<void> {
    const delivering = this.deliveries.settled();
    for (const socket of this.server?.sockets.sockets.values() ?? []) socket.conn.close();
    await delivering;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private async setUp(socket: Socket): Promise<void> {
    const { expiresAt, active, ...caller } = socket.data as SocketSession;
    // Handlers first, synchronously: a client may emit as soon as it is connected.
    this.register(socket, caller);
    this.endAtExpiry(socket, expiresAt);
    // One live connection per device: a new one replaces the old.
    const previous = (await socket.nsp.in(deviceRoom(caller.deviceId)).fetchSockets()).filter(
      (s) => s.id !== socket.id,
    );
    for (const old of previous) {
      old.emit(SERVER_EVENTS.sessionEnded, { reason: 'replaced' } satisfies ServerPayload<'sessionEnded'>);
      old.disconnect(true);
    }
    const wasOnline = await this.realtime.isOnline(caller.userId);
    if (!socket.connected) return;
    await socket.join([userRoom(caller.userId), deviceRoom(caller.deviceId)]);
    // A revocation that committed after the handshake's check but before the join missed this socket.
    const revokedBy = await this.devices.revokedBy(caller.deviceId);
    if (revokedBy) {
      this.realtime.endDeviceSession(caller.deviceId, 'revoked', revokedBy);
      return;
    }
    // Deliver the queue until the socket goes (unless it went during the awaits above).
    if (socket.connected) socket.once('disconnect', this.deliveries.start(caller, deviceLink(socket)));
    if (active && !wasOnline) await this.presence.announce(caller.userId, { online: true, lastSeenAt: null });
  }

  private async tearDown(socket: Socket): Promise<void> {
    const session = socket.data as SocketSession | undefined;
    if (!session?.userId || !session.active) return;
    if (!(await this.realtime.isOnline(session.userId))) await this.presence.wentOffline(session.userId);
  }

  /**
   * A window of this device opened or closed. Each change may tell all the user's contacts, so it
   * counts against the same per-user limit as connecting.
   */
  private async setActive(socket: Socket, caller: Caller, active: boolean): Promise<void> {
    const session = socket.data as SocketSession;
    if (session.active === active) return;
    await this.limits.consume('connectPerUser', caller.userId);
    const wasOnline = await this.realtime.isOnline(caller.userId);
    session.active = active;
    const online = await this.realtime.isOnline(caller.userId);
    if (online && !wasOnline) await this.presence.announce(caller.userId, { online: true, lastSeenAt: null });
    else if (!online && wasOnline) await this.presence.wentOffline(caller.userId);
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
      emit(socket, 'sessionEnded', { reason: 'expired' });
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
    return { userId, deviceId, expiresAt, active: socket.handshake.auth?.active !== false };
  }

  private register(socket: Socket, caller: Caller): void {
    const handlers: ClientHandlers = {
      presence: async (input) => {
        await this.setActive(socket, caller, input.active);
        return {};
      },
      send: (input) => this.messages.send(caller, input),
      read: async (input) => ({ accepted: await this.messages.markRead(caller, input) }),
      typing: async (input) => {
        await this.ephemeral.typing(caller, input);
        return {};
      },
      signal: (input) => this.ephemeral.signal(caller, input),
    };
    for (const event of CLIENT_EVENTS) this.bind(socket, event, handlers[event]);
    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      this.reply(socket, event, args.at(-1), {
        ok: false,
        error: { code: 'UNKNOWN_EVENT', message: `No such event: ${String(event).slice(0, 64)}` },
      });
    });
  }

  /** Binds a client event from SOCKET_EVENTS: validate, run, answer. Nothing a client sends can crash the server. */
  private bind<E extends ClientEvent>(socket: Socket, event: E, run: ClientHandlers[E]): void {
    const { name, payload: schema } = SOCKET_EVENTS.client[event];
    socket.on(name, (...args: unknown[]) =>
      this.track(name, async () => {
        const callback = args.at(-1);
        const payload = typeof callback === 'function' && args.length === 1 ? undefined : args[0];
        let result: Ack<ClientAnswer<E>>;
        try {
          const parsed = schema.safeParse(payload);
          if (!parsed.success) {
            throw new AppError('VALIDATION_FAILED', `Invalid ${name} payload`, {
              issues: toFieldIssues(parsed.error),
            });
          }
          result = { ok: true, data: await run(parsed.data as ClientInput<E>) };
        } catch (error) {
          const known = toSocketError(error);
          if (!known) this.log.error({ err: error, event: name }, 'socket handler failed');
          result = {
            ok: false,
            error: known ?? { code: 'INTERNAL', message: 'Something went wrong on our side' },
          };
        }
        this.reply(socket, name, callback, result);
      }),
    );
  }

  private reply(socket: Socket, event: string, callback: unknown, result: Ack<unknown>): void {
    if (typeof callback === 'function') callback(result);
    else if (!result.ok) emit(socket, 'error', { event, ...result.error });
  }
}
