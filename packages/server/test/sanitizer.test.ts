/**
 * The sanitizer parses into one reused document (src/domain/sanitizer.ts). Its output must be the
 * output of DOMPurify on a fresh document per call, as isomorphic-dompurify ran it, for every input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORMATTED, payloads } from '../../../e2e/tests/xss-payloads.js';
import { referencePurifier, reusesDocument } from '../src/domain/sanitizer.js';
import { addLinkHook, richTextConfig, sanitizeRichText } from '../src/domain/rich-text.js';

// The reference builds a document per call and, with it, listeners on its window that are never
// removed: it gets slower with every call, so a fresh one is made every few hundred.
let reference = referencePurifier();
let referenceCalls = 0;
function expected(html: string): string {
  if (++referenceCalls % 300 === 0) reference = referencePurifier();
  if (referenceCalls % 300 === 0 || referenceCalls === 1) addLinkHook(reference);
  return reference.sanitize(html, richTextConfig).trim();
}

/** Markup pieces that exercise the parser: misnesting, foreign content, tables, templates, comments, entities. */
const piece = fc.oneof(
  fc.constantFrom(
    '<p>', '</p>', '<b>', '</b>', '<i>', '</i>', '<strong>', '<em>', '</em>', '<ul>', '<li>', '</ul>', '<ol>', '<blockquote>', '<pre>', '</pre>',
    '<code>', '<br>', '<a href="https://example.com/x">', '<a href="javascript:alert(1)">', '<a href=" mailto:x@example.com ">', '</a>',
    '<table>', '<tr>', '<td>', '</table>', '<svg>', '</svg>', '<math>', '<mi>', '<mglyph>', '<style>', '</style>', '<script>', '</script>',
    '<template>', '</template>', '<noscript>', '<title>', '<textarea>', '<xmp>', '<iframe>', '<img src=x onerror=alert(1)>', '<!--', '-->',
    '<![CDATA[', ']]>', '<!DOCTYPE html>', '<html>', '<head>', '<body onload=alert(1)>', '<frameset>', '<form>', '<input name="attributes">',
    '<div id="x" style="color:red" data-x="1" aria-label="l">', '</div>', '<p class="c">', '&amp;', '&lt;', '&#60;', '&nbsp;', '&bogus;',
    '\u0000', '\r\n', ' ', '\t', '\n', '"', "'", '<', '>', '=', '/', '\u202e', '😀', '\ud800',
  ),
  fc.string({ maxLength: 8 }),
);
const markup = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''));

describe('the rich-text sanitizer', () => {
  it('parses into one reused document (jsdom parser found)', () => {
    expect(reusesDocument).toBe(true);
  });

  it('gives the output of a fresh document for every XSS payload, alone and inside formatting', () => {
    expect(payloads.length).toBeGreaterThan(50);
    for (const p of [...payloads.map((x) => x.text), FORMATTED]) {
      for (const html of [p, `<p>${p}</p>`, `  ${p}`, `${FORMATTED}${p}`, `<table><tr><td>${p}`]) {
        expect(sanitizeRichText(html), html).toBe(expected(html));
      }
    }
  });

  it('gives the output of a fresh document for random markup, in any order of calls', () => {
    fc.assert(
      fc.property(markup, markup, (a, b) => {
        // Two in a row: whatever the first left behind in the document must not reach the second.
        expect(sanitizeRichText(a)).toBe(expected(a));
        expect(sanitizeRichText(b)).toBe(expected(b));
      }),
      { numRuns: 400 },
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
    for (const text of ['javascript:alert(1)', 'javascript://x.example/%0aalert(1)', 'ftp://files.example/x', 'data:text/html,hi', 'http://"onmouseover=alert(1)//', 'mailto:a@b.example']) {
      expect(sanitizeRichText(`<p>${text} and more</p>`)).not.toContain('<a');
    }
    // Linear in the length, also for long runs that almost look like an address.
    const started = performance.now();
    sanitizeRichText(`<p>${'http://'.repeat(20_000)}${'.'.repeat(50_000)} ${'https://a'.repeat(20_000)}</p>`);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('costs no more after thousands of calls than at first (no per-call document, no listener build-up)', () => {
    const body = '<p>Thanks, we received the signed form and will review it this week.</p>';
    const time = (n: number) => {
      const started = performance.now();
      for (let i = 0; i < n; i++) sanitizeRichText(body);
      return (performance.now() - started) / n;
    };
    time(300);
    const early = time(500);
    time(4000);
    const late = time(500);
    // A fresh document per call grew several times slower over this many calls; a generous bound for a busy machine.
    expect(late).toBeLessThan(Math.max(early * 3, 0.5));
  });
});
