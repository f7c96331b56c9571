import { z } from 'zod';
import { ERROR_CODES, SessionEndedBy } from './errors.js';
import { Base64, IsoDate, Uuid } from './fields.js';
import { LIMITS } from './limits.js';
import { CiphertextType, Envelope, SendMessageResponse } from './messages.js';
import { Presence } from './users.js';

/**
 * The Socket.IO contract. Connect to the server's origin, path `/socket.io`, websocket transport,
 * with `auth: { token: <access token> }`. A refused handshake's `connect_error` carries
 * `data: { code, details? }`: UNAUTHENTICATED, TOKEN_EXPIRED, SESSION_REVOKED (`SessionRevokedDetails`)
 * or RATE_LIMITED (`RateLimitedDetails`: too many connections of this user; wait, then connect again).
 */
export const SOCKET_PATH = '/socket.io';

/** Events a client emits; each takes an acknowledgement callback answered with `Ack<…>`. */
export const CLIENT_EVENTS = {
  /** Send a message (same body and answer as POST /messages). */
  send: 'message:send',
  /** I read these messages: tells their senders (and my other devices). */
  read: 'receipt:read',
  /** I am typing to a user, or stopped. Ephemeral. */
  typing: 'typing',
  /** Relay encrypted ephemeral envelopes (call signalling) to a user's online devices. Never stored. */
  signal: 'signal:send',
} as const;

/** Events the server emits. */
export const SERVER_EVENTS = {
  /** A page of my queue, oldest first; answer the callback with `EnvelopeBatchAck` once stored. */
  envelopes: 'envelopes',
  /** My queue has been drained: everything that was waiting has been delivered. */
  queueEmpty: 'queue:empty',
  presence: 'presence',
  typing: 'typing',
  signal: 'signal',
  /** My one-time prekeys are running low: upload more. */
  keysLow: 'keys:low',
  /** This device was signed out (logout, revocation, or a replacing connection); the socket closes. */
  sessionEnded: 'session:ended',
  /** A client event that arrived without an acknowledgement callback failed. */
  error: 'app:error',
} as const;

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
