import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../src/bridge/content-security-policy.js';
import { isExternalLink, isInsideDir } from '../src/main/app-url.js';

describe("Electron's page", () => {
  it('carries the CSP as a <meta>, equal to the header (a file:// load gets no headers)', async () => {
    const html = await readFile(join(REPO_ROOT, 'apps/desktop/dist/renderer/index.html'), 'utf8');
    const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/g)];
    expect(metas).toHaveLength(1);
    expect(metas[0]?.[1]?.replaceAll('&#39;', "'")).toBe(contentSecurityPolicy());
    // Before any script or stylesheet, so that it governs them all.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.search(/<script|<link rel="stylesheet"/));
  });

  it('counts as its own only files inside the renderer folder, by whole path', () => {
    const dir = 'file:///opt/Parley/resources/app/dist/renderer';
    expect(isInsideDir(`${dir}/index.html`, dir)).toBe(true);
    expect(isInsideDir(`${dir}/assets/index-1.js`, `${dir}/`)).toBe(true);
    for (const other of [
      'file:///opt/Parley/resources/app/dist/renderer-evil/index.html',
      'file:///opt/Parley/resources/app/dist/rendererX',
      `${dir}/../main/main.js`,
      `${dir}/%2e%2e/main/main.js`,
      dir,
      'file://evil-host/opt/Parley/resources/app/dist/renderer/index.html',
      'https://example.com/opt/Parley/resources/app/dist/renderer/index.html',
      'not a url',
    ]) {
      expect(isInsideDir(other, dir), other).toBe(false);
    }
  });

  it('opens only web links in the system browser', () => {
    for (const url of ['https://example.org/a_b?c=1#d', 'http://example.org', 'HTTPS://EXAMPLE.ORG/'])
      expect(isExternalLink(url), url).toBe(true);
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'smb://server/share',
      'parley-attachment://x/y',
      'data:text/html,<script>alert(1)</script>',
      'mailto:someone@example.org',
      'not a url',
    ])
      expect(isExternalLink(url), url).toBe(false);
  });
});
