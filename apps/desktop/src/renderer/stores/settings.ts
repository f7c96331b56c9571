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
  };
}

/** UI preferences of this computer, kept in localStorage (nothing secret, nothing per account). */
export const useSettings = create<SettingsState>((set, get) => ({
  ...loadPreferences(),
  update(patch) {
    set(patch);
    const { theme, language, notifications, notificationText, relayCalls } = get();
    const preferences: Preferences = { theme, language, notifications, notificationText, relayCalls };
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(preferences));
    } catch {} // storage full or disabled: the choice still holds for this run
  },
}));
