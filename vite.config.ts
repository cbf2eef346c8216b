import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { guestArtifacts } from './scripts/vite-guest-artifacts.ts';

const fromRoot = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: fromRoot('web'),
  // Relative asset URLs: the built site works from any folder of any static server.
  base: './',
  appType: 'mpa',
  publicDir: false,
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
    include: ['lit', 'comlink', '@xterm/xterm', '@xterm/addon-fit', 'idb-keyval', 'v86'],
  },
  // v86 has (Node-only, never taken) dynamic imports, which rule out an IIFE worker.
  worker: { format: 'es' },
  server: {
    fs: { allow: [fromRoot('.')] },
  },
  plugins: [guestArtifacts({ dir: fromRoot('build/guest/out') })],
});
