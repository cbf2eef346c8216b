// The state behind <lab-offline>: whether the service worker runs and holds
// the app shell, how much of the current guest build is cached, storage
// figures, the "Make available offline" download, and news from the service
// worker (a replaced guest build, a new app version waiting).

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { GuestManifest } from '../../workers/guest-manifest';
import { requestPersistentStorage } from '../storage-persistence';
import { GuestCache } from './guest-cache';
import { parseGuestManifest, type ReplacedRecord } from './guest-files';
import { GUEST_REPLACED_MESSAGE } from './messages';
import { downloadGuest, type DownloadProgress, type DownloadResult } from './offline-download';
import { guestCacheStatus, storageStatus, type GuestCacheStatus, type StorageStatus } from './offline-status';
import { registerLabServiceWorker } from './service-worker-registration';

export type DownloadState =
  | { kind: 'idle' }
  | { kind: 'running'; progress: DownloadProgress }
  | { kind: 'done'; result: DownloadResult }
  | { kind: 'failed'; error: string };

/** Progress redraws at most this often: a download delivers thousands of chunks. */
const PROGRESS_REDRAW_MS = 150;

export class OfflineController implements ReactiveController {
  /** Null while unknown; a sentence when this page cannot work offline at all. */
  unavailable: string | null = null;
  /** The service worker is active and controls this page, so pages, scripts and v86 come from its precache. */
  appShellCached = false;
  manifest: GuestManifest | null = null;
  manifestError: string | null = null;
  guest: GuestCacheStatus | null = null;
  storage: StorageStatus | null = null;
  download: DownloadState = { kind: 'idle' };
  replaced: ReplacedRecord | null = null;
  updateWaiting = false;

  private abort: AbortController | null = null;
  private lastRedraw = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly guestBase: () => string,
  ) {
    host.addController(this);
  }

  get readyOffline(): boolean {
    return this.appShellCached && this.guest?.complete === true;
  }

  hostConnected(): void {
    const reg = registerLabServiceWorker();
    if (!reg.ok) {
      this.unavailable = reg.reason;
    } else if (new URL('guest/', reg.scope).href !== this.guestBase()) {
      this.unavailable = `The offline copy covers guest files served from ${new URL('guest/', reg.scope).href}; this lab uses ${this.guestBase()}.`;
    } else {
      reg.registered.catch((err: unknown) => {
        this.unavailable = `The offline service worker could not be installed (${errorText(err)}).`;
        this.host.requestUpdate();
      });
      reg.workbox.addEventListener('waiting', this.onWaiting);
      navigator.serviceWorker.addEventListener('controllerchange', this.onChange);
      navigator.serviceWorker.addEventListener('message', this.onMessage);
    }
    void this.refresh();
  }

  hostDisconnected(): void {
    const reg = registerLabServiceWorker();
    if (reg.ok) {
      reg.workbox.removeEventListener('waiting', this.onWaiting);
      navigator.serviceWorker.removeEventListener('controllerchange', this.onChange);
      navigator.serviceWorker.removeEventListener('message', this.onMessage);
    }
    this.abort?.abort(new Error('the lab was closed'));
  }

  /** Re-reads everything; calls made while one runs share it. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  async makeAvailableOffline(): Promise<void> {
    if (this.download.kind === 'running') return;
    await this.refresh();
    const manifest = this.manifest;
    if (!manifest || this.unavailable) {
      this.download = { kind: 'failed', error: this.unavailable ?? this.manifestError ?? 'The lab manifest could not be read.' };
      this.host.requestUpdate();
      return;
    }
    // A click is the moment browsers most readily grant it.
    void requestPersistentStorage().then(() => this.refresh());
    this.abort = new AbortController();
    this.download = { kind: 'running', progress: { doneBytes: 0, totalBytes: 0, doneFiles: 0, totalFiles: 0 } };
    this.host.requestUpdate();
    try {
      const result = await downloadGuest({
        manifest,
        guestBase: this.guestBase(),
        signal: this.abort.signal,
        onProgress: (progress) => this.onProgress(progress),
      });
      this.download = { kind: 'done', result };
      await new GuestCache(caches, this.guestBase()).forgetReplacedRecord();
    } catch (err) {
      this.download = { kind: 'failed', error: errorText(err) };
    } finally {
      this.abort = null;
      await this.refresh();
    }
  }

  cancel(): void {
    this.abort?.abort(new Error('stopped by the learner'));
  }

  async keepStorage(): Promise<void> {
    await requestPersistentStorage();
    await this.refresh();
  }

  async dismissReplaced(): Promise<void> {
    this.replaced = null;
    this.host.requestUpdate();
    if (!this.unavailable) await new GuestCache(caches, this.guestBase()).forgetReplacedRecord();
  }

  /** Activates the waiting app version; the page reloads once it controls. */
  applyUpdate(): void {
    const reg = registerLabServiceWorker();
    if (!reg.ok) return;
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
    reg.workbox.messageSkipWaiting();
  }

  private async doRefresh(): Promise<void> {
    this.storage = await storageStatus();
    const manifestUrl = new URL('manifest.json', this.guestBase()).href;
    try {
      const response = await fetch(manifestUrl, { cache: 'no-cache' });
      if (!response.ok) throw new Error(`${manifestUrl} answered HTTP ${response.status}`);
      this.manifest = parseGuestManifest(await response.json());
      this.manifestError = this.manifest ? null : `${manifestUrl} is not a guest manifest this lab understands.`;
    } catch (err) {
      this.manifestError = `The lab manifest could not be read (${errorText(err)}).`;
    }
    if (!this.unavailable) {
      const reg = await navigator.serviceWorker.getRegistration(this.guestBase());
      this.appShellCached = Boolean(reg?.active && navigator.serviceWorker.controller);
      const cache = new GuestCache(caches, this.guestBase());
      this.guest = this.manifest ? await guestCacheStatus(this.manifest, this.guestBase()) : null;
      this.replaced = await cache.replacedRecord();
    }
    this.host.requestUpdate();
  }

  private onProgress(progress: DownloadProgress): void {
    this.download = { kind: 'running', progress };
    const now = Date.now();
    if (now - this.lastRedraw >= PROGRESS_REDRAW_MS || progress.doneFiles === progress.totalFiles) {
      this.lastRedraw = now;
      this.host.requestUpdate();
    }
  }

  private onWaiting = () => {
    this.updateWaiting = true;
    this.host.requestUpdate();
  };

  private onChange = () => void this.refresh();

  private onMessage = (event: MessageEvent) => {
    if ((event.data as { type?: unknown } | null)?.type === GUEST_REPLACED_MESSAGE) void this.refresh();
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
