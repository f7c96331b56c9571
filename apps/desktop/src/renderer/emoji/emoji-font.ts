import noto from '@fontsource/noto-color-emoji/files/noto-color-emoji-emoji-400-normal.woff2?url';

/**
 * The colour emoji font the app ships (Noto Color Emoji, a COLRv1 font, OFL 1.1), so emoji look the
 * same on every system, also on one without a colour emoji font of its own. First in the font
 * stack (base.css), for emoji code points only: letters, digits and punctuation keep the system's
 * text font.
 */
export const EMOJI_FONT = 'Parley Emoji';
/**
 * The same font for every code point, for text known to be emoji (`.emoji`: the picker, keycaps
 * like 1️⃣ whose first character is a plain digit).
 */
export const WHOLE_EMOJI_FONT = 'Parley Emoji Whole';

const EMOJI_RANGES = [
  'U+203C',
  'U+2049',
  'U+20E3',
  'U+2139',
  'U+21A9-21AA',
  'U+231A-231B',
  'U+2328',
  'U+23CF',
  'U+23E9-23F3',
  'U+23F8-23FA',
  'U+24C2',
  'U+25AA-25AB',
  'U+25B6',
  'U+25C0',
  'U+25FB-25FE',
  'U+2600-27BF',
  'U+2934-2935',
  'U+2B05-2B07',
  'U+2B1B-2B1C',
  'U+2B50',
  'U+2B55',
  'U+3030',
  'U+303D',
  'U+3297',
  'U+3299',
  // Variation selector 16 and the zero-width joiner hold sequences together in one font.
  'U+FE0F',
  'U+200D',
  'U+1F000-1FAFF',
  'U+E0020-E007F',
].join(', ');

/** Registers the font (it loads when the first emoji is drawn). */
export function installEmojiFont(): void {
  if (typeof FontFace === 'undefined') return; // a test DOM without fonts
  const source = `url("${noto}") format("woff2")`;
  document.fonts.add(new FontFace(EMOJI_FONT, source, { unicodeRange: EMOJI_RANGES }));
  document.fonts.add(new FontFace(WHOLE_EMOJI_FONT, source));
}
