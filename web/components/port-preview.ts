// <port-preview>: calls an HTTP port of the lab machine (e.g. one a container
// publishes with `docker run -p 8080:8080`) and shows the real answer: status,
// headers and body. The request is made inside the lab machine (VmApi
// httpRequest); the browser itself cannot reach the guest's network.
//
// Properties: `vm` (exec + httpRequest, or null while the machine is not
// ready) and `active` (shown; only then does it poll `docker ps`).

import { LitElement, css, html, nothing } from 'lit';
import type { HttpMethod, HttpRequest, HttpResponse } from '../../workers/protocol';
import { PREVIEW_METHODS, describeBody, formatBytes, requestFromForm, sandboxedHtml, type BodyView } from '../http-preview';
import { PublishedPortsController, type PortsVm } from '../published-ports-controller';

export interface PreviewVm extends PortsVm {
  httpRequest(request: HttpRequest): Promise<HttpResponse>;
}

export class PortPreview extends LitElement {
  static override styles = css`
    :host {
      display: block;
      overflow: auto;
      padding: 0.5rem 0.75rem;
      font-size: 0.9rem;
      background: #fff;
    }
    form {
      display: flex;
      flex-wrap: wrap;
      align-items: end;
      gap: 0.5rem;
    }
    .field {
      display: flex;
      flex-direction: column;
      gap: 0.15rem;
    }
    label {
      font-weight: 600;
      font-size: 0.8rem;
    }
    .field.path {
      flex: 1 1 12rem;
    }
    .field.body {
      flex: 1 1 100%;
    }
    input,
    select,
    textarea,
    button {
      font: inherit;
    }
    input[name='port'] {
      width: 6rem;
    }
    textarea {
      font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace;
      min-height: 3.5rem;
      resize: vertical;
    }
    button {
      cursor: pointer;
    }
    button[type='submit'] {
      border: 1px solid #1d4ed8;
      background: #1d4ed8;
      color: #fff;
      border-radius: 4px;
      padding: 0.25rem 1rem;
    }
    :is(input, select, textarea, button):focus-visible {
      outline: 2px solid #f59e0b;
      outline-offset: 1px;
    }
    .ports {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.35rem;
      margin: 0.5rem 0;
      color: #374151;
    }
    .ports button {
      border: 1px solid #9ca3af;
      border-radius: 999px;
      background: #f9fafb;
      padding: 0 0.6rem;
    }
    .ports button[aria-pressed='true'] {
      border-color: #1d4ed8;
      background: #dbeafe;
    }
    .note {
      color: #4b5563;
    }
    .error {
      margin: 0.5rem 0;
      padding: 0.4rem 0.6rem;
      border: 1px solid #ef4444;
      background: #fef2f2;
      border-radius: 4px;
      white-space: pre-wrap;
    }
    .status-line {
      margin: 0.5rem 0 0.25rem;
      font-weight: 600;
    }
    .status-line .meta {
      font-weight: normal;
      color: #4b5563;
    }
    .ok {
      color: #047857;
    }
    .bad {
      color: #b91c1c;
    }
    table {
      border-collapse: collapse;
      font-size: 0.8rem;
    }
    td {
      padding: 0 0.5rem 0 0;
      vertical-align: top;
      word-break: break-all;
    }
    pre.body {
      margin: 0.25rem 0;
      padding: 0.5rem;
      background: #f3f4f6;
      border-radius: 4px;
      white-space: pre-wrap;
      word-break: break-word;
      max-height: 24rem;
      overflow: auto;
      font-size: 0.85rem;
    }
    iframe {
      width: 100%;
      height: 20rem;
      border: 1px solid #d1d5db;
      background: #fff;
    }
  `;

  static override properties = {
    vm: { attribute: false },
    active: { type: Boolean },
    port: { state: true },
    method: { state: true },
    path: { state: true },
    body: { state: true },
    sending: { state: true },
    response: { state: true },
    error: { state: true },
    showSource: { state: true },
  };

  /** A plain object, not the comlink proxy: Lit would take a proxy for a directive. */
  declare vm: PreviewVm | null;
  declare active: boolean;
  declare port: string;
  declare method: HttpMethod;
  declare path: string;
  declare body: string;
  declare sending: boolean;
  declare response: HttpResponse | null;
  declare error: string | null;
  declare showSource: boolean;

  /** The learner chose a port; the first published one no longer fills it in. */
  private portChosen = false;
  private readonly published = new PublishedPortsController(this, {
    vm: () => this.vm,
    active: () => this.active,
  });

  constructor() {
    super();
    this.vm = null;
    this.active = false;
    this.port = '';
    this.method = 'GET';
    this.path = '/';
    this.body = '';
    this.sending = false;
    this.response = null;
    this.error = null;
    this.showSource = false;
  }

  protected override willUpdate(): void {
    const first = this.published.ports[0];
    if (!this.portChosen && first && this.port !== String(first.port)) this.port = String(first.port);
  }

  override render() {
    return html`
      <form @submit=${this.onSubmit} aria-label="HTTP request to the lab machine">
        <div class="field">
          <label for="port">Port</label>
          <input
            id="port"
            name="port"
            inputmode="numeric"
            autocomplete="off"
            list="published-ports"
            .value=${this.port}
            @input=${(e: Event) => this.choosePort((e.target as HTMLInputElement).value)}
          />
        </div>
        <datalist id="published-ports">
          ${this.published.ports.map((p) => html`<option value=${p.port}>${p.container} (${p.containerPort}/tcp)</option>`)}
        </datalist>
        <div class="field">
          <label for="method">Method</label>
          <select id="method" name="method" .value=${this.method} @change=${(e: Event) => (this.method = (e.target as HTMLSelectElement).value as HttpMethod)}>
            ${PREVIEW_METHODS.map((m) => html`<option value=${m} ?selected=${m === this.method}>${m}</option>`)}
          </select>
        </div>
        <div class="field path">
          <label for="path">Path</label>
          <input
            id="path"
            name="path"
            autocomplete="off"
            spellcheck="false"
            .value=${this.path}
            @input=${(e: Event) => (this.path = (e.target as HTMLInputElement).value)}
          />
        </div>
        <button type="submit" ?disabled=${!this.vm || this.sending}>${this.sending ? 'Sending…' : 'Send'}</button>
        ${this.method === 'GET'
          ? nothing
          : html`<div class="field body">
              <label for="body">JSON body (optional)</label>
              <textarea
                id="body"
                name="body"
                spellcheck="false"
                placeholder='{"task":"learn K8s"}'
                .value=${this.body}
                @input=${(e: Event) => (this.body = (e.target as HTMLTextAreaElement).value)}
              ></textarea>
            </div>`}
      </form>
      ${this.renderPorts()}
      <section aria-label="Response" aria-live="polite" aria-busy=${this.sending ? 'true' : 'false'}>
        ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing} ${this.renderResponse()}
      </section>
    `;
  }

  private renderPorts() {
    if (!this.vm) return html`<p class="note">The lab machine is starting; the preview works once it is ready.</p>`;
    const { ports, loaded, error } = this.published;
    return html`
      <div class="ports" role="group" aria-label="Published ports">
        <span>Published ports:</span>
        ${ports.map(
          (p) =>
            html`<button type="button" aria-pressed=${String(this.port === String(p.port))} @click=${() => this.choosePort(String(p.port))}>
              ${p.port} · ${p.container}
            </button>`,
        )}
        ${loaded && ports.length === 0 ? html`<span class="note">none yet (start a container with <code>docker run -p 8080:8080 …</code>)</span>` : nothing}
        ${!loaded ? html`<span class="note">looking…</span>` : nothing}
        <button type="button" @click=${() => void this.published.refresh()}>Refresh</button>
      </div>
      ${error ? html`<p class="note" role="status">${error}</p>` : nothing}
    `;
  }

  private renderResponse() {
    const r = this.response;
    if (!r) return nothing;
    const view = describeBody(r);
    return html`
      <p class="status-line" data-status=${r.status}>
        <span class=${r.status < 400 ? 'ok' : 'bad'}>${r.status} ${r.statusText}</span>
        <span class="meta">· ${formatBytes(r.body.length)}${r.truncated ? ' (cut at 1 MiB)' : ''} · ${r.ms} ms</span>
      </p>
      <details>
        <summary>Headers (${r.headers.length})</summary>
        <table>
          ${r.headers.map(([k, v]) => html`<tr><td>${k}</td><td>${v}</td></tr>`)}
        </table>
      </details>
      ${this.renderBody(view)}
    `;
  }

  private renderBody(view: BodyView) {
    switch (view.kind) {
      case 'empty':
        return html`<p class="note">No body.</p>`;
      case 'binary':
        return html`<p class="note">A binary body of ${formatBytes(view.bytes)}, not shown.</p>`;
      case 'html':
        // Rendered in a sandbox without scripts (see sandboxedHtml); the source is one click away.
        return html`
          <button type="button" aria-pressed=${String(this.showSource)} @click=${() => (this.showSource = !this.showSource)}>Show HTML source</button>
          ${this.showSource
            ? html`<pre class="body" data-kind="html">${view.text}</pre>`
            : html`<iframe title="The HTML answer, rendered without scripts" sandbox="" srcdoc=${sandboxedHtml(view.text)}></iframe>`}
        `;
      default:
        return html`<pre class="body" data-kind=${view.kind} tabindex="0" aria-label="Response body">${view.text}</pre>`;
    }
  }

  private choosePort(value: string): void {
    this.portChosen = true;
    this.port = value;
  }

  private onSubmit = async (e: Event) => {
    e.preventDefault();
    const vm = this.vm;
    if (!vm || this.sending) return;
    let request: HttpRequest;
    try {
      request = requestFromForm({ port: this.port, method: this.method, path: this.path, body: this.body });
    } catch (err) {
      // The form keeps what was typed, so the learner only fixes the mistake.
      this.error = err instanceof Error ? err.message : String(err);
      return;
    }
    this.sending = true;
    this.error = null;
    this.showSource = false;
    try {
      this.response = await vm.httpRequest(request);
    } catch (err) {
      this.response = null;
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.sending = false;
    }
  };
}

customElements.define('port-preview', PortPreview);

declare global {
  interface HTMLElementTagNameMap {
    'port-preview': PortPreview;
  }
}
