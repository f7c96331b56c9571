/** Initials on a colour derived from the user id, so a person keeps their colour everywhere. */
export function Avatar({ id, name, online }: { id: string; name: string; online?: boolean | undefined }) {
  const initials =
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => [...w][0]?.toUpperCase())
      .join('') || '?';
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return (
    <span className={`avatar hue-${hash % 8}`} aria-hidden="true">
      {initials}
      {online ? <span className="presence-dot" /> : null}
    </span>
  );
}
