// Runs once before the e2e specs: specs run on two workers at once, so the built
// site (dist/, which the offline and classroom specs serve and copy) is made here,
// never by two specs at the same time.
import { requireGuestArtifacts } from './helpers/lab';
import { buildSite } from './helpers/site-server';

export default function globalSetup(): void {
  requireGuestArtifacts();
  buildSite();
}
