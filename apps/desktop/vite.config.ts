import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { contentSecurityPolicy } from './src/bridge/content-security-policy.ts';

/**
 * The CSP as a <meta> in the built page, from the same source as the header the shells send:
 * Electron loads the page from file://, where response headers (onHeadersReceived) do not apply.
 */
const cspMeta: Plugin = {
  name: 'parley-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy() },
      injectTo: 'head-prepend',
    },
  ],
};

// The renderer: built to dist/renderer, loaded from file:// in Electron and served by the host.
export default defineConfig({
  root: resolve(import.meta.dirname, 'src/renderer'),
  base: './',
  plugins: [react(), cspMeta],
  build: {
    outDir: resolve(import.meta.dirname, 'dist/renderer'),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    // Read from disk (file:// or the local host), never over a network; what only a call needs is a
    // separate chunk (stores/calls.ts) so that start-up does not parse it.
    chunkSizeWarningLimit: 1024,
  },
});
