const HUES = 8;

/** Up to two initials, from the first letters of the first two words ("Анна Ким" → "АК"). */
export function initialsOf(name: string): string {
  const letters = name
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => [...word][0] ?? '');
  return letters.join('').toLocaleUpperCase() || '?';
}

/** A stable colour per user id, so a person has the same colour everywhere and on every start. */
export function hueOf(id: string): number {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return hash % HUES;
}

/** Initials on the person's colour, with a presence dot when they are online. Decorative: names are said beside it. */
export function Avatar({
  id,
  name,
  online = false,
  size = 'normal',
}: {
  id: string;
  name: string;
  online?: boolean | undefined;
  size?: 'normal' | 'small';
}) {
  return (
    <span className={`avatar avatar-${size} hue-${hueOf(id)}`} aria-hidden="true">
      {initialsOf(name)}
      {online ? <span className="presence-dot" /> : null}
    </span>
  );
}
