import { z } from 'zod';
import { LIMITS, USERNAME_PATTERN } from './limits.js';

/** Length in Unicode code points, so "ё" or an emoji counts as one character. */
const codePoints = (s: string) => [...s].length;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject control characters
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const Uuid = z.uuid();

export const Username = z
  .string()
  .min(LIMITS.username.min)
  .max(LIMITS.username.max)
  .regex(USERNAME_PATTERN, 'Only letters a-z, digits, "_" and "." are allowed')
  .transform((s) => s.toLowerCase());

export const Password = z.string().min(LIMITS.password.min).max(LIMITS.password.max);

/** A human name: trimmed, NFC, 1..max code points, any script, no control characters. */
function humanName(limits: { min: number; max: number }) {
  return z
    .string()
    .max(limits.max * 4) // cheap bound before the real checks
    .transform((s) => s.normalize('NFC').trim())
    .refine((s) => codePoints(s) >= limits.min, { message: `Must be at least ${limits.min} character(s)`, abort: true })
    .refine((s) => codePoints(s) <= limits.max, { message: `Must be at most ${limits.max} characters`, abort: true })
    .refine((s) => !CONTROL_CHARS.test(s), { message: 'Must not contain control characters' });
}

export const DisplayName = humanName(LIMITS.displayName);
export const DeviceName = humanName(LIMITS.deviceName);

/** An opaque token or cursor handed out by the server. */
export const OpaqueToken = z.string().min(1).max(LIMITS.tokenLength);

/**
 * An invite code as an admin hands it out (`parley-admin create-invite`): 20 characters of
 * base32 (100 random bits), shown in groups of five. Spaces, hyphens and case are ignored, so it
 * can be typed as read out.
 */
export const InviteCode = z
  .string()
  .max(64)
  .transform((s) => s.replace(/[\s-]/g, '').toLowerCase())
  .pipe(z.string().regex(/^[a-z2-7]{20}$/, 'Not an invite code: 20 letters and digits, e.g. abcde-fghij-klmno-pqrst'));

/** Query-string page size: absent → default; otherwise an integer in 1..max. */
export const PageLimit = z.coerce.number().int().min(1).max(LIMITS.page.max).default(LIMITS.page.default);

export const IsoDate = z.iso.datetime();

/** Binary data on the wire: standard base64. */
export const Base64 = z.base64();

/** Decoded size of a valid base64 string, without decoding it. */
export const base64Bytes = (s: string): number => (s.length / 4) * 3 - (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0);
