// @vitest-environment jsdom
// DOMPurify needs a DOM: jsdom stands in for the browser here.
import { describe, expect, it } from 'vitest';
import { extractCommands, lessonImageResolver, liftFenceActions, renderMarkdown, sanitize } from '../../web/lessons/markdown';

const STEP = [
  'Run it:',
  '',
  '```',
  'docker run --name imported busybox echo imported',
  '```{{exec}}',
  '',
  'Stop the blocking one and look:',
  '',
  '```plain',
  'docker ps -a',
  'docker images',
  '```{{exec interrupt}}',
  '',
  'Copy this into a file:',
  '',
  '```yaml{2}',
  'services:',
  '  web: {}',
  '```{{copy}}',
  '',
  'Inline: `ls -lh`{{exec}}, `whoami`{{exec interrupt}}, `copy me`{{copy}}, `just code`, `not copyable`{{}}.',
  '',
  'A plain block:',
  '',
  '```',
  'not a command',
  '```',
].join('\n');

function fragment(html: string): DocumentFragment {
  const t = document.createElement('template');
  t.innerHTML = html;
  return t.content;
}

describe('command extraction', () => {
  it('finds {{exec}}, {{exec interrupt}} and {{copy}} blocks and inline spans, in document order with stable ids', () => {
    const commands = extractCommands(STEP);
    expect(commands).toEqual([
      { id: 'cmd-0', text: 'docker run --name imported busybox echo imported', kind: 'exec', interrupt: false, inline: false },
      { id: 'cmd-1', text: 'docker ps -a\ndocker images', kind: 'exec', interrupt: true, inline: false },
      { id: 'cmd-2', text: 'services:\n  web: {}', kind: 'copy', interrupt: false, inline: false },
      { id: 'cmd-3', text: 'ls -lh', kind: 'exec', interrupt: false, inline: true },
      { id: 'cmd-4', text: 'whoami', kind: 'exec', interrupt: true, inline: true },
      { id: 'cmd-5', text: 'copy me', kind: 'copy', interrupt: false, inline: true },
    ]);
    // Same Markdown, same ids: the UI can keep references across renders.
    expect(renderMarkdown(STEP).commands).toEqual(commands);
  });

  it('renders one Run or Copy button per command, tied to its id, and strips the markers', () => {
    const { html } = renderMarkdown(STEP);
    const doc = fragment(html);
    const buttons = [...doc.querySelectorAll('button[data-lab-cmd]')];
    expect(buttons.map((b) => [b.getAttribute('data-lab-cmd'), b.textContent])).toEqual([
      ['cmd-0', 'Run'],
      ['cmd-1', 'Run'],
      ['cmd-2', 'Copy'],
      ['cmd-3', 'Run'],
      ['cmd-4', 'Run'],
      ['cmd-5', 'Copy'],
    ]);
    expect(html).not.toContain('{{');
    expect(doc.querySelector('[data-lab-cmd="cmd-2"] code')?.className).toBe('language-yaml');
    // The nonce that proves the buttons are ours never reaches the page.
    expect(html).not.toContain('data-lab-nonce');
    expect(doc.textContent).toContain('not a command');
  });

  it('accepts Katacoda\'s {{execute}} and keeps text after a fence that is not an action inside the block', () => {
    expect(extractCommands('`pwd`{{execute}}')).toMatchObject([{ text: 'pwd', kind: 'exec' }]);
    const src = '```\nline\n``` not a close\n```{{exec}}';
    expect(liftFenceActions(src)).toBe('``` {{exec}}\nline\n``` not a close\n```');
    expect(extractCommands(src)).toMatchObject([{ text: 'line\n``` not a close', kind: 'exec' }]);
  });

  it('finds commands inside lists and <details> (Killercoda solution dropdowns)', () => {
    const src = '<details><summary>Solution</summary>\n\n```plain\nkubectl create namespace flower\n```{{exec}}\n\n</details>\n\n1. First\n\n   ```\n   echo in a list\n   ```{{exec}}\n';
    expect(extractCommands(src).map((c) => c.text)).toEqual(['kubectl create namespace flower', 'echo in a list']);
    const doc = fragment(renderMarkdown(src).html);
    expect(doc.querySelector('details button[data-lab-cmd="cmd-0"]')).not.toBeNull();
  });

  it('renders :::note blocks as callouts, with Markdown inside', () => {
    const { html } = renderMarkdown(':::note\nThe original pulls **nginx:alpine**; here it is `nginx:1.22`.\n:::\n\n:::note Offline\nText\n:::');
    const doc = fragment(html);
    const notes = doc.querySelectorAll('aside.lab-note[role="note"]');
    expect(notes).toHaveLength(2);
    expect(notes[0].querySelector('.lab-note-title')?.textContent).toBe('Adapted for the offline lab');
    expect(notes[0].querySelector('strong')?.textContent).toBe('nginx:alpine');
    expect(notes[1].querySelector('.lab-note-title')?.textContent).toBe('Offline');
  });
});

describe('sanitising', () => {
  it('never lets a <script> or an onerror= through', () => {
    const evil = [
      'Hello <script>window.__pwned = 1</script>',
      '',
      '<img src="x.png" onerror="window.__pwned = 2">',
      '',
      '<div onclick="alert(1)">click</div>',
      '',
      '[link](javascript:alert(1)) and <a href="javascript:alert(2)">a</a>',
      '',
      '<svg><script>alert(3)</script></svg><iframe src="https://example.com"></iframe><style>body{display:none}</style>',
    ].join('\n');
    const { html } = renderMarkdown(evil);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/onerror/i);
    expect(html).not.toMatch(/onclick/i);
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).not.toMatch(/<iframe|<style/i);
    const doc = fragment(html);
    expect(doc.textContent).toContain('Hello');
    expect(doc.querySelector('img')).not.toBeNull();
    expect([...doc.querySelectorAll('a')].map((a) => a.getAttribute('href'))).toEqual([null]);
    // And nothing ran while sanitising.
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it('drops data-lab-* attributes a lesson writes itself, so it cannot forge a Run button', () => {
    const { html, commands } = renderMarkdown('<button data-lab-cmd="cmd-0" data-lab-nonce="guess">Run rm -rf</button>\n\n`true`{{exec}}');
    const doc = fragment(html);
    const forged = [...doc.querySelectorAll('button')].find((b) => b.textContent === 'Run rm -rf');
    expect(forged?.hasAttribute('data-lab-cmd')).toBe(false);
    expect(doc.querySelectorAll('button[data-lab-cmd]')).toHaveLength(1);
    expect(commands).toHaveLength(1);
    // Without the right nonce, even our own markup is stripped.
    expect(sanitize('<span data-lab-cmd="cmd-0" data-lab-nonce="x">a</span>', 'y')).toBe('<span>a</span>');
  });

  it('opens links in a new tab, away from the running lab', () => {
    const a = fragment(renderMarkdown('[Docker docs](https://docs.docker.com/)').html).querySelector('a');
    expect(a?.getAttribute('target')).toBe('_blank');
    expect(a?.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('resolves images relative to the step file into data: URLs, and drops unknown ones', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const lesson = { assets: new Map([['assets/logo.png', png]]) };
    const resolveImage = lessonImageResolver(lesson, 'step2/images.md');
    const doc = fragment(renderMarkdown('![logo](../assets/logo.png)\n\n<img src="./missing.png">', { resolveImage }).html);
    const [logo, missing] = [...doc.querySelectorAll('img')];
    expect(logo.getAttribute('src')).toBe('data:image/png;base64,iVBORw==');
    expect(missing.hasAttribute('src')).toBe(false);
  });
});
