// Messages between the page and the lab's service worker.

/** Page → service worker: activate the waiting new version now (the page reloads right after). */
export const SKIP_WAITING_MESSAGE = 'SKIP_WAITING';

/** Service worker → pages: a new guest build was adopted and the old build's offline copy deleted. */
export const GUEST_REPLACED_MESSAGE = 'docker-lab:guest-replaced';
