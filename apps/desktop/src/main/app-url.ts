/**
 * Whether `url` is a file inside the directory `dirUrl` (both file: URLs): the whole directory
 * path is compared, with its separator, so `/app/renderer-evil/x` is not inside `/app/renderer`,
 * and dot segments (also percent-encoded) are resolved before the comparison.
 */
export function isInsideDir(url: string, dirUrl: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  const dir = new URL(dirUrl.endsWith('/') ? dirUrl : `${dirUrl}/`);
  return target.protocol === dir.protocol && target.host === dir.host && target.pathname.startsWith(dir.pathname);
}

/**
 * The schemes a link in a message may open in the system browser: the web's, nothing else (no
 * `file:`, `smb:`, custom app handlers or `javascript:`).
 */
export function isExternalLink(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
