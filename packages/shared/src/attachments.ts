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

/**
 * Image types the app shows inline (the shells serve them as images, the UI draws thumbnails).
 * Not SVG: it is a document that can carry script, so it travels as a file.
 */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
]);

/**
 * Files are encrypted in chunks of this many plaintext bytes with libsodium's secretstream
 * (XChaCha20-Poly1305): a 24-byte header, then each chunk with a 17-byte tag; the last chunk is
 * tagged final, so a truncated or reordered file fails to decrypt.
 */
export const ATTACHMENT_CHUNK_BYTES = 64 * 1024;
export const ATTACHMENT_HEADER_BYTES = 24;
export const ATTACHMENT_CHUNK_OVERHEAD_BYTES = 17;

/** The ciphertext size of a file of `size` bytes (the final chunk is partial, or empty). */
export function attachmentCiphertextSize(size: number): number {
  const chunks = Math.floor(size / ATTACHMENT_CHUNK_BYTES) + 1;
  return ATTACHMENT_HEADER_BYTES + size + chunks * ATTACHMENT_CHUNK_OVERHEAD_BYTES;
}

/** Announces an upload: its ciphertext size and who may fetch it besides the uploader. */
export const CreateAttachmentRequest = z.strictObject({
  recipientUserId: Uuid,
  /** Ciphertext bytes, as `attachmentCiphertextSize` gives for the file. */
  size: z.number().int().min(attachmentCiphertextSize(0)).max(Number.MAX_SAFE_INTEGER),
});
export type CreateAttachmentRequest = z.infer<typeof CreateAttachmentRequest>;

export const CreateAttachmentResponse = z.object({
  id: Uuid,
  /** The server's limit on a file's (plaintext) size. */
  maxBytes: z.number().int(),
});

/** The `details` of an ATTACHMENT_TOO_LARGE error: the limit, for saying it. */
export const AttachmentTooLargeDetails = CreateAttachmentResponse.pick({ maxBytes: true });
export type AttachmentTooLargeDetails = z.infer<typeof AttachmentTooLargeDetails>;
export type CreateAttachmentResponse = z.infer<typeof CreateAttachmentResponse>;

/**
 * The `details` of an ATTACHMENT_QUOTA_EXCEEDED error: the sender's files on the server (stored
 * and announced, in ciphertext bytes) and the most they may be, for saying it.
 */
export const AttachmentQuotaDetails = z.object({
  usedBytes: z.number().int().nonnegative(),
  quotaBytes: z.number().int().positive(),
});
export type AttachmentQuotaDetails = z.infer<typeof AttachmentQuotaDetails>;

export const AttachmentParams = z.strictObject({ id: Uuid });

/** Lets one more user fetch an attachment already on the server (a forwarded file). */
export const ShareAttachmentRequest = z.strictObject({ recipientUserId: Uuid });
export type ShareAttachmentRequest = z.infer<typeof ShareAttachmentRequest>;
