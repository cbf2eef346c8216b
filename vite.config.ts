import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { guestArtifacts } from './scripts/vite-guest-artifacts.ts';

const fromRoot = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: fromRoot('web'),
  // Relative asset URLs: the built site works from any folder of any static server.
  base: './',
  appType: 'mpa',
  // Icons for the web app manifest.
  publicDir: fromRoot('web/public'),
  build: {
    outDir: fromRoot('dist'),
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: {
      input: {
        index: fromRoot('web/index.html'),
        embed: fromRoot('web/embed.html'),
      },
    },
  },
  // Pre-bundled up front: discovering them on first load would make Vite
  // reload the page in the middle of a boot.
  optimizeDeps: {
    include: ['lit', 'comlink', '@xterm/xterm', '@xterm/addon-fit', 'idb-keyval', 'v86', '@noble/hashes/sha2.js', 'workbox-window', '@bokuweb/zstd-wasm'],
  },
  // v86 has (Node-only, never taken) dynamic imports, which rule out an IIFE worker.
  worker: { format: 'es' },
  server: {
    fs: { allow: [fromRoot('.')] },
  },
  plugins: [
    guestArtifacts({ dir: fromRoot('build/guest/out') }),
    // Offline use and installability. The service worker (web/offline/sw.ts)
    // precaches the app shell only; the guest (hundreds of MB) goes to a cache
    // per guest build, filled lazily or by "Make available offline".
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'offline',
      filename: 'sw.ts',
      // Registered by web/offline/service-worker-registration.ts, which also reports why not.
      injectRegister: false,
      injectManifest: {
        rollupFormat: 'iife',
        globPatterns: ['**/*.{html,js,css,wasm,svg,png,jpg,jpeg,gif,webp,ico,webmanifest}'],
        globIgnores: ['guest/**'],
        // v86.wasm is 2 MB, over Workbox's default limit.
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
      },
      manifest: {
        name: 'Docker lab',
        short_name: 'Docker lab',
        description: 'A real Linux PC with a real Docker engine in a browser tab, with interactive lessons. Works offline.',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#1d4ed8',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      devOptions: { enabled: false },
    }),
  ],
});
