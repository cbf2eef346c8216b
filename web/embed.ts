// The embeddable lab: terminal and status bar only, for an <iframe> in a
// course page. `?guest=<url>` points it at guest files hosted elsewhere.

const guest = new URLSearchParams(location.search).get('guest');
// Set before the element upgrades, because it starts the VM as soon as it connects.
if (guest) document.querySelector('docker-lab')?.setAttribute('guest-base', guest);
void import('./components/docker-lab');
