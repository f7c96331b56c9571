import { create } from 'zustand';
import { type Language, systemLanguage } from '../i18n/i18n.js';

export type Theme = 'system' | 'light' | 'dark';

interface Settings {
  theme: Theme;
  language: Language;
  notifications: boolean;
  notificationText: boolean;
  set(patch: Partial<Omit<Settings, 'set'>>): void;
}

const KEY = 'parley.settings';
const saved = (() => {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Settings>;
  } catch {
    return {};
  }
})();

/** UI preferences, kept in localStorage (nothing secret). */
export const useSettings = create<Settings>((set, get) => ({
  theme: saved.theme ?? 'system',
  language: saved.language ?? systemLanguage(),
  notifications: saved.notifications ?? true,
  notificationText: saved.notificationText ?? true,
  set(patch) {
    set(patch);
    const { theme, language, notifications, notificationText } = get();
    localStorage.setItem(KEY, JSON.stringify({ theme, language, notifications, notificationText }));
  },
}));
