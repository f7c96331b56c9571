import { z } from 'zod';
import { Base64, Uuid } from './fields.js';

/** A voice message's playback metadata, computed by the sender. */
export const VoiceMetadata = z.strictObject({
  durationMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 3_600_000),
  /** Peak levels 0..255 in equal time buckets, for drawing the waveform without decoding the audio. */
  waveform: z.array(z.number().int().min(0).max(255)).max(256),
});
export type VoiceMetadata = z.infer<typeof VoiceMetadata>;

/**
 * How a recipient finds and opens an encrypted attachment; travels only inside the encrypted
 * message. The server knows the id and the ciphertext, never the key, name or type.
 */
export const AttachmentPointer = z.strictObject({
  /** The blob's id on the server. */
  id: Uuid,
  /** The file key, fresh per file. */
  key: Base64,
  /** SHA-256 of the ciphertext, checked before decrypting. */
  digest: Base64,
  /** Plaintext size in bytes. */
  size: z.number().int().min(0),
  name: z.string().min(1).max(255),
  contentType: z.string().min(1).max(255),
  image: z.strictObject({ width: z.number().int().min(1), height: z.number().int().min(1) }).optional(),
  voice: VoiceMetadata.optional(),
});
export type AttachmentPointer = z.infer<typeof AttachmentPointer>;
