// The dashboard's build. scripts/build.mjs runs it through Vite's JS API into dist/dashboard/;
// `npx vite dashboard` serves it for development, proxying the API to a local `baton serve`.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

export default defineConfig({
  // Served at /_/: every asset URL in index.html is relative to it.
  base: '/_/',
  plugins: [preact({ prerender: { enabled: false }, devToolsEnabled: false, prefreshEnabled: true })],
  build: {
    outDir: '../dist/dashboard',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Nothing is fetched at run time: no CDN fonts, no module preload polyfill request.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8090' },
  },
});
