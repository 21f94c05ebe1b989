import { expect } from '@open-wc/testing';
import DOMPurify from 'dompurify';
import { bodyOf, quoteOf, richText, sanitize, textOf } from './sanitize.js';
import { payloads } from './test/xss.js';

/** DOMPurify as the widget configured it before it had its own walk: the reference the walk is held to. */
const purify = DOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'A') return;
  const href = node.getAttribute('href');
  if (href !== null && !richText.allowedUriPattern.test(href.trim())) node.removeAttribute('href');
  node.setAttribute('target', '_blank');
  node.setAttribute('rel', richText.linkRel);
});
purify.setConfig({
  ALLOWED_TAGS: [...richText.allowedTags],
  ALLOWED_ATTR: [...richText.allowedAttributes],
  ALLOWED_URI_REGEXP: richText.allowedUriPattern,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  IN_PLACE: true,
});
const inert = document.createElement('template').content.ownerDocument;
/** DOMPurify's output, or undefined where it refuses to clean in place (it throws: the old widget showed an error). */
const expected = (html: string) => {
  const root = inert.createElement('blockquote');
  root.innerHTML = html;
  try {
    purify.sanitize(root);
  } catch {
    return undefined;
  }
  return root.innerHTML;
};

/** Only allow-listed elements and attributes, links with a safe address, rel and target. */
const onlyAllowed = (html: string) =>
  [...parse(html).querySelectorAll('*')].every(
    (element) =>
      (richText.allowedTags as readonly string[]).includes(element.localName) &&
      element.getAttributeNames().every((name) => (richText.allowedAttributes as readonly string[]).includes(name)) &&
      (element.localName !== 'a' || (element.getAttribute('target') === '_blank' && richText.allowedUriPattern.test(element.getAttribute('href') ?? 'https:'))),
  );

/** Random markup from pieces that stress the rules; a fixed seed, so a failure shows again. */
function randomMarkup(seed: number, count: number): string[] {
  const pieces = [
    '<p>',
    '</p>',
    '<b>',
    '</b>',
    '<a href="https://x.example">',
    '<a href="javascript:x">',
    '</a>',
    '<ul><li>',
    '</li>',
    '</ul>',
    '<div>',
    '</div>',
    '<span title="t">',
    '</span>',
    '<svg>',
    '</svg>',
    '<math>',
    '<mi>',
    '<style>',
    '</style>',
    '<script>',
    '</script>',
    '<!--',
    '-->',
    '<table><td>',
    '<form>',
    '</form>',
    '<input name="x">',
    '<img src=x onerror=y>',
    '<br>',
    '<pre>',
    '<code>',
    '<noscript>',
    '<template>',
    '<textarea>',
    '<title>',
    '<select>',
    '<option>',
    'text',
    ' ',
    '&lt;b&gt;',
    '<',
    '>',
    '"',
    "'",
    '=',
    '<x-y>',
    '<li>',
    '<blockquote>',
    '<em rel="">',
    '<strong class="c">',
  ];
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(next() * 30) }, () => pieces[Math.floor(next() * pieces.length)]).join(''));
}

const parse = (html: string) => {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content;
};

describe('sanitize', () => {
  it("gives DOMPurify's output for every payload, alone and inside formatting", () => {
    for (const payload of payloads) {
      for (const html of [payload, `<p>${payload}</p>`, `<ul><li><strong>${payload}</strong></li></ul>`, `<table><tr><td>${payload}`]) {
        expect(sanitize(html), html).to.equal(expected(html));
      }
    }
  });

  it("gives DOMPurify's output for random markup", () => {
    let compared = 0;
    for (const html of randomMarkup(22, 1500)) {
      const clean = sanitize(html);
      expect(onlyAllowed(clean), html).to.equal(true);
      const reference = expected(html);
      if (reference === undefined) continue;
      expect(clean, html).to.equal(reference);
      compared++;
    }
    expect(compared).to.be.greaterThan(1200);
  });

  it('keeps the allowed formatting', () => {
    const html =
      '<p><strong>a</strong><b>b</b><em>c</em><i>d</i><u>e</u><s>f</s><br></p><ul><li>g</li></ul><ol><li>h</li></ol><blockquote>i</blockquote><pre><code>j</code></pre>';
    expect(sanitize(html)).to.equal(html);
  });

  it('drops scripts, event handlers, styles, iframes and images', () => {
    const out = parse(
      sanitize('<p onclick="x()" style="color:red" class="c" id="i">t<img src=x onerror=alert(1)><script>alert(1)</script><iframe></iframe></p>'),
    );
    expect(out.querySelector('script, img, iframe')).to.equal(null);
    const p = out.querySelector('p')!;
    expect(p.getAttributeNames()).to.deep.equal([]);
    expect(p.textContent).to.equal('t');
  });

  it('keeps http(s) and mailto links, opening in a new tab without referrer', () => {
    const out = parse(sanitize('<a href="https://example.com/x">x</a><a href="mailto:a@b.c">m</a>'));
    const [web, mail] = out.querySelectorAll('a');
    expect(web.getAttribute('href')).to.equal('https://example.com/x');
    expect(web.getAttribute('target')).to.equal('_blank');
    expect(web.getAttribute('rel')).to.equal('noopener noreferrer nofollow');
    expect(mail.getAttribute('href')).to.equal('mailto:a@b.c');
  });

  it('removes javascript:, data: and relative URLs', () => {
    for (const href of [
      'javascript:alert(1)',
      ' JaVaScRiPt:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:x',
      '/relative',
      '//evil.example',
    ]) {
      const out = parse(sanitize(`<a href="${href}">x</a>`));
      expect(out.querySelector('a')?.hasAttribute('href'), href).to.equal(false);
    }
  });

  it('makes short plain-text previews', () => {
    expect(textOf('<p>Hello <strong>there</strong></p><script>bad()</script>')).to.equal('Hello there');
    expect(textOf(`<p>${'a'.repeat(300)}</p>`, 10)).to.equal(`${'a'.repeat(9)}…`);
  });

  it('quotes a message from its sanitized body, as textOf does', () => {
    for (const body of ['<p>Hello <strong>there</strong></p><script>bad()</script>', '<p>Hi <img src=x onerror="bad()">  <a href="javascript:x">you</a></p>']) {
      expect(quoteOf({ body })).to.equal(textOf(body));
    }
    expect(quoteOf({ body: `<p>${'a'.repeat(300)}</p>` }, 10)).to.equal(`${'a'.repeat(9)}…`);
  });
});

describe('bodyOf', () => {
  // Plain formatting and everything that needs cleaning: the result must be what DOMPurify returns.
  const bodies = [
    '<p>Plain <strong>bold</strong> and <em>italic</em></p><ul><li>one</li></ul><pre><code>x &lt;b&gt; y</code></pre><br>',
    'no markup at all, only text with 1 &lt; 2',
    '<p>Hello<img src="x" onerror="window.__xss = 1"><script>window.__xss = 2</script></p>',
    '<a href="javascript:alert(1)">js</a><a href="https://example.com/">web</a><a>bare</a>',
    '<p onclick="x()" style="color:red" class="c" id="i">attributes</p><p title="t">title</p>',
    '<!-- a comment --><p>after <!-- <b>markup</b> --> the comment</p>',
    '<svg><p>in svg</p></svg><math><mi><p>in math</p></mi></math>',
    '<template><p>in template</p></template><div>div</div><span>span</span><custom-tag>custom</custom-tag>',
    '<iframe src="https://evil.example"></iframe><form><input name="attributes"></form><p>rest</p>',
    '</blockquote></div><p>closing tags of the wrapper</p>',
  ];

  it('is exactly what DOMPurify makes of each body, in a message-body part', () => {
    for (const html of bodies) {
      const body = bodyOf({ body: html });
      expect(body.localName).to.equal('div');
      expect(body.getAttribute('part')).to.equal('message-body');
      expect(body.className).to.equal('body');
      expect(body.innerHTML, html).to.equal(sanitize(html));
      expect(body.innerHTML, html).to.equal(expected(html));
    }
  });

  it('never runs script from a body, even once it is in the page', async () => {
    (window as unknown as { __xss?: number }).__xss = undefined;
    const host = document.createElement('div');
    document.body.append(host);
    host.append(...bodies.map((html) => bodyOf({ body: html })));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((window as unknown as { __xss?: number }).__xss).to.equal(undefined);
    expect(host.querySelector('img, script, iframe, svg, math, template, form, [onclick], [style]')).to.equal(null);
    host.remove();
  });

  it('is made once per message object', () => {
    const message = { body: '<p>Same</p>' };
    expect(bodyOf(message)).to.equal(bodyOf(message));
    expect(bodyOf({ body: '<p>Same</p>' })).to.not.equal(bodyOf(message));
  });
});
