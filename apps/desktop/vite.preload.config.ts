import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The preload runs sandboxed, where it may only require('electron'): bundle it into one file.
export default defineConfig({
  build: {
    outDir: resolve(import.meta.dirname, 'dist/preload'),
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    lib: {
      entry: resolve(import.meta.dirname, 'src/preload/preload.ts'),
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rollupOptions: { external: ['electron'] },
  },
});
