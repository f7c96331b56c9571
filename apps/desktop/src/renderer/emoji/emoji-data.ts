import { searchFold } from '@parley/shared';

/** The emoji the shipped font draws (Noto Color Emoji: Emoji 16.0). Newer ones are left out of the picker. */
const FONT_EMOJI_VERSION = 16;

/** Emojibase's groups, as the picker's tabs (2, the skin tone swatches, is not a tab). */
export const EMOJI_GROUPS = [0, 1, 3, 4, 5, 6, 7, 8, 9] as const;
export type EmojiGroup = (typeof EMOJI_GROUPS)[number];

export interface EmojiEntry {
  /** The emoji as typed (fully qualified). */
  emoji: string;
  group: EmojiGroup;
  /** Names, per language. */
  name: { en: string; ru: string };
  /** Every word of the names and keywords of both languages, folded for search. */
  words: string[];
  /** Skin tone variants, light to dark (tones 1–5), when it has them. */
  skins?: string[];
}

interface Emojibase {
  hexcode: string;
  emoji?: string;
  unicode?: string;
  label: string;
  tags?: string[];
  group?: number;
  version?: number;
  skins?: { emoji: string; tone?: number | number[] }[];
}

const wordsOf = (...texts: (string | undefined)[]) => [
  ...new Set(texts.flatMap((text) => searchFold(text ?? '').match(/[\p{L}\p{N}]+/gu) ?? [])),
];

let loading: Promise<EmojiEntry[]> | undefined;

/** The picker's emoji with English and Russian names (emojibase-data, MIT), loaded on first use. */
export function loadEmoji(): Promise<EmojiEntry[]> {
  loading ??= Promise.all([import('emojibase-data/en/data.json'), import('emojibase-data/ru/compact.json')]).then(
    ([en, ru]) => {
      const russian = new Map((ru.default as Emojibase[]).map((e) => [e.hexcode, e]));
      const entries: EmojiEntry[] = [];
      for (const e of en.default as Emojibase[]) {
        const group = e.group as EmojiGroup;
        if (!e.emoji || !EMOJI_GROUPS.includes(group) || (e.version ?? 0) > FONT_EMOJI_VERSION) continue;
        const r = russian.get(e.hexcode);
        const skins = e.skins?.filter((s) => typeof s.tone === 'number').map((s) => s.emoji);
        entries.push({
          emoji: e.emoji,
          group,
          name: { en: e.label, ru: r?.label ?? e.label },
          words: wordsOf(e.label, ...(e.tags ?? []), r?.label, ...(r?.tags ?? [])),
          ...(skins?.length === 5 ? { skins } : {}),
        });
      }
      return entries;
    },
  );
  return loading;
}

/** Emoji whose names or keywords (English or Russian) start with every word of the query. */
export function searchEmoji(entries: EmojiEntry[], query: string): EmojiEntry[] {
  const wanted = searchFold(query).match(/[\p{L}\p{N}]+/gu) ?? [];
  if (wanted.length === 0) return [];
  return entries.filter((e) => wanted.every((w) => e.words.some((word) => word.startsWith(w))));
}

/** The emoji in the chosen skin tone (0: the default yellow). */
export const withTone = (entry: EmojiEntry, tone: number): string =>
  (tone > 0 && entry.skins?.[tone - 1]) || entry.emoji;
