/**
 * Text rules both sides share: how long a message may be, and how search folds what it compares.
 */

/** UTF-8 size of a string in bytes (what the message limits count). */
export const utf8Bytes = (s: string): number => new TextEncoder().encode(s).byteLength;

const BREVE = '\u0306';

/**
 * The form search compares: lower case, diacritics removed (é → e, ё → е), so a query typed
 * without them finds text written with them and back. Й keeps its breve: in Russian it is a letter
 * of its own, not и with an accent.
 */
export function searchFold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, (mark, offset: number, whole: string) =>
      mark === BREVE && /[иИ]/.test(whole.charAt(offset - 1)) ? mark : '',
    )
    .normalize('NFC')
    .toLowerCase();
}

/**
 * The first `maxBytes` UTF-8 bytes of a text, cut between characters (never inside a surrogate
 * pair): the inline beginning of a long text.
 */
export function utf8Prefix(s: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of s) {
    const size = utf8Bytes(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return s.slice(0, end);
}
