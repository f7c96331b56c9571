import {
  ack,
  type ClientAnswer,
  type ClientEvent,
  type ClientPayload,
  type ConnectionState,
  type EnvelopeBatch,
  type PresenceEvent,
  type ReadReceiptsRequest,
  RetryAfterDetails,
  type SendMessageRequest,
  type SendMessageResponse,
  type ServerAnswer,
  type ServerEvent,
  type ServerPayload,
  type SessionEndedBy,
  type SessionEndedEvent,
  type SignalEvent,
  type SignalRequest,
  type SignalResult,
  SOCKET_EVENTS,
  SOCKET_PATH,
  type TypingEvent,
  type TypingRequest,
  type User,
} from '@parley/shared';
import { io, type Socket } from 'socket.io-client';
import { CoreError } from '../errors.js';
import { endedBy, type ServerSession } from './server-session.js';

const REQUEST_TIMEOUT_MS = 15_000;

export interface ConnectionHandlers {
  state(state: ConnectionState): void;
  /** Process a page of my queue; resolve with the ids stored safely (they get acked). */
  envelopes(batch: EnvelopeBatch): Promise<string[]>;
  presence(event: PresenceEvent): void;
  userUpdated(user: User): void;
  typing(event: TypingEvent): void;
  signal(event: SignalEvent): void;
  keysLow(): void;
  /** The server ended this device's session (`by` whom), or replaced this connection. */
  sessionEnded(reason: SessionEndedEvent['reason'], by: SessionEndedBy): void;
  connected(): void;
}

/**
 * The live link to the gateway: authenticates with a fresh access token at every (re)connect,
 * reconnects with backoff (socket.io's, 1 s doubling to 30 s, randomised), refreshes the token
 * when the handshake says it expired, and waits as long as told when refused as RATE_LIMITED.
 */
export class Connection {
  private readonly socket: Socket;
  private current: ConnectionState = 'connecting';
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private activeTimer: ReturnType<typeof setTimeout> | undefined;
  /** An app window is open: told in every handshake and whenever it changes (presence means it). */
  private active = false;

  constructor(
    serverUrl: string,
    session: ServerSession,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.socket = io(serverUrl, {
      path: SOCKET_PATH,
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 30_000,
      randomizationFactor: 0.5,
      auth: (cb) => {
        session.token().then(
          (token) => cb({ token, active: this.active }),
          () => cb({ token: '', active: this.active }),
        );
      },
    });
    const s = this.socket;
    s.on('connect', () => {
      this.setState('online');
      handlers.connected();
    });
    s.on('disconnect', (reason) => {
      this.setState(reason === 'io client disconnect' ? 'offline' : 'connecting');
    });
    s.on('connect_error', (error: Error & { data?: { code?: string; details?: unknown } }) => {
      const code = error.data?.code;
      if (code === 'SESSION_REVOKED') {
        handlers.sessionEnded('revoked', endedBy(error.data?.details));
        return;
      }
      this.setState('connecting');
      // A refused handshake is not retried by socket.io: refresh the token and try again.
      if (code === 'TOKEN_EXPIRED' || code === 'UNAUTHENTICATED') {
        session.refresh().then(
          () => this.connectLater(500),
          () => this.connectLater(5_000),
        );
      } else if (code === 'RATE_LIMITED') {
        // Too many connections of this account: wait as told, spread out so my devices do not all return at once.
        const seconds = RetryAfterDetails.safeParse(error.data?.details).data?.retryAfterSeconds ?? 30;
        this.connectLater(seconds * 1_000 * (1 + Math.random() * 0.5));
      } else if (!s.active) {
        this.connectLater(5_000);
      }
    });
    this.listen('envelopes', (batch, answer) => {
      handlers.envelopes(batch).then(
        (ids) => answer({ ids }),
        () => answer({ ids: [] }),
      );
    });
    this.listen('presence', (e) => handlers.presence(e));
    this.listen('userUpdated', (user) => handlers.userUpdated(user));
    this.listen('typing', (e) => handlers.typing(e));
    this.listen('signal', (e) => handlers.signal(e));
    this.listen('keysLow', () => handlers.keysLow());
    this.listen('sessionEnded', (e) => handlers.sessionEnded(e.reason, e.by ?? 'user'));
  }

  get state(): ConnectionState {
    return this.current;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  open(): void {
    this.setState('connecting');
    this.socket.connect();
  }

  /** A window of the app opened or closed; the server hears it now if connected, else at the next handshake. */
  setActive(active: boolean): void {
    this.active = active;
    clearTimeout(this.activeTimer);
    if (!this.socket.connected) return;
    this.request('presence', { active }).catch((error: unknown) => {
      // Too many changes: say the latest once allowed (a change meanwhile says it instead).
      const seconds = RetryAfterDetails.safeParse((error as CoreError).details).data?.retryAfterSeconds;
      if ((error as CoreError).code === 'RATE_LIMITED' && seconds && this.active === active)
        this.activeTimer = setTimeout(() => this.setActive(this.active), seconds * 1_000);
    });
  }

  close(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.activeTimer);
    this.socket.disconnect();
    this.setState('offline');
  }

  send(request: SendMessageRequest): Promise<SendMessageResponse> {
    return this.request('send', request);
  }

  async sendReadReceipts(request: ReadReceiptsRequest): Promise<void> {
    await this.request('read', request);
  }

  typing(request: TypingRequest): void {
    if (this.socket.connected) this.socket.emit(SOCKET_EVENTS.client.typing.name, request, () => {});
  }

  signal(request: SignalRequest): Promise<SignalResult> {
    return this.request('signal', request);
  }

  /**
   * Listens to a server event from SOCKET_EVENTS. A payload that does not match the event's schema
   * is dropped with a warning (a server this client does not understand must not crash it).
   */
  private listen<E extends ServerEvent>(
    event: E,
    handle: (payload: ServerPayload<E>, answer: (answer: ServerAnswer<E>) => void) => void,
  ): void {
    const { name, payload: schema } = SOCKET_EVENTS.server[event];
    this.socket.on(name, (payload: unknown, answer?: unknown) => {
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        console.warn(`parley: dropped a malformed ${name} event from the server`);
        return;
      }
      handle(parsed.data as ServerPayload<E>, (reply) => {
        if (typeof answer === 'function') answer(reply);
      });
    });
  }

  /** Emits a client event from SOCKET_EVENTS and answers its acknowledgement's data, checked against the table. */
  private async request<E extends ClientEvent>(event: E, payload: ClientPayload<E>): Promise<ClientAnswer<E>> {
    if (!this.socket.connected) throw new CoreError('NETWORK', 'Not connected to the server');
    const { name, answer: schema } = SOCKET_EVENTS.client[event];
    let raw: unknown;
    try {
      raw = await this.socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck(name, payload);
    } catch {
      throw new CoreError('NETWORK', 'The server did not answer in time');
    }
    const parsed = ack(schema).safeParse(raw);
    if (!parsed.success) {
      console.warn(`parley: the server answered ${name} with something malformed`);
      throw new CoreError('INTERNAL', 'The server sent an answer this app does not understand');
    }
    const answer = parsed.data;
    if (!answer.ok) {
      const code = answer.error.code === 'UNKNOWN_EVENT' ? 'INTERNAL' : answer.error.code;
      throw new CoreError(code, answer.error.message, answer.error.details);
    }
    return answer.data as ClientAnswer<E>;
  }

  /** Tries to connect again after `ms`, unless closed meanwhile. */
  private connectLater(ms: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.socket.connect(), ms);
  }

  private setState(state: ConnectionState): void {
    if (state === this.current) return;
    this.current = state;
    this.handlers.state(state);
  }
}
