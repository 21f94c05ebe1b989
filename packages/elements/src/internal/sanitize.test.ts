import { expect } from '@open-wc/testing';
import { sanitize, textOf } from './sanitize.js';

const parse = (html: string) => {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content;
};

describe('sanitize', () => {
  it('keeps the allowed formatting', () => {
    const html = '<p><strong>a</strong><b>b</b><em>c</em><i>d</i><u>e</u><s>f</s><br></p><ul><li>g</li></ul><ol><li>h</li></ol><blockquote>i</blockquote><pre><code>j</code></pre>';
    expect(sanitize(html)).to.equal(html);
  });

  it('drops scripts, event handlers, styles, iframes and images', () => {
    const out = parse(sanitize('<p onclick="x()" style="color:red" class="c" id="i">t<img src=x onerror=alert(1)><script>alert(1)</script><iframe></iframe></p>'));
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
    for (const href of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', '/relative', '//evil.example']) {
      const out = parse(sanitize(`<a href="${href}">x</a>`));
      expect(out.querySelector('a')?.hasAttribute('href'), href).to.equal(false);
    }
  });

  it('makes short plain-text previews', () => {
    expect(textOf('<p>Hello <strong>there</strong></p><script>bad()</script>')).to.equal('Hello there');
    expect(textOf(`<p>${'a'.repeat(300)}</p>`, 10)).to.equal(`${'a'.repeat(9)}…`);
  });
});
