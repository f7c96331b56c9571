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
