import { expect, fixture, html } from '@open-wc/testing';
import { failWith, q, qa, requestsTo, text, until, useMocks, worker } from '../../internal/test/mocks.js';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';

async function statusTab(token: string) {
  const el = await fixture<SecureInbox>(html`<secure-inbox token=${token}></secure-inbox>`);
  const button = [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('[part~="folder"]')].find((b) => text(b) === 'Status')!;
  button.click();
  await el.updateComplete;
  return el;
}

describe('status tab', () => {
  useMocks();

  it("lists the account's status updates", async () => {
    const el = await statusTab('token-alice');
    await until(() => qa(el, 'secure-status-tab', '[part~="message"]').length);
    const updates = qa(el, 'secure-status-tab', '[part~="message"]');
    expect(updates.map((u) => text(u.querySelector('[part~="message-body"]')))).to.deep.equal(['Your application is under review.', 'Application received.']);
    expect(q(el, 'secure-status-tab', '[part~="messages"]')!.getAttribute('role')).to.equal('feed');
    expect(requestsTo('/status-updates')[0].query.get('accountId')).to.equal('acc-permit');
    expect(el.shadowRoot!.querySelector('[part~="folder-current"]')!.textContent!.trim()).to.equal('Status');
    await expect(el).to.be.accessible();
  });

  it('offers an account picker when the user has several accounts, and says when there is nothing', async () => {
    const el = await statusTab('token-bob');
    const select = await until(() => q<HTMLSelectElement>(el, 'secure-status-tab', 'select'));
    select.value = 'acc-cafe';
    select.dispatchEvent(new Event('change'));
    const empty = await until(() => q(el, 'secure-status-tab', '[part~="empty"]'));
    expect(text(empty)).to.equal('No status updates yet.');
    await expect(el).to.be.accessible();
  });

  it('shows a failure with Retry', async () => {
    failWith('get', '/status-updates', 500);
    const el = await statusTab('token-alice');
    await until(() => q(el, 'secure-status-tab', '[part~="error"]'));
    worker.resetHandlers();
    q<HTMLButtonElement>(el, 'secure-status-tab', '[part~="retry"]')!.click();
    await until(() => qa(el, 'secure-status-tab', '[part~="message"]').length === 2);
  });
});
