import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { db, failWith, q, qa, requestsTo, text, until, useMocks, worker } from '../../internal/test/mocks.js';
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

  it('shows a new status update as it arrives, keeping focus where it was', async () => {
    const el = await statusTab('token-alice');
    await until(() => qa(el, 'secure-status-tab', '[part~="message"]').length === 2);
    const first = qa(el, 'secure-status-tab', '[part~="open-conversation"]')[0];
    first.focus();
    db.statusUpdates = [{ ...db.statusUpdates[0], id: 'm-status-new', body: '<p>Inspection booked for Monday.</p>' }, ...db.statusUpdates];
    (el as unknown as { session: { push(e: unknown): void } }).session.push({ type: 'message.created', conversationId: 'c-permit', messageId: 'm-status-new' });
    await until(() => qa(el, 'secure-status-tab', '[part~="message"]').length === 3);
    expect(text(qa(el, 'secure-status-tab', '[part~="message-body"]')[0])).to.equal('Inspection booked for Monday.');
    expect(q(el, 'secure-status-tab', '[part~="loading"]')).to.equal(null);
    expect(q(el, 'secure-status-tab')!.shadowRoot!.activeElement?.getAttribute('part')).to.contain('open-conversation');
    await expect(el).to.be.accessible();
  });

  it('opens the conversation of an entry', async () => {
    const el = await statusTab('token-alice');
    await until(() => qa(el, 'secure-status-tab', '[part~="message"]').length);
    const button = qa<HTMLButtonElement>(el, 'secure-status-tab', '[part~="open-conversation"]')[0];
    expect(text(button)).to.equal('Open conversation');
    await expect(el).to.be.accessible();
    button.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => q(el, 'secure-thread-view', '[part~="subject"]'));
    expect(el.getAttribute('conversation')).to.equal(db.statusUpdates[0].conversationId);
    expect(q(el, 'secure-status-tab')).to.equal(null);
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
