import { expect, fixture, html } from '@open-wc/testing';
import { LitElement, html as litHtml } from 'lit';
import { defaultStrings } from './i18n.js';
import { Lazy } from './lazy.js';
import { shared } from './shared.styles.js';

/** A module that registers `<secure-lazy-part>`; each load waits for the test to end it. */
const loads: { finish: () => void; fail: (error: Error) => void }[] = [];
const loadPart = () =>
  new Promise<void>((finish, fail) =>
    loads.push({
      finish: () => {
        if (!customElements.get('secure-lazy-part')) customElements.define('secure-lazy-part', class extends HTMLElement {});
        finish();
      },
      fail,
    }),
  );

class LazyHost extends LitElement {
  static override styles = shared;
  answers = new Lazy(this, loadPart, 'secure-lazy-part');
  override render() {
    return litHtml`<p>Thread</p> ${this.answers.render(defaultStrings, () => litHtml`<secure-lazy-part>Answer panel</secure-lazy-part>`)}`;
  }
}
customElements.define('secure-lazy-host', LazyHost);

const settle = async (el: LazyHost) => {
  await new Promise((resolve) => setTimeout(resolve));
  await el.updateComplete;
};
const text = (el: Element) => el.shadowRoot!.textContent!.replace(/\s+/g, ' ').trim();

describe('Lazy', () => {
  it('shows a loading state while the module loads, a readable error with Retry when it fails, then the part', async () => {
    const el = await fixture<LazyHost>(html`<secure-lazy-host></secure-lazy-host>`);
    expect(el.shadowRoot!.querySelector('[part~="loading"]')!.getAttribute('role')).to.equal('status');
    expect(text(el)).to.equal(`Thread ${defaultStrings.loading}`);
    await expect(el).to.be.accessible();

    loads[0].fail(new TypeError('Failed to fetch dynamically imported module'));
    await settle(el);
    const error = el.shadowRoot!.querySelector('[part~="error"]')!;
    expect(error.getAttribute('role')).to.equal('alert');
    expect(error.textContent).to.contain(defaultStrings.errorUnreachable);
    expect(el.shadowRoot!.querySelector('secure-lazy-part')).to.equal(null);
    await expect(el).to.be.accessible();

    el.requestUpdate();
    await settle(el);
    expect(loads).to.have.length(1);
    el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="retry"]')!.click();
    await settle(el);
    expect(loads).to.have.length(2);
    expect(el.shadowRoot!.querySelector('[part~="loading"]')).to.not.equal(null);

    loads[1].finish();
    await settle(el);
    expect(text(el)).to.equal('Thread Answer panel');
    expect(el.shadowRoot!.querySelector('[part~="loading"], [part~="error"]')).to.equal(null);
    await expect(el).to.be.accessible();
  });

  it('renders the part at once when its elements are already registered', async () => {
    const el = await fixture<LazyHost>(html`<secure-lazy-host></secure-lazy-host>`);
    expect(text(el)).to.equal('Thread Answer panel');
    expect(loads).to.have.length(2);
  });
});
