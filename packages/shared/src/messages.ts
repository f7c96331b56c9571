import { z } from 'zod';
import { Base64, IsoDate, Uuid } from './fields.js';
import { RegistrationId } from './keys.js';
import { LIMITS } from './limits.js';

/** libsignal's ciphertext types: a PreKeyWhisperMessage opens a session, a WhisperMessage uses one. */
export const CiphertextType = z.enum(['prekey', 'whisper']);
export type CiphertextType = z.infer<typeof CiphertextType>;

export const Ciphertext = Base64.max(
  Math.ceil(LIMITS.envelopeBytes / 3) * 4,
  `Must be at most ${LIMITS.envelopeBytes} bytes`,
);

/** One copy of a message, encrypted for one device. */
export const OutgoingEnvelope = z.strictObject({
  deviceId: Uuid,
  /** The registration id the sender's session holds for that device; a mismatch means a stale session. */
  registrationId: RegistrationId,
  type: CiphertextType,
  content: Ciphertext,
});
export type OutgoingEnvelope = z.infer<typeof OutgoingEnvelope>;

/**
 * A message: one envelope per destination device, which is every device of the recipient and
 * every other device of the sender. The client picks the id; resending it is harmless.
 */
export const SendMessageRequest = z.strictObject({
  messageId: Uuid,
  recipientUserId: Uuid,
  envelopes: z.array(OutgoingEnvelope).max(LIMITS.devicesPerSend),
});
export type SendMessageRequest = z.infer<typeof SendMessageRequest>;

export const SendMessageResponse = z.object({
  messageId: Uuid,
  serverTimestamp: IsoDate,
  /** True when this id had been accepted before: nothing new was stored. */
  duplicate: z.boolean(),
});
export type SendMessageResponse = z.infer<typeof SendMessageResponse>;

export const DeviceRef = z.object({ userId: Uuid, deviceId: Uuid });
export type DeviceRef = z.infer<typeof DeviceRef>;

/** `details` of a MISMATCHED_DEVICES error: refetch keys for the missing, drop the extra, resend. */
export const MismatchedDevices = z.object({ missingDevices: z.array(DeviceRef), extraDevices: z.array(DeviceRef) });
/** `details` of a STALE_DEVICES error: these sessions are outdated; refetch their bundles, resend. */
export const StaleDevices = z.object({ staleDevices: z.array(DeviceRef) });

/**
 * What a device receives from its queue: a message copy, or a receipt about a message it sent
 * (`delivered`: reached a device of the recipient; `read`: the recipient read it). A `read` whose
 * sender is myself means I read that message on another device.
 */
export const Envelope = z.object({
  /** Server id, the handle for acking. */
  id: Uuid,
  kind: z.enum(['message', 'delivered', 'read']),
  messageId: Uuid,
  senderUserId: Uuid,
  senderDeviceId: Uuid,
  /** Only for `message`. */
  type: CiphertextType.nullable(),
  content: Base64.nullable(),
  serverTimestamp: IsoDate,
});
export type Envelope = z.infer<typeof Envelope>;
