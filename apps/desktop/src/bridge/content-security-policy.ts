/**
 * The renderer's Content-Security-Policy, the same in both shells: only the app's own files, its
 * own bridge connection, media for calls, and attachments as the shell serves them (Electron's
 * `parley-attachment:` protocol; the browser host's own origin). No inline scripts or styles, no
 * remote content.
 */
export function contentSecurityPolicy(extraConnectSources: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    ["connect-src 'self'", ...extraConnectSources].join(' '),
    "img-src 'self' data: blob: parley-attachment:",
    "media-src 'self' blob: mediastream: parley-attachment:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}
