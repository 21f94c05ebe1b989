import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { focused, text } from '../../internal/test/mocks.js';
import './rich-editor.js';
import type { SecureRichEditor } from './rich-editor.js';

const tool = (el: SecureRichEditor, label: string) => el.shadowRoot!.querySelector<HTMLButtonElement>(`[aria-label="${label}"]`)!;
const area = (el: SecureRichEditor) => el.shadowRoot!.querySelector<HTMLElement>('[part~="editor"]')!;

describe('rich editor', () => {
  it('is a labelled multi-line textbox with a formatting toolbar', async () => {
    const el = await fixture<SecureRichEditor>(html`<secure-rich-editor label="Message"></secure-rich-editor>`);
    expect(area(el).getAttribute('role')).to.equal('textbox');
    expect(area(el).getAttribute('aria-multiline')).to.equal('true');
    expect(text(el.shadowRoot!.querySelector('#label'))).to.equal('Message');
    const toolbar = el.shadowRoot!.querySelector('[part~="toolbar"]')!;
    expect(toolbar.getAttribute('role')).to.equal('toolbar');
    expect([...toolbar.querySelectorAll('button')].map((b) => b.getAttribute('aria-label'))).to.deep.equal(['Bold', 'Italic', 'Bulleted list', 'Link']);
    await expect(el).to.be.accessible();
  });

  it('moves between tools with the arrow keys (one tab stop)', async () => {
    const el = await fixture<SecureRichEditor>(html`<secure-rich-editor label="Message"></secure-rich-editor>`);
    tool(el, 'Bold').focus();
    await sendKeys({ press: 'ArrowRight' });
    expect(focused()).to.equal(tool(el, 'Italic'));
    await sendKeys({ press: 'End' });
    expect(focused()).to.equal(tool(el, 'Link'));
    await sendKeys({ press: 'ArrowRight' });
    expect(focused()).to.equal(tool(el, 'Bold'));
    expect([...el.shadowRoot!.querySelectorAll('[part~="toolbar"] button')].filter((b) => (b as HTMLElement).tabIndex === 0)).to.have.length(1);
  });

  it('makes a paragraph of each line (Enter does not make <div>s)', async () => {
    const el = await fixture<SecureRichEditor>(html`<secure-rich-editor label="Message"></secure-rich-editor>`);
    el.focus();
    await sendKeys({ type: 'one' });
    await sendKeys({ press: 'Enter' });
    await sendKeys({ type: 'two' });
    expect(area(el).querySelector('div')).to.equal(null);
    expect(area(el).querySelectorAll('p')).to.have.length.of.at.least(1);
    expect(el.value).to.equal('<p>one</p><p>two</p>');
  });

  it('makes lists and italic text, and its value is sanitized HTML', async () => {
    const el = await fixture<SecureRichEditor>(html`<secure-rich-editor label="Message"></secure-rich-editor>`);
    area(el).focus();
    tool(el, 'Bulleted list').click();
    await sendKeys({ type: 'one' });
    tool(el, 'Italic').click();
    await sendKeys({ type: 'two' });
    expect(el.value).to.equal('<ul><li>one<i>two</i></li></ul>');
    area(el).insertAdjacentHTML('beforeend', '<img src=x onerror="window.__xss=1"><p style="color:red">x</p>');
    expect(el.value).to.not.contain('img');
    expect(el.value).to.not.contain('style');
  });

  it('adds links only with a safe address', async () => {
    const el = await fixture<SecureRichEditor>(html`<secure-rich-editor label="Message"></secure-rich-editor>`);
    area(el).focus();
    tool(el, 'Link').click();
    await el.updateComplete;
    const input = el.shadowRoot!.querySelector<HTMLInputElement>('#link-url')!;
    expect(focused()).to.equal(input);
    input.value = 'javascript:alert(1)';
    el.shadowRoot!.querySelector<HTMLFormElement>('[part~="link-form"]')!.requestSubmit();
    await el.updateComplete;
    expect(text(el.shadowRoot!.querySelector('#link-error'))).to.equal('Use an address starting with https://, http:// or mailto:');
    input.value = 'https://example.com/help';
    const changed = oneEvent(el, 'secure-input');
    el.shadowRoot!.querySelector<HTMLFormElement>('[part~="link-form"]')!.requestSubmit();
    await changed;
    expect(el.value).to.equal('<p><a href="https://example.com/help" target="_blank" rel="noopener noreferrer nofollow">https://example.com/help</a></p>');
  });

  it('shows a validation message and clears it when text is typed', async () => {
    const el = await fixture<SecureRichEditor>(html`<secure-rich-editor label="Message" error="Write a message first."></secure-rich-editor>`);
    expect(area(el).getAttribute('aria-invalid')).to.equal('true');
    expect(text(el.shadowRoot!.querySelector('[part~="error"]'))).to.equal('Write a message first.');
    area(el).focus();
    await sendKeys({ type: 'x' });
    await el.updateComplete;
    expect(area(el).getAttribute('aria-invalid')).to.equal('false');
  });
});
