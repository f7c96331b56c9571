import { z } from 'zod';
import { Uuid } from './fields.js';

export const CallMedia = z.enum(['audio', 'video']);
export type CallMedia = z.infer<typeof CallMedia>;

/**
 * How a call ended, as this device saw it. Whether it was incoming or outgoing is the history
 * entry's direction.
 */
export const CallOutcome = z.enum([
  'completed',
  'missed',
  'declined',
  'busy',
  'cancelled',
  'failed',
  'answered_elsewhere',
]);
export type CallOutcome = z.infer<typeof CallOutcome>;

/** A call's entry in the conversation history. */
export const CallRecord = z.strictObject({
  callId: Uuid,
  media: CallMedia,
  outcome: CallOutcome,
  /** Time connected; 0 when the call never connected. */
  durationMs: z.number().int().min(0),
});
export type CallRecord = z.infer<typeof CallRecord>;

/** One STUN or TURN server, as `RTCIceServer` takes it. */
export const IceServer = z.object({
  urls: z.array(z.string()),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/** GET /calls/config: where calls find each other, with TURN credentials valid for `ttlSeconds`. */
export const CallConfig = z.object({
  iceServers: z.array(IceServer),
  ttlSeconds: z.number().int(),
  /** How long a call rings before it counts as missed. */
  ringSeconds: z.number().int(),
});
export type CallConfig = z.infer<typeof CallConfig>;

/**
 * Call signalling between devices, end-to-end encrypted inside ephemeral signals (the server
 * relays them to online devices and never sees inside). The caller rings every device of the
 * callee; the first to `accept` gets the call, the others are told `answered_elsewhere`. Then
 * WebRTC negotiation (`sdp`: offers, answers, ICE candidates) runs between the two devices.
 */
export const CallSignal = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('ring'), callId: Uuid, media: CallMedia }),
  z.strictObject({ kind: z.literal('accept'), callId: Uuid }),
  z.strictObject({ kind: z.literal('decline'), callId: Uuid }),
  z.strictObject({ kind: z.literal('busy'), callId: Uuid }),
  /** The caller gave up before an answer. */
  z.strictObject({ kind: z.literal('cancel'), callId: Uuid }),
  z.strictObject({ kind: z.literal('answered_elsewhere'), callId: Uuid }),
  /** What simple-peer emits for the other side: an offer or answer (SDP) or an ICE candidate. */
  z.strictObject({ kind: z.literal('sdp'), callId: Uuid, data: z.record(z.string(), z.unknown()) }),
  z.strictObject({ kind: z.literal('hangup'), callId: Uuid, reason: z.enum(['ended', 'connection_failed']) }),
]);
export type CallSignal = z.infer<typeof CallSignal>;
