// <lesson-panel>: one page of a lesson. Title, the rendered (sanitised)
// Markdown with Run/Copy buttons on its commands, the step's Check with its
// result, Previous/Next, "Step 2 of 7", and what this lab cannot honour.
// It only shows state and reports intentions upwards; <lesson-area> acts:
//   lesson-run   (detail: { command: LessonCommand })   a Run button
//   lesson-check (detail: { step: number })             Check, 0-based step
//   lesson-go    (detail: { position: number })         Previous/Next
//   lesson-close                                         back to the list

import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { describeNeed, type Lesson } from '../lessons/format';
import { lessonImageResolver, renderMarkdown, type LessonCommand, type RenderedMarkdown } from '../lessons/markdown';
import { clampPosition, firstPosition, pageAt, type CheckResult, type ScriptReport } from '../lessons/runner';

export class LessonPanel extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font-size: 0.95rem;
      line-height: 1.5;
    }
    header {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 0.25rem 0.75rem;
      padding-top: 0.5rem;
    }
    header h2 {
      margin: 0;
      font-size: 1.1rem;
      flex: 1 1 auto;
    }
    .progress {
      color: #4b5563;
      font-size: 0.85rem;
    }
    h3.page-title {
      margin: 0.75rem 0 0.5rem;
      font-size: 1.05rem;
    }
    h3.page-title:focus {
      outline: 2px solid #2563eb;
      outline-offset: 2px;
    }
    button {
      font: inherit;
      cursor: pointer;
    }
    button[disabled] {
      cursor: not-allowed;
    }
    .link {
      background: none;
      border: none;
      color: #1d4ed8;
      padding: 0;
      text-decoration: underline;
    }
    details.cannot {
      margin: 0.5rem 0;
      padding: 0.5rem 0.75rem;
      background: #fffbeb;
      border: 1px solid #f59e0b;
      border-radius: 4px;
    }
    details.cannot summary {
      font-weight: 600;
      cursor: pointer;
    }
    details.cannot ul {
      margin: 0.25rem 0 0;
      padding-left: 1.25rem;
    }
    .content :is(pre, code) {
      font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace;
      font-size: 0.85rem;
    }
    .content pre {
      background: #f3f4f6;
      padding: 0.5rem 0.75rem;
      border-radius: 4px;
      overflow-x: auto;
      margin: 0;
    }
    .content :not(pre) > code {
      background: #f3f4f6;
      padding: 0.05rem 0.25rem;
      border-radius: 3px;
    }
    .content img {
      max-width: 100%;
    }
    .content .lab-cmd-block {
      position: relative;
      margin: 0.75rem 0;
    }
    .content .lab-cmd-actions {
      display: flex;
      justify-content: flex-end;
      gap: 0.25rem;
      margin-top: 0.25rem;
    }
    .content .lab-cmd-inline button {
      margin-left: 0.25rem;
      font-size: 0.8rem;
      padding: 0 0.4rem;
    }
    .content :is(.lab-run, .lab-copy) {
      border: 1px solid #1d4ed8;
      border-radius: 4px;
      background: #1d4ed8;
      color: #fff;
      padding: 0.1rem 0.6rem;
    }
    .content .lab-copy {
      background: #fff;
      color: #1d4ed8;
    }
    .content :is(.lab-run, .lab-copy):focus-visible,
    button:focus-visible {
      outline: 2px solid #f59e0b;
      outline-offset: 2px;
    }
    .content .lab-note {
      margin: 0.75rem 0;
      padding: 0.5rem 0.75rem;
      border-left: 4px solid #0ea5e9;
      background: #f0f9ff;
    }
    .content .lab-note-title {
      margin: 0 0 0.25rem;
      font-weight: 600;
    }
    .status {
      margin: 0.5rem 0;
      padding: 0.4rem 0.6rem;
      border-radius: 4px;
      background: #f3f4f6;
    }
    .status.passed {
      background: #ecfdf5;
      border: 1px solid #10b981;
    }
    .status.failed {
      background: #fef2f2;
      border: 1px solid #ef4444;
    }
    .status pre {
      white-space: pre-wrap;
      word-break: break-word;
      margin: 0.25rem 0 0;
      max-height: 12rem;
      overflow: auto;
      font-size: 0.8rem;
    }
    .check {
      margin: 1rem 0 0.5rem;
    }
    .primary {
      border: 1px solid #047857;
      background: #047857;
      color: #fff;
      border-radius: 4px;
      padding: 0.25rem 0.9rem;
    }
    nav {
      display: flex;
      justify-content: space-between;
      gap: 0.5rem;
      margin: 1rem 0;
      padding-top: 0.5rem;
      border-top: 1px solid #e5e7eb;
    }
  `;

  static override properties = {
    lesson: { attribute: false },
    position: { type: Number },
    completed: { attribute: false },
    ready: { type: Boolean },
    checking: { type: Boolean },
    checkResult: { attribute: false },
    passedNote: { attribute: false },
    background: { attribute: false },
    missingImages: { attribute: false },
    problem: { attribute: false },
    actionNote: { state: true },
  };

  declare lesson: Lesson | null;
  /** 0 intro, 1..n steps, n+1 finish. */
  declare position: number;
  /** Step indices that are done. */
  declare completed: readonly number[];
  /** The lab machine can run commands. */
  declare ready: boolean;
  declare checking: boolean;
  /** The last check of the current step, if it failed (a pass moves on). */
  declare checkResult: CheckResult | null;
  /** "Step 1 passed." after a check moved the learner on. */
  declare passedNote: string | null;
  /** The current page's background script, while it runs or if it failed. */
  declare background: ScriptReport | null;
  declare missingImages: readonly string[];
  /** Something the lesson could not do in the guest (e.g. placing its files). */
  declare problem: string | null;
  declare actionNote: string | null;

  private rendered: { key: string; value: RenderedMarkdown } | null = null;

  constructor() {
    super();
    this.lesson = null;
    this.position = 0;
    this.completed = [];
    this.ready = false;
    this.checking = false;
    this.checkResult = null;
    this.passedNote = null;
    this.background = null;
    this.missingImages = [];
    this.problem = null;
    this.actionNote = null;
  }

  /** Markdown is parsed and sanitised once per page, not on every render. */
  private page(lesson: Lesson, position: number): RenderedMarkdown {
    const key = `${lesson.id}\u0000${position}`;
    if (this.rendered?.key === key) return this.rendered.value;
    const page = pageAt(lesson, position);
    const value = page ? renderMarkdown(page.text, { resolveImage: lessonImageResolver(lesson, page.textPath) }) : { html: '', commands: [] };
    this.rendered = { key, value };
    return value;
  }

  override render() {
    const lesson = this.lesson;
    if (!lesson) return nothing;
    const position = clampPosition(lesson, this.position);
    const page = pageAt(lesson, position);
    const rendered = this.page(lesson, position);
    const n = lesson.steps.length;
    const stepIndex = position >= 1 && position <= n ? position - 1 : null;
    const step = stepIndex === null ? null : lesson.steps[stepIndex];
    const where = position === 0 ? 'Introduction' : position > n ? 'Finished' : `Step ${position} of ${n}`;
    const atFirst = position <= firstPosition(lesson);
    const nextExists = position < n || (position === n && lesson.finish !== null);
    // While a step's check is pending, Check is the main action; Next stays available to skip.
    const checkable = step !== null && (step.check !== null || step.verify !== null);
    return html`
      <header>
        <h2>${lesson.title}</h2>
        <span class="progress">${where} · ${this.completed.length} of ${n} done</span>
        <button class="link" @click=${() => this.emit('lesson-close')}>All lessons</button>
      </header>
      ${this.renderCannot(lesson)}
      ${this.passedNote ? html`<div class="status passed" role="status">${this.passedNote}</div>` : nothing}
      ${this.problem ? html`<div class="status failed" role="alert">${this.problem}</div>` : nothing}
      <article aria-labelledby="page-title">
        <h3 class="page-title" id="page-title" tabindex="-1">${page?.title ?? ''}</h3>
        ${this.renderBackground()}
        <div class="content" @click=${(e: Event) => this.onContentClick(e, rendered.commands)}>${unsafeHTML(rendered.html)}</div>
        ${this.actionNote ? html`<p class="status" role="status">${this.actionNote}</p>` : nothing}
        ${checkable && stepIndex !== null ? this.renderCheck(stepIndex) : nothing}
      </article>
      <nav aria-label="Lesson steps">
        <button ?disabled=${atFirst} @click=${() => this.go(position - 1)}>Previous</button>
        ${nextExists
          ? html`<button class=${checkable && !this.completed.includes(position - 1) ? '' : 'primary'} @click=${() => this.go(position + 1)}>
              ${position === n ? 'Finish' : 'Next'}
            </button>`
          : nothing}
      </nav>
    `;
  }

  private renderCannot(lesson: Lesson) {
    const items = [
      ...lesson.cannotHonour,
      ...lesson.needs.map(describeNeed),
      ...this.missingImages.map((ref) => `The image ${ref} is not in this lab's offline catalog, so commands using it will fail.`),
    ];
    if (items.length === 0) return nothing;
    return html`
      <details class="cannot" open>
        <summary>Not available in this offline lab (${items.length})</summary>
        <ul>
          ${items.map((s) => html`<li>${s}</li>`)}
        </ul>
      </details>
    `;
  }

  private renderBackground() {
    const b = this.background;
    if (!b || b.state === 'done') return nothing;
    if (b.state === 'running') return html`<p class="status" role="status">Preparing the lab machine for this page…</p>`;
    return html`<div class="status failed" role="alert">
      Preparing the lab machine for this page failed; some commands may not work.
      ${b.output ? html`<pre>${b.output}</pre>` : nothing}
    </div>`;
  }

  private renderCheck(stepIndex: number) {
    const step = this.lesson?.steps[stepIndex];
    const r = this.checkResult;
    const done = this.completed.includes(stepIndex);
    return html`
      <div class="check">
        <button class="primary" ?disabled=${!this.ready || this.checking} @click=${() => this.emit('lesson-check', { step: stepIndex })}>
          ${this.checking ? 'Checking…' : 'Check'}
        </button>
        ${!this.ready ? html`<span class="progress">The lab machine is still starting.</span>` : nothing}
        ${done && !r ? html`<span class="progress">Done before ✓</span>` : nothing}
        <div aria-live="polite" data-check-result=${r ? (r.passed ? 'passed' : 'failed') : 'none'}>
          ${r && !r.passed
            ? html`<div class="status failed">
                <strong>Not yet.</strong>
                ${step?.checkText ? html`This step checks that ${step.checkText}.` : html`The check exited with code ${r.exitCode}.`}
                <pre>${r.output || '(the check printed nothing)'}</pre>
              </div>`
            : nothing}
          ${r?.passed ? html`<div class="status passed">Passed ✓</div>` : nothing}
        </div>
      </div>
    `;
  }

  protected override updated(changed: PropertyValues<this>): void {
    // Keyboard and screen-reader users land on the new page's title, not on a button that moved.
    if (changed.has('position') && changed.get('position') !== undefined && this.shadowRoot?.activeElement) {
      this.renderRoot.querySelector<HTMLElement>('h3.page-title')?.focus();
    }
    if (changed.has('position') || changed.has('lesson')) this.actionNote = null;
  }

  private go(position: number): void {
    this.emit('lesson-go', { position });
  }

  private onContentClick(e: Event, commands: LessonCommand[]): void {
    const button = (e.target as Element).closest?.('button[data-lab-cmd]');
    if (!button) return;
    const command = commands.find((c) => c.id === button.getAttribute('data-lab-cmd'));
    if (!command) return;
    if (command.kind === 'copy') {
      void this.copy(command.text);
      return;
    }
    if (!this.ready) {
      this.actionNote = 'The lab machine is still starting; run this once it is ready.';
      return;
    }
    this.actionNote = null;
    this.emit('lesson-run', { command });
  }

  private async copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.actionNote = 'Copied to the clipboard.';
    } catch {
      this.actionNote = 'Copying is not allowed here; select the text and copy it yourself.';
    }
  }

  private emit(type: string, detail?: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

customElements.define('lesson-panel', LessonPanel);

declare global {
  interface HTMLElementTagNameMap {
    'lesson-panel': LessonPanel;
  }
}
