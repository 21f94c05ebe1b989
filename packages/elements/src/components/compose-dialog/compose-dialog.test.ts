import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { db, failWith, focused, q, qa, requestsTo, text, until, useMocks, worker } from '../../internal/test/mocks.js';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';

const dialog = (el: Element) => q<HTMLDialogElement>(el, 'secure-compose-dialog', 'dialog')!;
const field = <E extends Element = HTMLElement>(el: Element, selector: string) => q<E>(el, 'secure-compose-dialog', selector)!;

async function openCompose(token: string, extra = {}) {
  const el = await fixture<SecureInbox>(html`<secure-inbox token=${token} .context=${(extra as { context?: unknown }).context}></secure-inbox>`);
  const button = el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="compose-button"]')!;
  button.focus();
  button.click();
  await until(() => dialog(el)?.open && q(el, 'secure-compose-dialog', '#subject') && q(el, 'secure-compose-dialog', '[name="recipientId"]'));
  return { el, button };
}

async function fill(el: SecureInbox, subject: string, body: string) {
  field<HTMLInputElement>(el, '#subject').focus();
  await sendKeys({ type: subject });
  q<HTMLElement>(el, 'secure-compose-dialog', 'secure-rich-editor', '[part~="editor"]')!.focus();
  await sendKeys({ type: body });
}

describe('compose dialog', () => {
  useMocks();

  it('tells a customer how soon the account, or the chosen topic, usually answers', async () => {
    db.replyTimes['acc-permit'] = {
      accountId: 'acc-permit',
      replyTime: { amount: 2, unit: 'working_days' },
      topics: [{ topicId: 'top-permits', replyTime: { amount: 1, unit: 'hours' } }],
    };
    const { el } = await openCompose('token-alice');
    const expected = () => text(q(el, 'secure-compose-dialog', '[part~="expected-reply"]'));
    await until(() => expected() === 'We usually answer within 2 working days.');
    expect(requestsTo('/reply-times').map((r) => r.query.get('accountId'))).to.deep.equal(['acc-permit']);
    await expect(el).to.be.accessible();
    const topic = field<HTMLSelectElement>(el, '[name="topicId"]');
    topic.focus();
    await sendKeys({ press: 'ArrowDown' });
    await until(() => expected() === 'We usually answer within 1 hour.');
    await sendKeys({ press: 'ArrowDown' });
    await until(() => expected() === 'We usually answer within 2 working days.');
  });

  it('says nothing about reply times when none is set, and never to staff', async () => {
    const { el } = await openCompose('token-alice');
    await until(() => requestsTo('/reply-times').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(q(el, 'secure-compose-dialog', '[part~="expected-reply"]')).to.equal(null);
    const staff = await openCompose('token-bob');
    expect(q(staff.el, 'secure-compose-dialog', '[part~="expected-reply"]')).to.equal(null);
    expect(requestsTo('/reply-times')).to.have.length(1);
  });

  it('takes a file dropped on the form, uploads it and sends it with the question', async () => {
    const { el } = await openCompose('token-alice');
    await fill(el, 'Site plan', 'Attached.');
    const files = new DataTransfer();
    files.items.add(new File(['%PDF-1.4 plan'], 'site-plan.pdf', { type: 'application/pdf' }));
    const form = field<HTMLFormElement>(el, 'form');
    const over = new DragEvent('dragover', { dataTransfer: files, bubbles: true, cancelable: true, composed: true });
    form.dispatchEvent(over);
    expect(over.defaultPrevented, 'the form accepts the drag').to.equal(true);
    form.dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true, composed: true }));
    const chip = () => q(el, 'secure-compose-dialog', 'secure-attachment-picker', '[part~="attachment-chip"]');
    await until(() => chip() && !q(el, 'secure-compose-dialog', 'secure-attachment-picker', '[part~="progress"]'));
    expect(text(chip())).to.contain('site-plan.pdf');
    expect(requestsTo('/attachments', 'POST')).to.have.length(1);
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => requestsTo('/conversations', 'POST').length);
    expect((requestsTo('/conversations', 'POST')[0].body as { attachmentIds?: string[] }).attachmentIds).to.have.length(1);
  });

  it('uploads a screenshot pasted into the message like a chosen file', async () => {
    const { el } = await openCompose('token-alice');
    const files = new DataTransfer();
    files.items.add(new File([new Uint8Array([137, 80, 78, 71])], 'image.png', { type: 'image/png' }));
    const editor = q<HTMLElement>(el, 'secure-compose-dialog', 'secure-rich-editor', '[part~="editor"]')!;
    editor.focus();
    const paste = new ClipboardEvent('paste', { clipboardData: files, bubbles: true, cancelable: true, composed: true });
    editor.dispatchEvent(paste);
    expect(paste.defaultPrevented).to.equal(true);
    const chip = () => q(el, 'secure-compose-dialog', 'secure-attachment-picker', '[part~="attachment-chip"]');
    await until(() => chip() && !q(el, 'secure-compose-dialog', 'secure-attachment-picker', '[part~="progress"]'));
    expect(text(chip())).to.contain('image.png');
    expect(requestsTo('/attachments', 'POST')).to.have.length(1);
    await expect(el).to.be.accessible();
  });

  it('opens about a host record with a subject and topic filled in, and sends the record with the question', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const context = { kind: 'permit', ref: '2024-117', title: 'Permit 2024-117', url: 'https://portal.example/permits/2024-117' };
    await el.openCompose({ context, subject: 'About my permit', topicId: 'top-billing' });
    expect(dialog(el).open).to.equal(true);
    expect(field<HTMLInputElement>(el, '#subject').value).to.equal('About my permit');
    expect(field<HTMLSelectElement>(el, '[name="topicId"]').value).to.equal('top-billing');
    await until(() => q(el, 'secure-compose-dialog', '[name="recipientId"]'));
    await expect(el).to.be.accessible();
    q<HTMLElement>(el, 'secure-compose-dialog', 'secure-rich-editor', '[part~="editor"]')!.focus();
    await sendKeys({ type: 'Which fee applies?' });
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => requestsTo('/conversations', 'POST').length);
    expect(requestsTo('/conversations', 'POST')[0].body).to.deep.include({ subject: 'About my permit', topicId: 'top-billing', context });
    // The thread of the new conversation links to the record.
    const link = await until(() => q<HTMLAnchorElement>(el, 'secure-thread-view', '[part~="record-link"]'));
    expect(link.href).to.equal(context.url);
    // Opened again without options, it is about nothing in particular.
    await el.openCompose();
    expect(field<HTMLInputElement>(el, '#subject').value).to.equal('');
    field<HTMLInputElement>(el, '#subject').focus();
    await sendKeys({ type: 'Something else' });
    q<HTMLElement>(el, 'secure-compose-dialog', 'secure-rich-editor', '[part~="editor"]')!.focus();
    await sendKeys({ type: 'Hello' });
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => requestsTo('/conversations', 'POST').length === 2);
    expect(requestsTo('/conversations', 'POST')[1].body).to.not.have.property('context');
  });

  it('does not send a question without a file the server refused: it waits until the file is removed', async () => {
    const { el } = await openCompose('token-alice');
    await fill(el, 'Logo', 'Our logo.');
    const picker = q(el, 'secure-compose-dialog', 'secure-attachment-picker')! as unknown as { add(files: File[]): void };
    picker.add([new File(['<svg/>'], 'logo.svg', { type: 'image/svg+xml' })]);
    const chip = () => q(el, 'secure-compose-dialog', 'secure-attachment-picker', '[part~="attachment-chip"]');
    await until(() => chip()?.querySelector('[part~="error"]'));
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => qa(el, 'secure-compose-dialog', '[role="alert"]').some((a) => text(a) === 'Remove or replace the refused file.'));
    expect(requestsTo('/conversations', 'POST')).to.have.length(0);
    expect(dialog(el).open).to.equal(true);
    await expect(el).to.be.accessible();

    chip()!.querySelector<HTMLButtonElement>('[part~="remove-attachment"]')!.click();
    await until(() => !chip());
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => requestsTo('/conversations', 'POST').length);
    expect(requestsTo('/conversations', 'POST')[0].body).not.to.have.property('attachmentIds');
  });

  it('opens as a modal dialog with topics and the account directory, focus inside', async () => {
    const { el } = await openCompose('token-alice');
    const d = dialog(el);
    expect(d.matches(':modal')).to.equal(true);
    expect(d.getAttribute('aria-labelledby')).to.equal('compose-title');
    expect(text(field(el, '#compose-title'))).to.equal('New message');
    // One account: no account picker.
    expect(q(el, 'secure-compose-dialog', '[name="accountId"]')).to.equal(null);
    const topics = [...field<HTMLSelectElement>(el, '[name="topicId"]').options].map((o) => o.text);
    expect(topics).to.deep.equal(['No topic', 'Building permits', 'Fees and billing']);
    const people = qa(el, 'secure-compose-dialog', '.recipients label').map(text);
    expect(people).to.deep.equal(['Carl Ode (Customer)', 'Bob Staff (Staff)', 'Dora Reviewer (Staff)']);
    expect(text(field(el, '#recipients-hint'))).to.contain('Optional');
    expect(d.contains(focused()) || d.getRootNode() === focused()?.getRootNode()).to.equal(true);
    await expect(el).to.be.accessible();
  });

  it('sends a customer question without recipients and opens it', async () => {
    const { el, button } = await openCompose('token-alice', {
      context: { kind: 'permit', ref: '2024-117', title: 'Permit 2024-117', url: 'https://portal.example/permits/2024-117' },
    });
    field<HTMLSelectElement>(el, '[name="topicId"]').value = 'top-permits';
    await fill(el, 'Fence height', 'How high may it be?');
    const before = oneEvent(el, 'secure-before-send');
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    const check = (await before) as CustomEvent;
    expect(check.cancelable).to.equal(true);
    const sent = (await oneEvent(el, 'secure-sent')) as CustomEvent;
    expect(sent.detail.conversation.subject).to.equal('Fence height');
    expect(requestsTo('/conversations', 'POST')[0].body).to.deep.equal({
      accountId: 'acc-permit',
      subject: 'Fence height',
      body: '<p>How high may it be?</p>',
      topicId: 'top-permits',
      context: { kind: 'permit', ref: '2024-117', title: 'Permit 2024-117', url: 'https://portal.example/permits/2024-117' },
    });
    expect(dialog(el).open).to.equal(false);
    expect(focused()).to.equal(button);
    await el.updateComplete;
    expect(el.conversation).to.equal(sent.detail.conversation.id);
  });

  it('offers the topics of the chosen account and those of every account, and drops a topic of another one', async () => {
    const { el } = await openCompose('token-bob');
    const topicNames = () => [...field<HTMLSelectElement>(el, '[name="topicId"]').options].map((o) => o.text);
    expect(topicNames()).to.deep.equal(['No topic', 'Building permits', 'Fees and billing']);
    field<HTMLSelectElement>(el, '[name="topicId"]').value = 'top-permits';
    const accounts = field<HTMLSelectElement>(el, '[name="accountId"]');
    accounts.value = 'acc-cafe';
    accounts.dispatchEvent(new Event('change'));
    await until(() => topicNames().includes('Food licence'));
    expect(topicNames()).to.deep.equal(['No topic', 'Fees and billing', 'Food licence']);
    expect(field<HTMLSelectElement>(el, '[name="topicId"]').value).to.equal('');
    await expect(el).to.be.accessible();
  });

  it('asks staff to pick an account and at least one recipient', async () => {
    const { el } = await openCompose('token-bob');
    const accounts = field<HTMLSelectElement>(el, '[name="accountId"]');
    expect([...accounts.options].map((o) => o.text)).to.deep.equal(['Permit 2024-117, 12 Elm St', 'Harbour Café Ltd']);
    await fill(el, 'Inspection', 'Please be home.');
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => !field(el, '#recipients-error').hidden);
    expect(text(field(el, '#recipients-error'))).to.equal('Choose at least one recipient.');
    expect(field(el, '.recipients').getAttribute('aria-invalid')).to.equal('true');
    expect(focused()?.getAttribute('name')).to.equal('recipientId');
    expect(requestsTo('/conversations', 'POST')).to.have.length(0);
    await expect(el).to.be.accessible();
    // Another account: its own directory.
    accounts.value = 'acc-cafe';
    accounts.dispatchEvent(new Event('change'));
    await until(() => requestsTo('/directory').some((r) => r.query.get('accountId') === 'acc-cafe'));
    await until(() => qa(el, 'secure-compose-dialog', '.recipients label').length === 1);
    expect(qa(el, 'secure-compose-dialog', '.recipients label').map(text)).to.deep.equal(['Erin Harbour (Customer)']);
    q<HTMLInputElement>(el, 'secure-compose-dialog', '[name="recipientId"]')!.click();
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => requestsTo('/conversations', 'POST').length);
    expect(requestsTo('/conversations', 'POST')[0].body).to.deep.include({ accountId: 'acc-cafe', recipientIds: ['u-erin'] });
  });

  it('requires a subject and a body', async () => {
    const { el } = await openCompose('token-alice');
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => !field(el, '#subject-error').hidden);
    expect(text(field(el, '#subject-error'))).to.equal('Enter a subject.');
    expect(field(el, '#subject').getAttribute('aria-invalid')).to.equal('true');
    expect(focused()).to.equal(field(el, '#subject'));
    expect(text(q(el, 'secure-compose-dialog', 'secure-rich-editor', '[part~="error"]'))).to.equal('Write a message first.');
  });

  it('lets the host veto sending', async () => {
    const { el } = await openCompose('token-alice');
    await fill(el, 'Vetoed', 'Body');
    el.addEventListener('secure-before-send', (event) => event.preventDefault(), { once: true });
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => text(field(el, 'form [role="alert"]')) === 'The message was not sent.');
    expect(dialog(el).open).to.equal(true);
    expect(requestsTo('/conversations', 'POST')).to.have.length(0);
  });

  it('closes with Escape and gives focus back to the opener', async () => {
    const { el, button } = await openCompose('token-alice');
    const closed = oneEvent(el, 'secure-compose-close');
    await sendKeys({ press: 'Escape' });
    await closed;
    expect(dialog(el).open).to.equal(false);
    expect(focused()).to.equal(button);
  });

  it('formats the body with the toolbar', async () => {
    const { el } = await openCompose('token-alice');
    const editor = q<HTMLElement>(el, 'secure-compose-dialog', 'secure-rich-editor', '[part~="editor"]')!;
    editor.focus();
    await sendKeys({ type: 'bold words' });
    await sendKeys({ down: 'Shift' });
    for (let i = 0; i < 5; i++) await sendKeys({ press: 'ArrowLeft' });
    await sendKeys({ up: 'Shift' });
    q<HTMLButtonElement>(el, 'secure-compose-dialog', 'secure-rich-editor', '[aria-label="Bold"]')!.click();
    const value = (q(el, 'secure-compose-dialog', 'secure-rich-editor') as unknown as { value: string }).value;
    expect(value).to.match(/^<p>bold <b>words<\/b><\/p>$/);
  });

  it('shows why the form could not load, with Retry', async () => {
    failWith('get', '/topics', 500);
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    el.openCompose();
    const error = await until(() => q(el, 'secure-compose-dialog', '[part~="error"][role="alert"]'));
    expect(text(error)).to.contain('Something went wrong on the message server.');
    await expect(el).to.be.accessible();
    worker.resetHandlers();
    q<HTMLButtonElement>(el, 'secure-compose-dialog', '[part~="retry"]')!.click();
    await until(() => q(el, 'secure-compose-dialog', '#subject'));
  });

  it('names the fields the server rejected and keeps the dialog open', async () => {
    const { el } = await openCompose('token-alice');
    failWith('post', '/conversations', 422, {
      error: { code: 'invalid', message: 'Invalid request body: subject.', details: [{ field: 'subject', message: 'Too big' }] },
    });
    await fill(el, 'Too long', 'Body');
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => text(field(el, 'form [role="alert"]')) === 'Please check: subject.');
    expect(dialog(el).open).to.equal(true);
  });

  it('lets staff write to staff only, notify all administrators, and shows a refused recipient list at the field', async () => {
    const { el } = await openCompose('token-bob');
    await until(() => qa(el, 'secure-compose-dialog', '.recipients label').length === 3);
    expect(qa(el, 'secure-compose-dialog', '.recipients label').map(text)).to.deep.equal([
      'Alice Ng (Customer)',
      'Carl Ode (Customer)',
      'Dora Reviewer (Staff)',
    ]);
    const notify = q<HTMLInputElement>(el, 'secure-compose-dialog', '[name="notifyAdmins"]')!;
    expect(text(notify.closest('label'))).to.equal('Notify all administrators');
    q<HTMLInputElement>(el, 'secure-compose-dialog', '[name="recipientId"][value="u-dora"]')!.click();
    notify.click();
    failWith('post', '/conversations', 422, {
      error: {
        code: 'invalid',
        message: 'Invalid request body: recipientIds.',
        details: [{ field: 'recipientIds', message: 'staff must name at least one recipient' }],
      },
    });
    await fill(el, 'Second opinion', 'Can you look at the plan?');
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    await until(() => !field(el, '#recipients-error').hidden);
    expect(text(field(el, '#recipients-error'))).to.equal('Choose at least one recipient.');
    expect(requestsTo('/conversations', 'POST')[0].body).to.deep.include({ recipientIds: ['u-dora'], notifyAdmins: true });
    await expect(el).to.be.accessible();
    worker.resetHandlers();
    field<HTMLButtonElement>(el, '[part~="send"]').click();
    const sent = (await oneEvent(el, 'secure-sent')) as CustomEvent;
    expect(sent.detail.conversation.participants.map((p: { id: string }) => p.id)).to.deep.equal(['u-bob', 'u-dora']);
  });

  it('offers customers no administrator notice', async () => {
    const { el } = await openCompose('token-alice');
    expect(q(el, 'secure-compose-dialog', '[name="notifyAdmins"]')).to.equal(null);
  });
});
