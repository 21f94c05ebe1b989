import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';
import { focused, q, qa, requestsTo, text, until, useMocks } from '../../internal/test/mocks.js';

describe('conversation list', () => {
  useMocks();

  async function inbox(attrs = html``) {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" folder="sent">${attrs}</secure-inbox>`);
    return el;
  }

  it('shows rows with sender in bold, subject, preview, account, time and sender-type flag', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!.click();
    const rows = await until(() => {
      const found = qa(el, 'secure-conversation-list', '[part~="row"]');
      return found.length ? found : null;
    });
    const first = rows[0];
    expect(text(first.querySelector('[part~="sender"]'))).to.equal('Alice Ng');
    expect(first.querySelector('[part~="sender"]')!.tagName).to.equal('STRONG');
    expect(text(first.querySelector('[part~="subject"]'))).to.equal('Strange formatting');
    expect(text(first.querySelector('[part~="account"]'))).to.equal('Permit 2024-117, 12 Elm St');
    expect(first.querySelector('[part~="time"]')).to.exist;
    expect(first.querySelector('[part~="flag"]')!.getAttribute('part')).to.contain('flag-customer');
    expect(text(first.querySelector('[part~="unread-marker"]'))).to.equal('1 unread');
    await expect(el).to.be.accessible();
    void inbox;
    void focused;
    void sendKeys;
    void q;
    void requestsTo;
  });
});
