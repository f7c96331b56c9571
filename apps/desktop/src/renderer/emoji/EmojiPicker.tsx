import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSettings } from '../stores/settings.js';
import { EMOJI_GROUPS, type EmojiEntry, type EmojiGroup, loadEmoji, searchEmoji, withTone } from './emoji-data.js';

/** Emoji per row of the grid (the arrow keys move by it). */
const COLUMNS = 8;
/** Search results shown at most. */
const RESULTS = 120;
/** How many recent emoji are kept. */
export const RECENT_EMOJI = 24;
/** The tones (0 the default, then light to dark), each shown on a raised hand. */
const TONES = [
  ['✋', 'none'],
  ['✋🏻', 'light'],
  ['✋🏼', 'mediumLight'],
  ['✋🏽', 'medium'],
  ['✋🏾', 'mediumDark'],
  ['✋🏿', 'dark'],
] as const;

type Tab = 'recent' | EmojiGroup;
/** Each tab's name and the emoji that stands for it. */
const TABS: Record<
  Tab,
  [
    string,
    'recent' | 'smileys' | 'people' | 'animals' | 'food' | 'travel' | 'activities' | 'objects' | 'symbols' | 'flags',
  ]
> = {
  recent: ['🕘', 'recent'],
  0: ['😀', 'smileys'],
  1: ['👋', 'people'],
  3: ['🐻', 'animals'],
  4: ['🍔', 'food'],
  5: ['🚗', 'travel'],
  6: ['⚽', 'activities'],
  7: ['💡', 'objects'],
  8: ['❤️', 'symbols'],
  9: ['🏁', 'flags'],
};

/** Arrow keys move through the grid (rows of COLUMNS), Home and End to its ends. */
function moveInGrid(event: KeyboardEvent<HTMLElement>): void {
  const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -COLUMNS, ArrowDown: COLUMNS }[event.key];
  const items = [...event.currentTarget.querySelectorAll<HTMLElement>('button')];
  const at = items.indexOf(document.activeElement as HTMLElement);
  if (at < 0) return;
  const next = event.key === 'Home' ? 0 : event.key === 'End' ? items.length - 1 : step === undefined ? -1 : at + step;
  if (next < 0 || next >= items.length) return;
  event.preventDefault();
  items[next]?.focus();
}

/**
 * The emoji picker: search by name in English and Russian, the recent ones, the categories, and a
 * skin tone for the emoji that have them. Keyboard: Tab between search, tone, categories and the
 * grid; arrows in the grid and the categories; Enter picks; Escape closes.
 */
export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const tone = useSettings((s) => s.emojiTone);
  const recent = useSettings((s) => s.recentEmoji);
  const [entries, setEntries] = useState<EmojiEntry[] | null>(null);
  const [query, setQuery] = useState('');
  const [tab, setTab] = useState<Tab>(recent.length > 0 ? 'recent' : 0);
  const search = useRef<HTMLInputElement>(null);
  const language = i18n.language.startsWith('ru') ? 'ru' : 'en';

  useEffect(() => {
    search.current?.focus();
    let current = true;
    void loadEmoji().then((loaded) => current && setEntries(loaded));
    return () => {
      current = false;
    };
  }, []);

  const byEmoji = useMemo(
    () => new Map(entries?.flatMap((e) => [e.emoji, ...(e.skins ?? [])].map((x) => [x, e]))),
    [entries],
  );
  const shown: { emoji: string; name: string }[] = useMemo(() => {
    if (!entries) return [];
    const named = (e: EmojiEntry) => ({ emoji: withTone(e, tone), name: e.name[language] });
    if (query.trim()) return searchEmoji(entries, query).slice(0, RESULTS).map(named);
    if (tab === 'recent') return recent.map((emoji) => ({ emoji, name: byEmoji.get(emoji)?.name[language] ?? emoji }));
    return entries.filter((e) => e.group === tab).map(named);
  }, [entries, query, tab, tone, recent, byEmoji, language]);

  const pick = (emoji: string) => {
    const { recentEmoji, update } = useSettings.getState();
    update({ recentEmoji: [emoji, ...recentEmoji.filter((e) => e !== emoji)].slice(0, RECENT_EMOJI) });
    onPick(emoji);
  };

  const tabs: Tab[] = [...(recent.length > 0 ? (['recent'] as const) : []), ...EMOJI_GROUPS];
  return (
    <div
      className="emoji-picker"
      role="dialog"
      aria-label={t('emoji.picker')}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          event.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="emoji-picker-top">
        <input
          ref={search}
          type="search"
          className="search-field"
          aria-label={t('emoji.search')}
          placeholder={t('emoji.search')}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'ArrowDown' || (event.key === 'Enter' && shown[0])) {
              event.preventDefault();
              if (event.key === 'Enter' && shown[0]) pick(shown[0].emoji);
              else document.querySelector<HTMLElement>('.emoji-grid button')?.focus();
            }
          }}
        />
        <select
          aria-label={t('emoji.skinTone')}
          value={tone}
          onChange={(event) => useSettings.getState().update({ emojiTone: Number(event.target.value) })}
        >
          {TONES.map(([sample, name], value) => (
            <option key={name} value={value}>
              {`${sample} ${t(`emoji.tones.${name}`)}`}
            </option>
          ))}
        </select>
      </div>
      {query.trim() ? null : (
        <div
          className="emoji-tabs"
          role="tablist"
          aria-label={t('emoji.categories')}
          onKeyDown={(event) => {
            const buttons = [...event.currentTarget.querySelectorAll<HTMLElement>('[role="tab"]')];
            const at = buttons.indexOf(document.activeElement as HTMLElement);
            const next = event.key === 'ArrowRight' ? at + 1 : event.key === 'ArrowLeft' ? at - 1 : -1;
            const target = tabs[next];
            if (next < 0 || target === undefined) return;
            event.preventDefault();
            setTab(target);
            buttons[next]?.focus();
          }}
        >
          {tabs.map((value) => (
            <button
              key={value}
              type="button"
              role="tab"
              aria-selected={tab === value}
              tabIndex={tab === value ? 0 : -1}
              title={t(`emoji.groups.${TABS[value][1]}`)}
              aria-label={t(`emoji.groups.${TABS[value][1]}`)}
              onClick={() => setTab(value)}
            >
              {TABS[value][0]}
            </button>
          ))}
        </div>
      )}
      <fieldset
        className="emoji-grid"
        aria-label={query.trim() ? t('emoji.results') : t(`emoji.groups.${TABS[tab][1]}`)}
        onKeyDown={moveInGrid}
      >
        {entries === null ? <p role="status">{t('emoji.loading')}</p> : null}
        {entries !== null && shown.length === 0 ? <p role="status">{t('emoji.none')}</p> : null}
        {shown.map(({ emoji, name }) => (
          <button
            key={emoji}
            type="button"
            className="emoji"
            aria-label={name}
            title={name}
            onClick={() => pick(emoji)}
          >
            {emoji}
          </button>
        ))}
      </fieldset>
    </div>
  );
}
