import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer: built to dist/renderer, loaded from file:// in Electron and served by the host.
export default defineConfig({
  root: resolve(import.meta.dirname, 'src/renderer'),
  base: './',
  plugins: [react()],
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
