// Keeps a host element's list of published ports fresh: it asks `docker ps`
// in the lab machine now and then, but only while the host says it is shown
// and the VM is up, since every call costs the emulated CPU seconds.

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ExecOptions, ExecResult } from '../workers/protocol';
import { DOCKER_PS_PORTS, parsePublishedPorts, type PublishedPort } from './http-preview';

export interface PortsVm {
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
}

export interface PublishedPortsOptions {
  vm(): PortsVm | null;
  /** Whether the list is on screen. */
  active(): boolean;
  intervalMs?: number;
}

const DEFAULT_INTERVAL_MS = 5000;
const DOCKER_PS_TIMEOUT_MS = 60_000;

export class PublishedPortsController implements ReactiveController {
  ports: PublishedPort[] = [];
  /** Why the last look failed, if it did. */
  error: string | null = null;
  /** Set once a look has finished, so "no ports" can be told apart from "not looked yet". */
  loaded = false;

  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: PublishedPortsOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  hostDisconnected(): void {
    this.connected = false;
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.stopTimer();
  }

  /** Starts or stops polling as the host's visibility and VM change. */
  hostUpdated(): void {
    if (this.wanted()) {
      if (!this.timer && !this.inFlight) this.schedule(0);
    } else this.stopTimer();
  }

  /** Looks now (e.g. the Refresh button); shares a look already under way. */
  refresh(): Promise<void> {
    this.inFlight ??= this.look().finally(() => {
      this.inFlight = null;
      if (this.wanted()) this.schedule(this.options.intervalMs ?? DEFAULT_INTERVAL_MS);
    });
    return this.inFlight;
  }

  private async look(): Promise<void> {
    this.stopTimer();
    const vm = this.options.vm();
    if (!vm) return;
    try {
      const r = await vm.exec(DOCKER_PS_PORTS, { timeoutMs: DOCKER_PS_TIMEOUT_MS, background: true });
      if (r.exitCode !== 0) throw new Error(r.stderr.trim() || `docker ps exited with ${r.exitCode}`);
      this.ports = parsePublishedPorts(r.stdout);
      this.error = null;
    } catch (err) {
      this.error = `Could not list the published ports: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.loaded = true;
    this.host.requestUpdate();
  }

  private wanted(): boolean {
    return this.connected && !document.hidden && this.options.active() && this.options.vm() !== null;
  }

  private schedule(ms: number): void {
    this.stopTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.wanted()) void this.refresh();
    }, ms);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private onVisibility = () => this.hostUpdated();
}
