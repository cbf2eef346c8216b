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

/**
 * Resolves once the page is controlled by the lab's service worker, or at once
 * when it has none, or after `timeoutMs`. A dedicated worker is controlled by the
 * service worker that controlled its page when it was created, so the VM worker
 * is created after this: then even a first visit caches the disk parts it reads.
 */
export async function serviceWorkerControl(timeoutMs = 5000): Promise<void> {
  const reg = registerLabServiceWorker();
  if (!reg.ok || navigator.serviceWorker.controller) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    navigator.serviceWorker.addEventListener('controllerchange', done, { once: true });
    // An active worker with nothing installing will not claim this page (a hard
    // reload bypasses it), and a failed registration never will: no point waiting.
    reg.registered.then((r) => {
      if (!r || (r.active && !r.installing && !r.waiting)) done();
    }, done);
  });
}
