/**
 * The rich-text sanitizer (src/domain/rich-text.ts) replaced DOMPurify on jsdom. Its output must be
 * DOMPurify's, with the same configuration on a fresh jsdom document per call, for every payload of
 * the XSS suite and for random markup; its cost must stay linear in the input, its depth bounded.
 */
import DOMPurifyFactory, { type Config } from 'dompurify';
import fc from 'fast-check';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { richText } from '@secure-inbox/protocol';
import { FORMATTED, payloads } from '../../../e2e/tests/xss-payloads.js';
import { ApiError } from '../src/errors.js';
import { MAX_RICH_TEXT_DEPTH, prepareRichText, sanitizeRichText } from '../src/domain/rich-text.js';
import { htmlToText } from '../src/domain/text.js';

/** The server's former sanitizer: DOMPurify with the allow-list and the link hooks, on jsdom. */
const referenceConfig: Config = {
  ALLOWED_TAGS: [...richText.allowedTags],
  ALLOWED_ATTR: [...richText.allowedAttributes],
  ALLOWED_URI_REGEXP: richText.allowedUriPattern,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
};
function referencePurifier() {
  const purifier = DOMPurifyFactory(new JSDOM('<!DOCTYPE html>').window as unknown as Window & typeof globalThis);
  purifier.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (!richText.allowedUriPattern.test(href.trim())) node.removeAttribute('href');
      node.setAttribute('rel', richText.linkRel);
      node.setAttribute('target', '_blank');
    }
  });
  // Web addresses written as plain text (outside links) become links, built as nodes and checked like any link.
  purifier.addHook('afterSanitizeElements', (node) => {
    if (node.nodeType !== 3 || !node.parentElement || node.parentElement.closest('a')) return;
    const parts = (node.textContent ?? '').split(/(\bhttps?:\/\/[^\s<>"]*[^\s<>"'.,;:!?)\]])/i);
    if (parts.length < 2) return;
    const document = node.ownerDocument!;
    (node as unknown as ChildNode).replaceWith(
      ...parts.map((part, index) => {
        if (index % 2 === 0) return part;
        const link = document.createElement('a');
        link.setAttribute('href', part);
        link.setAttribute('rel', richText.linkRel);
        link.setAttribute('target', '_blank');
        link.textContent = part;
        return link;
      }),
    );
  });
  return purifier;
}
// jsdom builds a document per call with listeners on its window that are never removed: a fresh
// window every few hundred calls keeps the reference fast.
let reference = referencePurifier();
let referenceCalls = 0;
function expected(html: string): string {
  if (++referenceCalls % 300 === 0) reference = referencePurifier();
  // Text without markup but with a web address is read as a paragraph, so that the address becomes a link.
  const input = !html.includes('<') && html.includes('://') ? `<p>${html}</p>` : html;
  return reference.sanitize(input, referenceConfig).trim();
}

/**
 * Markup pieces that exercise the parser: misnesting, foreign content, templates, comments, entities.
 * No `<table>`: jsdom puts text the parser moves out of a table after it, where the standard (and
 * every browser) puts it before; see "places text moved out of a table as the standard does".
 */
const piece = fc.oneof(
  fc.constantFrom(
    '<p>',
    '</p>',
    '<b>',
    '</b>',
    '<i>',
    '</i>',
    '<strong>',
    '<em>',
    '</em>',
    '<ul>',
    '<li>',
    '</ul>',
    '<ol>',
    '<blockquote>',
    '<pre>',
    '</pre>',
    '<code>',
    '<br>',
    '<a href="https://example.com/x">',
    '<a href="javascript:alert(1)">',
    '<a href=" mailto:x@example.com ">',
    '</a>',
    '<a target="x" href="https://e.example/--></style>">',
    '<p rel="" target="https://x.example">',
    '<a rel="nofollow" href="ht tps://x">',
    '<tr>',
    '<td>',
    '</table>',
    '<svg>',
    '</svg>',
    '<math>',
    '<mi>',
    '<mglyph>',
    '<style>',
    '</style>',
    '<script>',
    '</script>',
    '<template>',
    '</template>',
    '<noscript>',
    '<title>',
    '<textarea>',
    '<xmp>',
    '<iframe>',
    '<img src=x onerror=alert(1)>',
    '<!--',
    '-->',
    '<![CDATA[',
    ']]>',
    '<!DOCTYPE html>',
    '<html>',
    '<head>',
    '<body onload=alert(1)>',
    '<frameset>',
    '<form>',
    '<input name="attributes">',
    '<div id="x" style="color:red" data-x="1" aria-label="l">',
    '</div>',
    '<p class="c">',
    '&amp;',
    '&lt;',
    '&#60;',
    '&nbsp;',
    '&bogus;',
    '\u0000',
    '\r\n',
    ' ',
    '\t',
    '\n',
    '"',
    "'",
    '<',
    '>',
    '=',
    '/',
    '\u202e',
    '😀',
    '\ud800',
  ),
  fc.string({ maxLength: 8 }),
);
const markup = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''));

/** Milliseconds `run` takes, the best of three (a catastrophic-backtracking guard, not a benchmark). */
function millis(run: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    try {
      run();
    } catch {
      // refusals are timed too
    }
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

describe('the rich-text sanitizer', () => {
  it("gives DOMPurify's output for every XSS payload, alone and inside formatting", () => {
    expect(payloads.length).toBeGreaterThan(50);
    for (const p of [...payloads.map((x) => x.text), FORMATTED]) {
      for (const html of [p, `<p>${p}</p>`, `  ${p}`, `${FORMATTED}${p}`, `<table><tr><td>${p}`]) {
        expect(sanitizeRichText(html), html).toBe(expected(html));
      }
    }
  });

  it("gives DOMPurify's output for random markup", () => {
    fc.assert(
      fc.property(markup, (html) => {
        expect(sanitizeRichText(html)).toBe(expected(html));
      }),
      { numRuns: 600 },
    );
  });

  it('keeps allowed formatting and links, removes the rest', () => {
    expect(sanitizeRichText(FORMATTED)).toBe(
      '<p><strong>Bold words</strong> and <em>emphasis</em>, a <a href="https://example.com/permit" rel="noopener noreferrer nofollow" target="_blank">permit link</a>.</p><ul><li>first item</li><li>second item</li></ul>',
    );
    expect(sanitizeRichText('<p onclick="x()">a<script>alert(1)</script><a href="javascript:alert(1)">b</a></p>')).toBe(
      '<p>a<a rel="noopener noreferrer nofollow" target="_blank">b</a></p>',
    );
    expect(sanitizeRichText('no markup & no tags')).toBe('no markup & no tags');
  });

  it('makes plain-text http(s) addresses links, as safe as written links, and nothing else', () => {
    const link = (href: string) => `<a href="${href}" rel="noopener noreferrer nofollow" target="_blank">${href}</a>`;
    expect(sanitizeRichText('<p>See https://x.example/a?b=1&amp;c=2. Or (http://q.example/faq)!</p>')).toBe(
      `<p>See ${link('https://x.example/a?b=1&amp;c=2')}. Or (${link('http://q.example/faq')})!</p>`,
    );
    expect(sanitizeRichText('plain https://b.example/x')).toBe(`<p>plain ${link('https://b.example/x')}</p>`);
    // Written links stay as they are; their text is not linked again.
    expect(sanitizeRichText('<p><a href="https://y.example">https://y.example</a></p>')).toBe(`<p>${link('https://y.example')}</p>`);
    for (const text of [
      'javascript:alert(1)',
      'javascript://x.example/%0aalert(1)',
      'ftp://files.example/x',
      'data:text/html,hi',
      'http://"onmouseover=alert(1)//',
      'mailto:a@b.example',
    ]) {
      expect(sanitizeRichText(`<p>${text} and more</p>`)).not.toContain('<a');
    }
    // Linear in the length, also for long runs that almost look like an address.
    const started = performance.now();
    sanitizeRichText(`<p>${'http://'.repeat(20_000)}${'.'.repeat(50_000)} ${'https://a'.repeat(20_000)}</p>`);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('gives links only http(s) and mailto addresses, and always its own rel and target', () => {
    const link = (attributes: string) => sanitizeRichText(`<a ${attributes}>x</a>`);
    const rel = 'rel="noopener noreferrer nofollow" target="_blank"';
    expect(link('href="https://example.com/a?b=1&amp;c=2"')).toBe(`<a href="https://example.com/a?b=1&amp;c=2" ${rel}>x</a>`);
    expect(link('href=" mailto:someone@example.com "')).toBe(`<a href="mailto:someone@example.com" ${rel}>x</a>`);
    expect(link('href="HTTP://EXAMPLE.COM"')).toBe(`<a href="HTTP://EXAMPLE.COM" ${rel}>x</a>`);
    for (const href of [
      'javascript:alert(1)',
      'data:text/html,x',
      'vbscript:x',
      '/relative',
      '#top',
      '//example.com',
      'ftp://example.com',
      'tel:123',
      'ht tps://x',
    ]) {
      expect(link(`href="${href}"`), href).toBe(`<a ${rel}>x</a>`);
    }
    expect(link('target="_top" rel="opener" href="https://example.com"')).toBe(
      '<a href="https://example.com" rel="noopener noreferrer nofollow" target="_blank">x</a>',
    );
    expect(link('href="https://example.com" id="x" name="y" class="z" style="color:red" onclick="alert(1)"')).toBe(
      `<a href="https://example.com" ${rel}>x</a>`,
    );
  });

  it('places text moved out of a table as the standard does (before the table, as a browser shows it)', () => {
    expect(sanitizeRichText('<table>before<b>bold</b><tr><td>cell</td></tr></table>')).toBe('before<b>bold</b>cell');
  });

  it(`accepts ${MAX_RICH_TEXT_DEPTH} nested elements and refuses one more with 422 naming the bound`, () => {
    expect(sanitizeRichText(`${'<b>'.repeat(MAX_RICH_TEXT_DEPTH)}deep`)).toBe(`${'<b>'.repeat(MAX_RICH_TEXT_DEPTH)}deep${'</b>'.repeat(MAX_RICH_TEXT_DEPTH)}`);
    for (const html of [
      `${'<b>'.repeat(MAX_RICH_TEXT_DEPTH + 1)}deep`,
      '<div>'.repeat(3999),
      '<b>'.repeat(6666),
      '<template>'.repeat(4000),
      '<ul><li>'.repeat(2000),
    ]) {
      let error: unknown;
      try {
        sanitizeRichText(html);
      } catch (e) {
        error = e;
      }
      expect(error, html.slice(0, 30)).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 422, code: 'invalid', details: [{ field: 'body', message: expect.stringContaining('64') }] });
      expect((error as Error).message).toContain('64');
    }
  });

  it('costs time linear in the input: 20,000 characters of hostile markup take milliseconds', () => {
    const hostile = {
      nestedBold: '<b>'.repeat(6666),
      nestedDivs: '<div>'.repeat(3999),
      spaces: `<p>a${' '.repeat(19990)}b</p>`,
      spacesBeforeBreaks: `<p>a${' '.repeat(19990)}<br>b</p>`,
      openBrackets: '<'.repeat(20000),
      unclosedTags: '<b'.repeat(10000),
      links: '<a>'.repeat(6666),
      tables: '<table>'.repeat(2857),
      misnested: '<b><p>'.repeat(3333),
      reopened: Array.from({ length: 1200 }, (_, i) => `<p><b x=${i}></p>`).join(''),
      adoption: '<b><i><u><s>'.repeat(10) + '</b>'.repeat(4900),
      attributes: `<b ${Array.from({ length: 5000 }, (_, i) => i.toString(36)).join(' ')}>`,
      entities: '&#x'.repeat(6666),
      comments: '<!--'.repeat(5000),
    };
    for (const [name, html] of Object.entries(hostile)) {
      expect(html.length, name).toBeGreaterThan(15_000);
      expect(
        millis(() => prepareRichText(html)),
        name,
      ).toBeLessThan(250);
    }
  });

  it('keeps the plain text of a body as before: lines, paragraphs, entities', () => {
    expect(htmlToText('<p>Hello <b>there</b>,</p><p>line one<br>line two</p><ul><li>a &amp; b</li><li>x&nbsp;&lt;y&gt;&#65;&#x42;</li></ul>')).toBe(
      'Hello there,\nline one\nline two\na & b\nx <y>AB',
    );
    expect(htmlToText('<p>a  \t </p>\n\n\n\n<p>b</p>')).toBe('a\n\nb');
    expect(htmlToText(`<p>a${' '.repeat(50)}</p>`)).toBe('a');
  });

  it('makes the plain text of a long padded body in linear time', () => {
    for (const html of [
      `<p>a${' '.repeat(19990)}b</p>`,
      `a${' \t'.repeat(10000)}b`,
      '<'.repeat(20000),
      '<br'.repeat(6666),
      '&'.repeat(20000),
      `&${'a'.repeat(19999)}`,
      `&#x${'1'.repeat(19997)}`,
    ]) {
      expect(
        millis(() => htmlToText(html)),
        html.slice(0, 10),
      ).toBeLessThan(100);
    }
  });
});
