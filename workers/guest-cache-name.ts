// The Cache Storage cache that holds one guest build's files offline (filled by
// the service worker and "Make available offline"; read by the VM worker too).

/** One cache per guest build: a new build never mixes with the files of an old one. */
export const GUEST_CACHE_PREFIX = 'docker-lab-guest-';

export function guestCacheName(buildId: string): string {
  return `${GUEST_CACHE_PREFIX}${buildId}`;
}
