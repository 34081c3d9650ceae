// Floe's dashboard build: one bundle under /ui/, hashed assets, no inline scripts, nothing loaded from a CDN.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/ui/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // The page's CSP forbids inline scripts: the preload helper ships in the bundle, never as an inline <script>.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
    reportCompressedSize: false,
    rollupOptions: {
      onwarn(warning, warn) {
        // Mantine marks its modules "use client" (for React Server Components); a client bundle has nothing to keep.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  oxc: { jsx: { runtime: 'automatic' } },
});
