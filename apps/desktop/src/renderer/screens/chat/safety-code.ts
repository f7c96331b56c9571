/**
 * What the safety number's QR code holds: a versioned prefix and the 60 digits. The number is the
 * same on both sides when no one is in between, so a code scanned from the other person's screen
 * (or their digits typed in) must equal mine.
 */
const PREFIX = 'parley-safety-number:1:';

export const safetyCode = (digits: string): string => PREFIX + digits.replace(/\D/g, '');

/** The 60 digits of a scanned code or of typed digits (spaces and dashes allowed); null if it is neither. */
export function digitsOf(input: string): string | null {
  const text = input.trim();
  const digits = (text.startsWith(PREFIX) ? text.slice(PREFIX.length) : text).replace(/[\s-]/g, '');
  return /^\d{60}$/.test(digits) ? digits : null;
}
