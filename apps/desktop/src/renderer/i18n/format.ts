import type { TFunction } from 'i18next';

/** Dates and times in the chosen language, through Intl (12/24-hour clock as the locale has it). */

const DAY_MS = 86_400_000;
const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
/** Calendar days from `date` to `now` (0 = today, 1 = yesterday). */
const daysAgo = (date: Date, now: number) => Math.round((startOfDay(new Date(now)) - startOfDay(date)) / DAY_MS);

export function formatTime(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, { hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
}

/** For the chat list: the time today, the weekday this week, else the date. */
export function formatListTime(iso: string, language: string, now: number): string {
  const date = new Date(iso);
  const days = daysAgo(date, now);
  if (days <= 0) return formatTime(iso, language);
  if (days < 7) return new Intl.DateTimeFormat(language, { weekday: 'short' }).format(date);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(
    language,
    sameYear ? { day: 'numeric', month: 'short' } : { dateStyle: 'short' },
  ).format(date);
}

/** For day separators in the history: Today, Yesterday, else a full date. */
export function formatDay(iso: string, language: string, now: number, t: TFunction): string {
  const date = new Date(iso);
  const days = daysAgo(date, now);
  if (days === 0) return t('conversation.today');
  if (days === 1) return t('conversation.yesterday');
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(language, {
    weekday: days < 7 ? 'long' : undefined,
    day: 'numeric',
    month: 'long',
    year: sameYear ? undefined : 'numeric',
  }).format(date);
}

/** "5 minutes ago", "in 2 hours"… for recent moments; a date beyond a week. */
export function formatRelative(iso: string, language: string, now: number): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  const rtf = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
  if (abs < 60) return rtf.format(0, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < DAY_MS / 1000) return rtf.format(Math.round(seconds / 3600), 'hour');
  if (abs < (7 * DAY_MS) / 1000) return rtf.format(Math.round(seconds / 86_400), 'day');
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium' }).format(new Date(iso));
}

/** The header line for someone offline: "last seen 5 minutes ago", "… yesterday at 21:04", "… on 3 May". */
export function formatLastSeen(iso: string, language: string, now: number, t: TFunction): string {
  const date = new Date(iso);
  const minutes = Math.floor((now - date.getTime()) / 60_000);
  if (minutes < 1) return t('conversation.lastSeen.justNow');
  if (minutes < 60) return t('conversation.lastSeen.ago', { when: formatRelative(iso, language, now) });
  const days = daysAgo(date, now);
  if (days === 0) return t('conversation.lastSeen.today', { time: formatTime(iso, language) });
  if (days === 1) return t('conversation.lastSeen.yesterday', { time: formatTime(iso, language) });
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return t('conversation.lastSeen.date', {
    date: new Intl.DateTimeFormat(language, {
      day: 'numeric',
      month: 'long',
      year: sameYear ? undefined : 'numeric',
    }).format(date),
  });
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** A file size in the chosen language: "820 bytes", "1.4 MB", "120 MB" (binary multiples, as file managers show them). */
export function formatBytes(bytes: number, language: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(language, {
    style: 'unit',
    unit: BYTE_UNITS[unit],
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit > 0 && value < 10 ? 1 : 0,
  }).format(value);
}

/** A media position or length: m:ss, or h:mm:ss past the hour. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
