// Step Markdown → sanitised HTML, plus the commands a learner can run or copy.
//
// Killercoda marks actions after a code span or block: `cmd`{{exec}},
// ```…```{{exec}}, {{exec interrupt}} (send Ctrl+C first), {{copy}}, and {{}}
// (no action). A closing fence followed by {{…}} is not a closing fence in
// CommonMark, so those are rewritten before parsing. Our `:::note` blocks
// become callouts. Everything is sanitised with DOMPurify: lessons may be
// imported from anywhere, and raw HTML in them is allowed (Killercoda uses
// <br>, <details>, <img>), so script, event handlers and javascript: URLs must
// never reach the page.
//
// Run/Copy buttons are part of the HTML, carrying data-lab-* attributes. A
// lesson could write such attributes itself, so ours also carry a per-render
// random nonce: after sanitising, data-lab-* attributes survive only next to
// the right nonce, and the nonce itself is removed.

import DOMPurify from 'dompurify';
import MarkdownIt, { type PluginWithParams, type RendererRule } from 'markdown-it';
import container from 'markdown-it-container';
import { dirname, normalisePath, type Lesson } from './format';

export type CommandKind = 'exec' | 'copy';

export interface LessonCommand {
  /** Stable for the same Markdown: "cmd-<n>" in document order. */
  id: string;
  text: string;
  kind: CommandKind;
  /** {{exec interrupt}}: Ctrl+C is sent before the command. */
  interrupt: boolean;
  /** A `code span` rather than a fenced block. */
  inline: boolean;
}

export interface RenderedMarkdown {
  html: string;
  commands: LessonCommand[];
}

export interface RenderOptions {
  /** Turns a relative image src into a URL that works here (e.g. a data: URL), or undefined if unknown. */
  resolveImage?(src: string): string | undefined;
}

/** The default title of a :::note block. */
export const NOTE_TITLE = 'Adapted for the offline lab';

/** {{exec}}, {{exec interrupt}}, {{execute}} (Katacoda), {{copy}}, {{}}. */
const ACTION = /^\{\{\s*(exec|execute|copy)?((?:\s+[\w-]+)*)\s*\}\}/;

interface Action {
  kind: CommandKind | null;
  interrupt: boolean;
}

function parseAction(s: string): { action: Action; length: number } | null {
  const m = ACTION.exec(s);
  if (!m) return null;
  const kind = m[1] === 'copy' ? 'copy' : m[1] ? 'exec' : null;
  return { action: { kind, interrupt: /\binterrupt\b/.test(m[2]) }, length: m[0].length };
}

/**
 * Moves an action from a closing fence (```{{exec}}) into the opening fence's
 * info string, where markdown-it keeps it. Tracks fence char and length so a
 * shorter or different fence inside a block does not close it.
 */
export function liftFenceActions(src: string): string {
  const lines = src.split('\n');
  let open: { line: number; char: string; len: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!m) continue;
    const [, indent, fence, rest] = m;
    if (!open) {
      if (fence[0] === '`' && rest.includes('`')) continue; // not a fence: an inline code span
      open = { line: i, char: fence[0], len: fence.length };
      continue;
    }
    if (fence[0] !== open.char || fence.length < open.len) continue;
    const trimmed = rest.trim();
    if (trimmed === '') {
      open = null;
      continue;
    }
    const parsed = parseAction(trimmed);
    if (!parsed || parsed.length !== trimmed.length) continue; // text after a fence: still inside the block
    lines[open.line] = `${lines[open.line]} ${trimmed}`;
    lines[i] = `${indent}${fence}`;
    open = null;
  }
  return lines.join('\n');
}

interface RenderEnv {
  nonce: string;
  commands: LessonCommand[];
}

const md = new MarkdownIt({ html: true, linkify: false, typographer: false });

// markdown-it-container's typings are written against markdown-it's CommonJS types; the plugin itself is fine.
const noteRender: RendererRule = (tokens, idx) => {
  const token = tokens[idx];
  if (token.nesting !== 1) return '</aside>\n';
  const title = token.info.trim().replace(/^note\b/, '').trim() || NOTE_TITLE;
  return `<aside class="lab-note" role="note"><p class="lab-note-title">${md.utils.escapeHtml(title)}</p>\n`;
};
md.use(container as unknown as PluginWithParams, 'note', { render: noteRender });

// Inline actions: a code span followed by a text token starting with {{…}}.
// Runs last, after text_join has merged the text split at "{" and "}".
md.core.ruler.push('lab_inline_actions', (state) => {
  for (const block of state.tokens) {
    const children = block.children;
    if (block.type !== 'inline' || !children) continue;
    for (let i = 0; i < children.length - 1; i++) {
      const code = children[i];
      const next = children[i + 1];
      if (code.type !== 'code_inline' || next.type !== 'text') continue;
      const parsed = parseAction(next.content);
      if (!parsed) continue;
      next.content = next.content.slice(parsed.length);
      code.meta = { ...(code.meta as object | null), labAction: parsed.action };
    }
  }
});

function actionOf(meta: unknown): Action | null {
  const a = (meta as { labAction?: Action } | null)?.labAction;
  return a && a.kind ? a : null;
}

function buttons(env: RenderEnv, command: LessonCommand): string {
  const label = command.kind === 'exec' ? 'Run' : 'Copy';
  const what = command.text.length > 60 ? `${command.text.slice(0, 57)}…` : command.text;
  const aria = command.kind === 'exec' ? `Run in the terminal: ${what}` : `Copy: ${what}`;
  return (
    `<button type="button" class="lab-${command.kind === 'exec' ? 'run' : 'copy'}" data-lab-cmd="${command.id}" ` +
    `data-lab-nonce="${env.nonce}" aria-label="${md.utils.escapeHtml(aria)}">${label}</button>`
  );
}

function addCommand(env: RenderEnv, text: string, action: Action, inline: boolean): LessonCommand {
  const command: LessonCommand = {
    id: `cmd-${env.commands.length}`,
    text,
    kind: action.kind ?? 'copy',
    interrupt: action.interrupt,
    inline,
  };
  env.commands.push(command);
  return command;
}

md.renderer.rules.code_inline = (tokens, idx, _options, env: RenderEnv) => {
  const token = tokens[idx];
  const code = `<code>${md.utils.escapeHtml(token.content)}</code>`;
  const action = actionOf(token.meta);
  if (!action) return code;
  const command = addCommand(env, token.content, action, true);
  return `<span class="lab-cmd lab-cmd-inline" data-lab-cmd="${command.id}" data-lab-nonce="${env.nonce}">${code}${buttons(env, command)}</span>`;
};

md.renderer.rules.fence = (tokens, idx, _options, env: RenderEnv) => {
  const token = tokens[idx];
  let info = token.info.trim();
  let action: Action | null = null;
  const at = info.indexOf('{{');
  if (at >= 0) {
    const parsed = parseAction(info.slice(at));
    if (parsed) {
      action = parsed.action.kind ? parsed.action : null;
      info = info.slice(0, at).trim();
    }
  }
  // "yaml{2,5,6}" (Killercoda's highlighted lines): the language is what comes before the brace.
  const lang = (/^[\w+#.-]+/.exec(info)?.[0] ?? '').toLowerCase();
  const cls = lang ? ` class="language-${md.utils.escapeHtml(lang)}"` : '';
  const content = token.content.replace(/\n$/, '');
  const pre = `<pre><code${cls}>${md.utils.escapeHtml(content)}</code></pre>`;
  if (!action) return `${pre}\n`;
  const command = addCommand(env, content, action, false);
  return (
    `<div class="lab-cmd lab-cmd-block" data-lab-cmd="${command.id}" data-lab-nonce="${env.nonce}">` +
    `${pre}<div class="lab-cmd-actions">${buttons(env, command)}</div></div>\n`
  );
};

// ---- sanitising ----

let purifier: ReturnType<typeof DOMPurify> | null = null;
let currentNonce = '';
let currentResolve: RenderOptions['resolveImage'];

function getPurifier(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  // Our own instance: the hooks below must not apply to anyone else's sanitising.
  const p = DOMPurify(globalThis.window);
  if (!p.isSupported) throw new Error('HTML sanitising needs a DOM (window.document).');
  p.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element;
    if (typeof el.getAttribute !== 'function') return;
    const genuine = el.getAttribute('data-lab-nonce') === currentNonce && currentNonce !== '';
    for (const name of el.getAttributeNames()) {
      if (name === 'data-lab-nonce' || (!genuine && name.startsWith('data-lab-'))) el.removeAttribute(name);
    }
    if (el.tagName === 'A' && el.hasAttribute('href') && !el.getAttribute('href')?.startsWith('#')) {
      // Lessons link to docs; opening them here would unload the lab.
      el.setAttribute('target', '_blank');
      el.setAttribute('rel', 'noopener noreferrer');
    }
    if (el.tagName === 'IMG') {
      const src = el.getAttribute('src') ?? '';
      if (src && !/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(src)) {
        const resolved = currentResolve?.(src);
        if (resolved) el.setAttribute('src', resolved);
        else {
          el.removeAttribute('src');
          el.setAttribute('title', `Image not in the lesson: ${src}`);
        }
      }
    }
  });
  purifier = p;
  return p;
}

function makeNonce(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Sanitises HTML: no scripts, handlers, style sheets or forms; data-lab-* only with the nonce. */
export function sanitize(html: string, nonce = '', resolveImage?: RenderOptions['resolveImage']): string {
  const p = getPurifier();
  currentNonce = nonce;
  currentResolve = resolveImage;
  try {
    return p.sanitize(html, {
      FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select', 'iframe', 'object', 'embed'],
      ADD_ATTR: ['target'],
    });
  } finally {
    currentNonce = '';
    currentResolve = undefined;
  }
}

/** Renders step Markdown to sanitised HTML and lists its commands. */
export function renderMarkdown(source: string, options: RenderOptions = {}): RenderedMarkdown {
  const env: RenderEnv = { nonce: makeNonce(), commands: [] };
  const raw = md.render(liftFenceActions(source.replace(/\r\n?/g, '\n')), env);
  return { html: sanitize(raw, env.nonce, options.resolveImage), commands: env.commands };
}

/** Only the commands, e.g. for tools and tests; same ids as renderMarkdown. */
export function extractCommands(source: string): LessonCommand[] {
  const env: RenderEnv = { nonce: '', commands: [] };
  md.render(liftFenceActions(source.replace(/\r\n?/g, '\n')), env);
  return env.commands;
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
};

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Resolves image paths relative to a page's Markdown file into data: URLs from the lesson's files. */
export function lessonImageResolver(lesson: Pick<Lesson, 'assets'>, textPath: string): (src: string) => string | undefined {
  return (src) => {
    const path = normalisePath(`${dirname(textPath)}/${decodeURI(src.split(/[?#]/)[0])}`);
    const bytes = lesson.assets.get(path);
    const type = IMAGE_TYPES[path.split('.').pop()?.toLowerCase() ?? ''];
    // An <img> never runs script, SVG included, so data: URLs of these types are safe.
    return bytes && type ? `data:${type};base64,${base64(bytes)}` : undefined;
  };
}
