import { create } from 'zustand';
import { isLanguage, type Language, systemLanguage } from '../i18n/i18n.js';

export type Theme = 'system' | 'light' | 'dark';
const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

export interface Preferences {
  theme: Theme;
  language: Language;
  notifications: boolean;
  /** Show the message text in notifications (off: only "New message"). */
  notificationText: boolean;
  /** Calls go through the server's TURN relay only, so contacts never learn this computer's IP address. */
  relayCalls: boolean;
  /**
   * Link previews for the messages I send, fetched by this computer from the linked site (which
   * then sees this computer's address): off until the user turns them on.
   */
  linkPreviews: boolean;
  /** The emoji picker's skin tone: 0 the default, 1–5 light to dark. */
  emojiTone: number;
  /** The emoji picked most recently, newest first. */
  recentEmoji: string[];
}

interface SettingsState extends Preferences {
  update(patch: Partial<Preferences>): void;
}

const STORAGE_KEY = 'parley.settings';

/** The saved preferences, each checked: a damaged or old entry falls back to the default. */
function loadPreferences(): Preferences {
  let saved: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}');
    if (typeof parsed === 'object' && parsed !== null) saved = parsed as Record<string, unknown>;
  } catch {}
  return {
    theme: THEMES.includes(saved.theme as Theme) ? (saved.theme as Theme) : 'system',
    language: isLanguage(saved.language) ? saved.language : systemLanguage(),
    notifications: typeof saved.notifications === 'boolean' ? saved.notifications : true,
    notificationText: typeof saved.notificationText === 'boolean' ? saved.notificationText : true,
    relayCalls: typeof saved.relayCalls === 'boolean' ? saved.relayCalls : false,
    linkPreviews: typeof saved.linkPreviews === 'boolean' ? saved.linkPreviews : false,
    emojiTone:
      Number.isInteger(saved.emojiTone) && (saved.emojiTone as number) >= 0 && (saved.emojiTone as number) <= 5
        ? (saved.emojiTone as number)
        : 0,
    recentEmoji: Array.isArray(saved.recentEmoji)
      ? saved.recentEmoji.filter((e): e is string => typeof e === 'string' && e.length <= 32).slice(0, 24)
      : [],
  };
}

/** UI preferences of this computer, kept in localStorage (nothing secret, nothing per account). */
export const useSettings = create<SettingsState>((set, get) => ({
  ...loadPreferences(),
  update(patch) {
    set(patch);
    const { theme, language, notifications, notificationText, relayCalls, linkPreviews, emojiTone, recentEmoji } =
      get();
    const preferences: Preferences = {
      theme,
      language,
      notifications,
      notificationText,
      relayCalls,
      linkPreviews,
      emojiTone,
      recentEmoji,
    };
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(preferences));
    } catch {} // storage full or disabled: the choice still holds for this run
  },
}));
