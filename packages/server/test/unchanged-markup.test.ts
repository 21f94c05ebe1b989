/**
 * `unchangedBySanitizer` lets bodies skip DOMPurify. It must only ever accept markup that DOMPurify
 * (with the rich-text allow-list, on a fresh document) returns unchanged, and it should accept the
 * usual bodies the widget's editor writes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORMATTED, payloads } from '../../../e2e/tests/xss-payloads.js';
import { referencePurifier } from '../src/domain/sanitizer.js';
import { addLinkHook, richTextConfig, sanitizeRichText } from '../src/domain/rich-text.js';
import { unchangedBySanitizer } from '../src/domain/unchanged-markup.js';

let reference = referencePurifier();
addLinkHook(reference);
let calls = 0;
/** DOMPurify's output as the server produced it before the fast path. */
function purified(html: string): string {
  // The reference leaks listeners per call (see sanitizer.ts): a fresh one every few hundred calls.
  if (++calls % 300 === 0) {
    reference = referencePurifier();
    addLinkHook(reference);
  }
  return reference.sanitize(html, richTextConfig).trim();
}

const TAGS = ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'code', 'ul', 'ol', 'li', 'blockquote', 'pre'];
/** Text that is mostly harmless, with the characters the parser or serializer would rewrite mixed in. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('Hello', '\nline', 'the form', 'a b', ' ', '\n', '\t', '&amp;', '&lt;', '&gt;', '&nbsp;', '"quoted"', "it's", '😀', 'Ünïcödé') },
  { weight: 1, arbitrary: fc.constantFrom('&', '<', '>', '\u00a0', '\r', '\u0000', '\u000c', '\ufeff', '\ud800', '&#60;', '&quot;', '\n\n', ' x ') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
/** Trees of allowed elements in any arrangement (valid or not), serialized as the editor would. */
const { tree } = fc.letrec<{ tree: string; node: string }>((tie) => ({
  tree: fc.array(tie('node'), { maxLength: 5 }).map((parts) => parts.join('')),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.constant('<br>'),
    fc.tuple(fc.constantFrom(...TAGS.filter((t) => t !== 'br')), tie('tree')).map(([tag, inner]) => `<${tag}>${inner}</${tag}>`),
  ),
}));
/** The same, with the occasional stray or foreign piece. */
const noisy = fc
  .tuple(tree, fc.array(fc.tuple(fc.nat(), fc.constantFrom('<p>', '</b>', '<li>', '</ul>', '<a href="https://x">', '<br/>', '<P>', '<!-- c -->', '<table>', '<b class="x">', '<em >', '\n')), { maxLength: 2 }))
  .map(([html, inserts]) => inserts.reduce((s, [at, piece]) => s.slice(0, at % (s.length + 1)) + piece + s.slice(at % (s.length + 1)), html));

describe('markup the sanitizer returns unchanged', () => {
  it('accepts the usual bodies the editor writes', () => {
    for (const html of [
      '<p>Thanks, we received the signed form and will review it this week.</p>',
      '<p>Hello,</p><p>could you send the <strong>permit</strong> again?<br>Thanks &amp; regards</p>',
      '<ul><li>first</li><li><em>second</em></li></ul><blockquote><p>quoted</p></blockquote><pre>a  b\n  c</pre>',
      'plain text only',
    ]) {
      expect(unchangedBySanitizer(html), html).toBe(true);
      expect(purified(html)).toBe(html);
    }
  });

  it('refuses links, attributes, comments, misnesting and what the parser would move or rewrite', () => {
    for (const html of [
      '<p><a href="https://example.com">x</a></p>',
      '<p class="x">x</p>',
      '<p>a<!-- c --></p>',
      '<b><i>x</b></i>',
      '<p><ul><li>x</li></ul></p>',
      '<li>x</li>',
      '<ul>text<li>x</li></ul>',
      '<pre>\nx</pre>',
      '<P>x</P>',
      '<br/>',
      '<p>a &copy; b</p>',
      '<p>a\u00a0b</p>',
      '<p>x</p>\n',
      '<p>x',
      `${'<b>'.repeat(40)}x${'</b>'.repeat(40)}`,
    ]) {
      expect(unchangedBySanitizer(html), html).toBe(false);
    }
  });

  it('never accepts a body that DOMPurify would change, on generated markup', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(tree, noisy), (html) => {
        if (!unchangedBySanitizer(html)) return;
        accepted++;
        expect(purified(html)).toBe(html);
      }),
      { numRuns: 4000 },
    );
    // The property means something only if the generator reaches accepted markup often.
    expect(accepted).toBeGreaterThan(400);
  });

  it('refuses every XSS payload that carries markup, and sanitizing gives DOMPurify output for all of them', () => {
    for (const p of [...payloads.map((x) => x.text), FORMATTED]) {
      if (p.includes('<a ') || /<\w+[^>]*\s\w+=/.test(p)) expect(unchangedBySanitizer(p), p).toBe(false);
      expect(sanitizeRichText(p), p).toBe(purified(p));
    }
  });
});
