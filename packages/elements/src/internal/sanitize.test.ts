import { expect } from '@open-wc/testing';
import { bodyOf, quoteOf, sanitize, textOf } from './sanitize.js';

const parse = (html: string) => {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content;
};

describe('sanitize', () => {
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
  // Plain formatting (kept as parsed) and everything that needs DOMPurify: the result must be what it returns.
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
