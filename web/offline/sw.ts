// The lab's service worker. The app shell (pages, scripts, styles, v86.wasm,
// icons) is precached by Workbox from the build's file list. The guest under
// guest/ is far too big for that: manifest.json is fetched network-first (so a
// new build is noticed, and the cached one is used offline), which makes the
// build's cache; the VM worker and the page's "Make available offline" fill it
// themselves. Any other guest file is served cache-first from it.

import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { CacheFirst } from 'workbox-strategies';
import { GuestCache } from './guest-cache';
import { DOWNLOAD_HEADER, parseGuestManifest } from './guest-files';
import { GUEST_REPLACED_MESSAGE, SKIP_WAITING_MESSAGE } from './messages';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<PrecacheEntry | string> };

/** A server that accepts the connection but never answers must not keep an offline lab from starting. */
const MANIFEST_NETWORK_TIMEOUT_MS = 8000;

const guest = new GuestCache(self.caches, new URL('guest/', self.registration.scope).href);

// The first install controls the open lab at once, so the disk parts its first
// boot reads are cached already. Later versions wait (see SKIP_WAITING_MESSAGE):
// a page running the old version may still load its old lazy chunks.
clientsClaim();
self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === SKIP_WAITING_MESSAGE) void self.skipWaiting();
});

cleanupOutdatedCaches();
// `embed.html?lesson=…` is the same page whatever its query.
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });

registerRoute(
  ({ url, request }) => request.method === 'GET' && url.href.startsWith(guest.guestBase),
  async ({ request, event }) => {
    // Marked requests come from code that stores the file itself (the VM worker,
    // "Make available offline"): passed to the network, never read here.
    const passThrough = request.headers.has(DOWNLOAD_HEADER);
    if (request.url.split('?')[0] === guest.manifestUrl) return passThrough ? fetch(request) : manifestNetworkFirst(request);
    const cacheName = (await guest.currentName()) ?? (await adoptFromNetwork());
    if (passThrough || !cacheName) return fetch(request);
    return strategyFor(cacheName).handle({ request, event });
  },
);

async function manifestNetworkFirst(request: Request): Promise<Response> {
  let failure: unknown;
  try {
    const response = await fetchWithTimeout(request, MANIFEST_NETWORK_TIMEOUT_MS);
    const manifest = response.ok ? parseGuestManifest(await response.clone().json().catch(() => null)) : null;
    if (manifest) {
      const replaced = await guest.adopt(manifest, response.clone());
      if (replaced) await tellClients({ type: GUEST_REPLACED_MESSAGE, record: replaced });
      return response;
    }
    failure = response;
  } catch (err) {
    failure = err;
  }
  const cached = await guest.cachedManifest();
  if (cached) return cached.response;
  if (failure instanceof Response) return failure;
  throw failure;
}

/** A guest file asked for before any manifest passed through here (the very first visit). */
async function adoptFromNetwork(): Promise<string | null> {
  try {
    await manifestNetworkFirst(new Request(guest.manifestUrl, { cache: 'no-cache' }));
  } catch {
    return null;
  }
  return guest.currentName();
}

const strategies = new Map<string, CacheFirst>();

function strategyFor(cacheName: string): CacheFirst {
  let strategy = strategies.get(cacheName);
  if (!strategy) {
    strategy = new CacheFirst({
      cacheName,
      plugins: [
        {
          // A build replaced while this file was on its way: do not bring its cache back.
          cacheWillUpdate: async ({ response }) =>
            response.status === 200 && (await self.caches.has(cacheName)) ? response : null,
        },
      ],
    });
    strategies.set(cacheName, strategy);
  }
  return strategy;
}

async function fetchWithTimeout(request: Request, ms: number): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms / 1000} s`)), ms);
  try {
    return await fetch(request, { signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

async function tellClients(message: unknown): Promise<void> {
  for (const client of await self.clients.matchAll({ includeUncontrolled: true })) client.postMessage(message);
}
