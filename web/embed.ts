// The embeddable lab: terminal and status bar only, for an <iframe> in a
// course page. `?guest=<url>` points it at guest files hosted elsewhere.

const guest = new URLSearchParams(location.search).get('guest');
// Set before the element upgrades, because it starts the VM as soon as it connects.
if (guest) document.querySelector('docker-lab')?.setAttribute('guest-base', guest);
// `?lesson=<id>` shows that lesson beside the terminal (same deep links as the full page).
if (new URLSearchParams(location.search).get('lesson')) {
  const area = document.createElement('lesson-area');
  area.slot = 'lesson';
  document.querySelector('docker-lab')?.append(area);
  void import('./components/lesson-area');
}
void import('./components/docker-lab');
