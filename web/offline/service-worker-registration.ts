// Registers the lab's service worker (sw.js next to the page) once per page,
// through workbox-window, and says why when it cannot. Only the built site has
// one: the development server serves modules that change under it.

import { Workbox } from 'workbox-window';

export type Registration =
  | { ok: true; workbox: Workbox; scope: string; registered: Promise<ServiceWorkerRegistration | undefined> }
  | { ok: false; reason: string };

let registration: Registration | null = null;

export function registerLabServiceWorker(): Registration {
  registration ??= register();
  return registration;
}

function register(): Registration {
  if (!import.meta.env.PROD) {
    return {
      ok: false,
      reason: 'The development server does not install the offline service worker; the built site does (npm run build, npm run serve).',
    };
  }
  if (!window.isSecureContext || !('serviceWorker' in navigator)) {
    return {
      ok: false,
      reason: `Browsers keep an offline copy only for https:// or localhost pages; this one comes from ${location.origin}, so it needs that server while it runs.`,
    };
  }
  const scope = new URL('./', document.baseURI).href;
  const workbox = new Workbox(new URL('sw.js', document.baseURI).href, { scope });
  return { ok: true, workbox, scope, registered: workbox.register() };
}
