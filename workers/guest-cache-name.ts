// The Cache Storage cache that holds one guest build's files offline (filled by
// the service worker, "Make available offline" and the VM worker's disk
// prefetch; read by the VM worker too).

/** One cache per guest build: a new build never mixes with the files of an old one. */
export const GUEST_CACHE_PREFIX = 'docker-lab-guest-';

export function guestCacheName(buildId: string): string {
  return `${GUEST_CACHE_PREFIX}${buildId}`;
}

/**
 * Sent by requests whose sender stores the file itself, so that the service
 * worker passes them straight to the network: the page's "Make available
 * offline" (which checks each file first and counts its bytes) and the VM
 * worker's disk prefetch.
 */
export const DOWNLOAD_HEADER = 'x-lab-offline-download';
