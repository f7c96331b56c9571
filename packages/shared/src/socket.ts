import { z } from 'zod';
import { User } from './auth.js';
import { ERROR_CODES, SessionEndedBy } from './errors.js';
import { Base64, IsoDate, Uuid } from './fields.js';
import { LIMITS } from './limits.js';
import { CiphertextType, Envelope, SendMessageRequest, SendMessageResponse } from './messages.js';
import { Presence } from './users.js';

/**
 * The Socket.IO contract. Connect to the server's origin, path `/socket.io`, websocket transport,
 * with `auth: { token: <access token>, active?: boolean }` (`active`: an app window is open, which is
 * what "online" means; a connection that does not say counts as one). A refused handshake's `connect_error` carries
 * `data: { code, details? }`: UNAUTHENTICATED, TOKEN_EXPIRED, SESSION_REVOKED (`SessionRevokedDetails`)
 * or RATE_LIMITED (`RetryAfterDetails`: too many connections of this user; wait, then connect again).
 */
export const SOCKET_PATH = '/socket.io';

export const SocketError = z.object({
  code: z.enum([...ERROR_CODES, 'UNKNOWN_EVENT']),
  message: z.string(),
  details: z.unknown().optional(),
});
export type SocketError = z.infer<typeof SocketError>;

/** Every acknowledgement: `{ ok: true, data }` or `{ ok: false, error }`. */
export const ack = <T extends z.ZodType>(data: T) =>
  z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), data }),
    z.object({ ok: z.literal(false), error: SocketError }),
  ]);
export type Ack<T> = { ok: true; data: T } | { ok: false; error: SocketError };

export const SendAck = ack(SendMessageResponse);

export const ReadReceiptsRequest = z.strictObject({
  receipts: z
    .array(z.strictObject({ messageId: Uuid, senderUserId: Uuid }))
    .min(1)
    .max(LIMITS.receiptsPerCall),
});
export type ReadReceiptsRequest = z.infer<typeof ReadReceiptsRequest>;
/** `accepted`: how many receipts were newly recorded (not a message already read, nor one not sent to me). */
export const ReadReceiptsResult = z.object({ accepted: z.number().int() });

export const TypingRequest = z.strictObject({ toUserId: Uuid, state: z.enum(['started', 'stopped']) });
export type TypingRequest = z.infer<typeof TypingRequest>;
export const TypingEvent = z.object({ fromUserId: Uuid, state: z.enum(['started', 'stopped']) });
export type TypingEvent = z.infer<typeof TypingEvent>;

export const SignalRequest = z.strictObject({
  toUserId: Uuid,
  envelopes: z
    .array(z.strictObject({ deviceId: Uuid, type: CiphertextType, content: Base64.max(16 * 1024) }))
    .min(1)
    .max(LIMITS.devicesPerSend),
});
export type SignalRequest = z.infer<typeof SignalRequest>;
/** Which of the addressed devices were online and got their envelope. */
export const SignalResult = z.object({ deliveredTo: z.array(Uuid) });
export type SignalResult = z.infer<typeof SignalResult>;
export const SignalEvent = z.object({
  fromUserId: Uuid,
  fromDeviceId: Uuid,
  type: CiphertextType,
  content: Base64,
  sentAt: IsoDate,
});
export type SignalEvent = z.infer<typeof SignalEvent>;

export const EnvelopeBatch = z.object({ envelopes: z.array(Envelope) });
export type EnvelopeBatch = z.infer<typeof EnvelopeBatch>;
/** The ids the device has safely stored; the server deletes them. */
export const EnvelopeBatchAck = z.strictObject({ ids: z.array(Uuid).max(LIMITS.drainPage) });
export type EnvelopeBatchAck = z.infer<typeof EnvelopeBatchAck>;

/** Whether an app window of this device is open: presence says "online" only while one is. */
export const PresenceActiveRequest = z.strictObject({ active: z.boolean() });
export type PresenceActiveRequest = z.infer<typeof PresenceActiveRequest>;

/** A user's presence changed; sent only to users they have in their contacts. */
export const PresenceEvent = Presence.extend({ userId: Uuid });
export type PresenceEvent = z.infer<typeof PresenceEvent>;

/**
 * Why the server closed this connection: the device's session was revoked (`by` whom), another
 * connection of the device replaced it, or its access token expired (refresh and reconnect).
 */
export const SessionEndedEvent = z.object({
  reason: z.enum(['revoked', 'replaced', 'expired']),
  by: SessionEndedBy.optional(),
});
export type SessionEndedEvent = z.infer<typeof SessionEndedEvent>;

/** `app:error`: a client event sent without an acknowledgement callback failed. */
export const AppErrorEvent = SocketError.extend({ event: z.string() });
export type AppErrorEvent = z.infer<typeof AppErrorEvent>;

/** An event with nothing to say but its name. */
const Empty = z.object({});

export interface SocketEventDef {
  /** The event's name on the wire. */
  name: string;
  summary: string;
  payload: z.ZodType;
  /** The acknowledgement's data (`Ack<answer>`), for an event answered through its callback. */
  answer?: z.ZodType;
}

/**
 * Every Socket.IO event, by direction: `client` (a client emits it, client→server; every one
 * takes an acknowledgement callback answered `Ack<answer>`) and `server` (the server emits it,
 * server→client). The single source for the gateway's handlers and validation and for the
 * client's listeners and their validation, like ROUTES for REST.
 */
export const SOCKET_EVENTS = {
  client: {
    send: {
      name: 'message:send',
      summary: 'Send a message (same body and answer as POST /messages)',
      payload: SendMessageRequest,
      answer: SendMessageResponse,
    },
    read: {
      name: 'receipt:read',
      summary: 'I read these messages: tells their senders (and my other devices)',
      payload: ReadReceiptsRequest,
      answer: ReadReceiptsResult,
    },
    typing: {
      name: 'typing',
      summary: 'I am typing to a user, or stopped. Ephemeral',
      payload: TypingRequest,
      answer: Empty,
    },
    presence: {
      name: 'presence:active',
      summary: 'An app window of this device opened or closed: "online" means one is open somewhere',
      payload: PresenceActiveRequest,
      answer: Empty,
    },
    signal: {
      name: 'signal:send',
      summary: "Relay encrypted ephemeral envelopes (call signalling) to a user's online devices. Never stored",
      payload: SignalRequest,
      answer: SignalResult,
    },
  },
  server: {
    envelopes: {
      name: 'envelopes',
      summary: 'A page of my queue, oldest first; answer the callback with the ids stored',
      payload: EnvelopeBatch,
      answer: EnvelopeBatchAck,
    },
    queueEmpty: {
      name: 'queue:empty',
      summary: 'My queue has been drained: everything that was waiting has been delivered',
      payload: Empty,
    },
    presence: { name: 'presence', summary: "A contact's presence changed", payload: PresenceEvent },
    typing: { name: 'typing', summary: 'A contact is typing to me, or stopped', payload: TypingEvent },
    signal: { name: 'signal', summary: 'An encrypted ephemeral envelope (call signalling)', payload: SignalEvent },
    userUpdated: {
      name: 'user:updated',
      summary:
        'A user changed their profile (display name): sent to their contacts, those who list them, and themselves',
      payload: User,
    },
    keysLow: { name: 'keys:low', summary: 'My one-time prekeys are running low: upload more', payload: Empty },
    sessionEnded: {
      name: 'session:ended',
      summary: 'This device was signed out (logout, revocation, or a replacing connection); the socket closes',
      payload: SessionEndedEvent,
    },
    error: {
      name: 'app:error',
      summary: 'A client event that arrived without an acknowledgement callback failed',
      payload: AppErrorEvent,
    },
  },
} as const satisfies { client: Record<string, Required<SocketEventDef>>; server: Record<string, SocketEventDef> };

export type ClientEvent = keyof typeof SOCKET_EVENTS.client;
export type ServerEvent = keyof typeof SOCKET_EVENTS.server;
/** What a client event carries, as sent (before parsing). */
export type ClientPayload<E extends ClientEvent> = z.input<(typeof SOCKET_EVENTS.client)[E]['payload']>;
/** A client event's acknowledgement data. */
export type ClientAnswer<E extends ClientEvent> = z.infer<(typeof SOCKET_EVENTS.client)[E]['answer']>;
/** What a server event carries. */
export type ServerPayload<E extends ServerEvent> = z.infer<(typeof SOCKET_EVENTS.server)[E]['payload']>;
/** The answer a server event expects through its callback (`never` for one that expects none). */
export type ServerAnswer<E extends ServerEvent> = (typeof SOCKET_EVENTS.server)[E] extends { answer: z.ZodType }
  ? z.input<(typeof SOCKET_EVENTS.server)[E]['answer']>
  : never;

const names = <T extends Record<string, SocketEventDef>>(events: T) =>
  Object.fromEntries(Object.entries(events).map(([key, def]) => [key, def.name])) as { [K in keyof T]: T[K]['name'] };

/** The wire names of the client's events, from SOCKET_EVENTS. */
export const CLIENT_EVENTS = names(SOCKET_EVENTS.client);
/** The wire names of the server's events, from SOCKET_EVENTS. */
export const SERVER_EVENTS = names(SOCKET_EVENTS.server);
