/**
 * The renderer's Content-Security-Policy, the same in both shells: only the app's own files, its
 * own bridge connection, and media for calls. No inline scripts or styles, no remote content.
 */
export function contentSecurityPolicy(extraConnectSources: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    ["connect-src 'self'", ...extraConnectSources].join(' '),
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}
