import type { Theme } from './stores/settings.js';

const darkQuery = () => window.matchMedia('(prefers-color-scheme: dark)');

/**
 * Puts the theme on <html data-theme> (the CSS variables follow). For "system" it follows the OS
 * live; returns the function that stops following.
 */
export function applyTheme(theme: Theme): () => void {
  const dark = darkQuery();
  const apply = () => {
    document.documentElement.dataset.theme = theme === 'system' ? (dark.matches ? 'dark' : 'light') : theme;
  };
  apply();
  if (theme !== 'system') return () => {};
  dark.addEventListener('change', apply);
  return () => dark.removeEventListener('change', apply);
}
