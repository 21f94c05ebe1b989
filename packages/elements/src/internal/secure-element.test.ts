import { expect, fixture, fixtureSync, html, oneEvent } from '@open-wc/testing';
import { html as litHtml } from 'lit';
import { fmt, mergeStrings } from './i18n.js';
import { SecureElement } from './secure-element.js';

class TestElement extends SecureElement {
  override render() {
    return litHtml`<button @click=${() => this.emit('secure-test', { n: 1 })}>${this.t.retry}</button>`;
  }
}
TestElement.define('secure-test-element');

describe('SecureElement', () => {
  it('warns instead of throwing when a tag is registered twice', () => {
    const warnings: unknown[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
    try {
      class SecondCopy extends SecureElement {}
      expect(() => SecondCopy.define('secure-test-element')).not.to.throw();
      expect(() => TestElement.define('secure-test-element')).not.to.throw();
    } finally {
      console.warn = original;
    }
    expect(warnings).to.have.length(1);
    expect(String(warnings[0])).to.contain('<secure-test-element> is already registered');
    expect(customElements.get('secure-test-element')).to.equal(TestElement);
  });

  it('emits secure-* events that bubble out of shadow roots', async () => {
    const host = fixtureSync(html`<div><secure-test-element></secure-test-element></div>`);
    const el = host.querySelector<TestElement>('secure-test-element')!;
    await el.updateComplete;
    setTimeout(() => el.shadowRoot!.querySelector('button')!.click());
    const event = (await oneEvent(host, 'secure-test')) as CustomEvent;
    expect(event.detail).to.deep.equal({ n: 1 });
    expect(event.bubbles && event.composed).to.equal(true);
  });

  it('takes string overrides from the strings property', async () => {
    const el = await fixture<TestElement>(html`<secure-test-element .strings=${{ retry: 'Nochmal' }}></secure-test-element>`);
    expect(el.shadowRoot!.textContent).to.contain('Nochmal');
  });

  it('merges partial catalogues and fills placeholders', () => {
    const t = mergeStrings({ inbox: 'Posteingang' }, undefined, { sent: 'Gesendet', unknownKey: 'x' } as never);
    expect(t.inbox).to.equal('Posteingang');
    expect(t.sent).to.equal('Gesendet');
    expect(t.trash).to.equal('Trash');
    expect('unknownKey' in t).to.equal(false);
    expect(fmt('{count} unread, {missing}', { count: 3 })).to.equal('3 unread, {missing}');
  });
});
