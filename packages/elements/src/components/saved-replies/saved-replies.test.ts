import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { deepActiveElement } from '../../internal/format.js';
import { db, failWith, q, qa, requestsTo, text, until, useMocks, worker } from '../../internal/test/mocks.js';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';
import './saved-replies.js';
import type { SecureSavedReplies } from './saved-replies.js';

const rows = (el: Element) => qa(el, '[part~="saved-reply-item"]');
const titles = (el: Element) => rows(el).map((row) => text(row.querySelector('strong')));
const rowOf = (el: Element, title: string) => rows(el).find((row) => text(row.querySelector('strong')) === title)!;
const focused = () => deepActiveElement() as HTMLElement | null;

async function view(token: string) {
  const el = await fixture<SecureSavedReplies>(html`<secure-saved-replies token=${token}></secure-saved-replies>`);
  await until(() => rows(el).length || q(el, '[part~="empty"]') || q(el, '[part~="error"]'));
  return el;
}

async function fill(el: SecureSavedReplies, title: string, body: string) {
  const input = q<HTMLInputElement>(el, '#reply-title')!;
  input.focus();
  input.select();
  await sendKeys({ type: title });
  const editor = q<HTMLElement>(el, 'secure-rich-editor', '[part~="editor"]')!;
  editor.focus();
  document.execCommand('selectAll');
  await sendKeys({ type: body });
}

describe('<secure-saved-replies>', () => {
  useMocks();

  it("lists the account's and the shared replies; staff see shared ones read-only", async () => {
    const el = await view('token-bob');
    expect(titles(el)).to.deep.equal(['Permit fees', 'Permit for the terrace', 'Permit received']);
    const shared = rowOf(el, 'Permit fees');
    expect(text(shared)).to.contain('Shared by all accounts');
    expect(text(shared.querySelector('[part~="read-only"]'))).to.equal('Shared: only admins change it.');
    expect(shared.querySelector('[part~="edit-reply"]')).to.equal(null);
    const own = rowOf(el, 'Permit received');
    expect(text(own)).to.contain('Permit 2024-117, 12 Elm St');
    expect(own.querySelector('[part~="edit-reply"]')!.getAttribute('aria-label')).to.equal('Edit “Permit received”');
    await expect(el).to.be.accessible();
  });

  it('creates a reply: required fields, the server’s placeholder error at its field, then focus on the new reply', async () => {
    const el = await view('token-bob');
    q<HTMLButtonElement>(el, '[part~="new-reply"]')!.click();
    await until(() => focused()?.id === 'reply-title');
    expect(text(q(el, '#form-title'))).to.equal('New saved reply');
    // Staff choose among their accounts; "shared" is for admins.
    expect(qa<HTMLOptionElement>(el, 'select option').map((o) => o.textContent)).to.deep.equal(['Permit 2024-117, 12 Elm St', 'Harbour Café Ltd']);
    await expect(el).to.be.accessible();

    q<HTMLFormElement>(el, 'form')!.requestSubmit();
    await until(() => text(q(el, '#title-error')));
    expect(text(q(el, '#title-error'))).to.equal('Give the reply a title.');
    expect(q(el, '#reply-title')!.getAttribute('aria-invalid')).to.equal('true');
    expect(text(q(el, 'secure-rich-editor', '[part~="error"]'))).to.equal('Write the text of the reply.');
    expect(focused()?.id).to.equal('reply-title');
    expect(requestsTo('/saved-replies', 'POST')).to.have.length(0);
    await expect(el).to.be.accessible();

    await fill(el, 'Inspection booked', 'Dear {{customer.lastName}}, the inspection is booked.');
    q<HTMLFormElement>(el, 'form')!.requestSubmit();
    await until(() => text(q(el, 'secure-rich-editor', '[part~="error"]')).includes('unknown placeholders'));
    expect(text(q(el, 'secure-rich-editor', '[part~="error"]'))).to.contain('{{customer.lastName}}');
    expect(text(q(el, '#title-error'))).to.equal('');
    await expect(el).to.be.accessible();

    await fill(el, 'Inspection booked', 'Dear {{customer.firstName}}, the inspection is booked.');
    q<HTMLFormElement>(el, 'form')!.requestSubmit();
    await until(() => titles(el).includes('Inspection booked'));
    expect(q(el, 'form')).to.equal(null);
    const sent = requestsTo('/saved-replies', 'POST').at(-1)!.body as { accountId: string; title: string; body: string };
    expect(sent).to.deep.equal({ accountId: 'acc-permit', title: 'Inspection booked', body: '<p>Dear {{customer.firstName}}, the inspection is booked.</p>' });
    expect(titles(el)).to.deep.equal(['Inspection booked', 'Permit fees', 'Permit for the terrace', 'Permit received']);
    await until(() => focused()?.getAttribute('aria-label') === 'Edit “Inspection booked”');
    expect(text(q(el, '[role="status"]'))).to.equal('Saved reply “Inspection booked” saved.');
    await expect(el).to.be.accessible();
  });

  it('edits a reply by keyboard, and Cancel returns focus to its Edit button', async () => {
    const el = await view('token-bob');
    const edit = rowOf(el, 'Permit received').querySelector<HTMLButtonElement>('[part~="edit-reply"]')!;
    edit.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => focused()?.id === 'reply-title');
    expect(q<HTMLInputElement>(el, '#reply-title')!.value).to.equal('Permit received');
    await until(() => text(q(el, 'secure-rich-editor', '[part~="editor"]')).includes('Hello {{customer.firstName}}'));
    expect(text(q(el, 'form'))).to.contain('Account: Permit 2024-117, 12 Elm St');
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'End' });
    await sendKeys({ type: ' (permits)' });
    q<HTMLFormElement>(el, 'form')!.requestSubmit();
    await until(() => titles(el).includes('Permit received (permits)'));
    expect(requestsTo('/saved-replies/sr-permit', 'PATCH')[0].body).to.deep.include({ title: 'Permit received (permits)' });
    await until(() => focused()?.getAttribute('aria-label') === 'Edit “Permit received (permits)”');

    focused()!.click();
    await until(() => q(el, 'form'));
    const cancel = qa<HTMLButtonElement>(el, 'form button').find((b) => text(b) === 'Cancel')!;
    cancel.click();
    await until(() => focused()?.getAttribute('aria-label') === 'Edit “Permit received (permits)”');
    expect(q(el, 'form')).to.equal(null);
  });

  it('deletes after a second press, then focuses the reply that took its place', async () => {
    db.savedReplies.push({ id: 'sr-welcome', accountId: 'acc-cafe', title: 'Welcome', body: '<p>Welcome!</p>', placeholders: [] });
    const el = await view('token-bob');
    const remove = () => rowOf(el, 'Permit received').querySelector<HTMLButtonElement>('[part~="delete-reply"]')!;
    remove().click();
    await until(() => text(remove()) === 'Delete now');
    expect(remove().hasAttribute('aria-label')).to.equal(false);
    expect(text(q(el, '[role="status"]'))).to.equal('Delete “Permit received” for good? Press “Delete now” to confirm, Escape to keep it.');
    expect(focused()).to.equal(remove());
    expect(requestsTo('/saved-replies/sr-permit', 'DELETE')).to.have.length(0);
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Escape' });
    await until(() => text(remove()) === 'Delete');
    await sendKeys({ press: 'Enter' });
    await until(() => text(remove()) === 'Delete now');
    await sendKeys({ press: 'Enter' });
    await until(() => !titles(el).includes('Permit received'));
    expect(titles(el)).to.deep.equal(['Permit fees', 'Permit for the terrace', 'Welcome']);
    await until(() => focused()?.getAttribute('aria-label') === 'Edit “Welcome”');
    expect(text(q(el, '[role="status"]'))).to.equal('Saved reply “Permit received” deleted.');
    await expect(el).to.be.accessible();
  });

  it('admins change shared replies and may create one', async () => {
    const el = await view('token-sam');
    expect(rowOf(el, 'Permit fees').querySelector('[part~="edit-reply"]')).not.to.equal(null);
    q<HTMLButtonElement>(el, '[part~="new-reply"]')!.click();
    await until(() => q(el, 'select'));
    expect(
      qa<HTMLOptionElement>(el, 'select option')
        .map((o) => o.textContent)
        .at(-1),
    ).to.equal('Shared by all accounts');
    await expect(el).to.be.accessible();
  });

  it('says when there are none yet', async () => {
    db.savedReplies = [];
    const el = await view('token-bob');
    expect(text(q(el, '[part~="empty"]'))).to.equal('No saved replies yet. “New saved reply” creates one.');
    await expect(el).to.be.accessible();
  });

  it('shows a failure with Retry', async () => {
    failWith('get', '/saved-replies', 500);
    const el = await view('token-bob');
    expect(q(el, '[part~="error"]')).not.to.equal(null);
    await expect(el).to.be.accessible();
    worker.resetHandlers();
    q<HTMLButtonElement>(el, '[part~="retry"]')!.click();
    await until(() => rows(el).length === 3);
  });

  it('is a view of its own for staff in <secure-inbox>, not for customers', async () => {
    const customer = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await until(() => qa(customer, '[part~="folder"]').length);
    expect(qa(customer, '[part~="folder"]').map(text)).not.to.include('Saved replies');

    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-bob"></secure-inbox>`);
    const button = await until(() => qa<HTMLButtonElement>(el, '[part~="folder"]').find((b) => text(b) === 'Saved replies'));
    button.click();
    await until(() => qa(el, 'secure-saved-replies', '[part~="saved-reply-item"]').length === 3);
    expect(button.getAttribute('aria-current')).to.equal('page');
    expect(q(el, '[part~="list-pane"]')!.hidden).to.equal(true);
    await expect(el).to.be.accessible();
  });
});
