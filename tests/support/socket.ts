import { type Ack, type Envelope, SERVER_EVENTS, SOCKET_PATH } from '@parley/shared';
import { io, type Socket } from 'socket.io-client';

export interface TestClient {
  socket: Socket;
  /** Every envelope received, in arrival order. */
  envelopes: Envelope[];
  /** Every event of the given name received so far. */
  events(name: string): unknown[];
  /** Emits with an acknowledgement and resolves with it. */
  request<T = unknown>(event: string, payload?: unknown): Promise<Ack<T>>;
  close(): void;
}

/**
 * A raw socket.io-client connection as a device. Envelope pages are acked once recorded
 * (`autoAck: false` keeps them unacknowledged; `ackIds` chooses what to ack).
 */
export function connectClient(
  baseUrl: string,
  token: string,
  options: { autoAck?: boolean; ackIds?: (page: Envelope[]) => string[]; active?: boolean } = {},
): Promise<TestClient> {
  const socket = io(baseUrl, {
    path: SOCKET_PATH,
    transports: ['websocket'],
    auth: { token, ...(options.active === undefined ? {} : { active: options.active }) },
    reconnection: false,
    forceNew: true,
  });
  const envelopes: Envelope[] = [];
  const received = new Map<string, unknown[]>();
  socket.onAny((event: string, payload: unknown) => {
    if (!received.has(event)) received.set(event, []);
    received.get(event)?.push(payload);
  });
  socket.on(SERVER_EVENTS.envelopes, (batch: { envelopes: Envelope[] }, ack: (a: unknown) => void) => {
    envelopes.push(...batch.envelopes);
    if (options.autoAck !== false) ack({ ids: options.ackIds?.(batch.envelopes) ?? batch.envelopes.map((e) => e.id) });
  });
  const client: TestClient = {
    socket,
    envelopes,
    events: (name) => received.get(name) ?? [],
    request: (event, payload) => socket.timeout(10_000).emitWithAck(event, payload),
    close: () => socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (error) => reject(error));
  });
}

/** The handshake error a refused connection gets. */
export function refusedConnection(
  baseUrl: string,
  auth: Record<string, unknown>,
): Promise<{ message: string; code?: string; details?: unknown }> {
  const socket = io(baseUrl, {
    path: SOCKET_PATH,
    transports: ['websocket'],
    auth,
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.close();
      reject(new Error('the connection was accepted'));
    });
    socket.once('connect_error', (error: Error & { data?: { code?: string; details?: unknown } }) => {
      socket.close();
      resolve({ message: error.message, code: error.data?.code, details: error.data?.details });
    });
  });
}

/** Polls until `check` returns a truthy value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
