import { expect, fixture, html } from '@open-wc/testing';
import { LitElement, html as litHtml } from 'lit';
import { property } from 'lit/decorators.js';
import { COMPLETE, ERROR, Load, PENDING } from './load.js';

/** Each run waits for its own `finish` call, so a test decides the order in which runs end. */
class LoadElement extends LitElement {
  @property() key = 'a';
  runs: { key: string; signal: AbortSignal; finish: (value: string) => void; fail: (error: Error) => void }[] = [];
  load = new Load(
    this,
    ([key], signal) => new Promise<string>((finish, fail) => this.runs.push({ key, signal, finish, fail })),
    () => [this.key] as const,
  );

  override render() {
    return litHtml`${this.load.status}:${this.load.value ?? ''}:${this.load.error ? 'error' : ''}`;
  }
}
customElements.define('secure-load-test', LoadElement);

const settle = async (el: LoadElement) => {
  await new Promise((resolve) => setTimeout(resolve));
  await el.updateComplete;
};

describe('Load', () => {
  it('runs when an argument changes, not on other updates, and renders the outcome', async () => {
    const el = await fixture<LoadElement>(html`<secure-load-test></secure-load-test>`);
    expect(el.load.status).to.equal(PENDING);
    el.runs[0].finish('one');
    await settle(el);
    expect(el.load.status).to.equal(COMPLETE);
    expect(el.shadowRoot!.textContent).to.equal(`${COMPLETE}:one:`);
    el.requestUpdate();
    await settle(el);
    expect(el.runs).to.have.length(1);
    el.key = 'b';
    await settle(el);
    expect(el.runs.map((run) => run.key)).to.deep.equal(['a', 'b']);
    el.runs[1].fail(new Error('down'));
    await settle(el);
    expect(el.load.status).to.equal(ERROR);
    expect(el.load.value).to.equal(undefined);
    expect(el.shadowRoot!.textContent).to.equal(`${ERROR}::error`);
  });

  it('keeps only the latest run when an earlier one ends later, and aborts the signal of the one it supersedes', async () => {
    const el = await fixture<LoadElement>(html`<secure-load-test></secure-load-test>`);
    expect(el.runs[0].signal.aborted).to.equal(false);
    el.key = 'b';
    await settle(el);
    expect(el.runs[0].signal.aborted, 'the superseded run').to.equal(true);
    expect(el.runs[1].signal.aborted).to.equal(false);
    el.runs[1].finish('new');
    await settle(el);
    el.runs[0].finish('old');
    await settle(el);
    expect(el.load.value).to.equal('new');
    expect(el.load.status).to.equal(COMPLETE);
  });
});
