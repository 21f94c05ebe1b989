import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { adminCount, db, failWith, q, qa, requestsTo, text, until, useMocks } from '../../internal/test/mocks.js';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';

const open = async (token = 'token-bob', id = 'c-permit') => {
  const el = await fixture<SecureInbox>(html`<secure-inbox token=${token} conversation=${id}></secure-inbox>`);
  await until(() => qa(el, 'secure-thread-view', 'secure-conversation-controls', '[part~="assignee"] option').length > 2);
  return el;
};
const control = <E extends Element = HTMLElement>(el: Element, selector: string) => q<E>(el, 'secure-thread-view', 'secure-conversation-controls', selector)!;
const choose = (select: HTMLSelectElement, value: string) => {
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
};

describe('conversation controls (staff)', () => {
  useMocks();

  it('offers the account staff and Unassigned as assignee, and the four statuses with help text', async () => {
    const el = await open();
    const assignee = control<HTMLSelectElement>(el, '[part~="assignee"]');
    expect([...assignee.options].map((o) => o.text)).to.deep.equal(['Unassigned', 'Bob Staff', 'Dora Reviewer']);
    expect(assignee.value).to.equal('');
    expect(requestsTo('/directory')[0].query.get('accountId')).to.equal('acc-permit');
    const status = control<HTMLSelectElement>(el, '[part~="status-select"]');
    expect([...status.options].map((o) => o.value)).to.deep.equal(['open', 'attentive', 'answered', 'resolved']);
    expect(status.value).to.equal('attentive');
    expect(text(control(el, `#${status.getAttribute('aria-describedby')}`))).to.equal('Reply needed (attentive) = waiting for the customer.');
    await expect(el).to.be.accessible();
  });

  it('assigns with PATCH and confirms in a live region', async () => {
    const el = await open();
    const updated = oneEvent(el, 'secure-conversation-update');
    choose(control<HTMLSelectElement>(el, '[part~="assignee"]'), 'u-dora');
    expect(((await updated) as CustomEvent).detail.conversation.assigneeId).to.equal('u-dora');
    expect(requestsTo('/conversations/c-permit', 'PATCH')[0].body).to.deep.equal({ assigneeId: 'u-dora' });
    const result = control(el, '[part~="result"]');
    expect(result.getAttribute('role')).to.equal('status');
    await until(() => text(result) === 'Assignee: Dora Reviewer. Saved.');
    choose(control<HTMLSelectElement>(el, '[part~="assignee"]'), '');
    await until(() => requestsTo('/conversations/c-permit', 'PATCH').length === 2);
    expect(requestsTo('/conversations/c-permit', 'PATCH')[1].body).to.deep.equal({ assigneeId: null });
    await until(() => db.conversations.get('c-permit')!.conversation.assigneeId === null);
    await expect(el).to.be.accessible();
  });

  it('offers the signed-in staff member to themselves, by name, and assigns with "Assign to me"', async () => {
    const el = await open();
    const assignee = control<HTMLSelectElement>(el, '[part~="assignee"]');
    // The directory leaves the caller out; the list does not.
    expect(requestsTo('/directory').length).to.be.at.least(1);
    expect([...assignee.options].map((o) => o.text)).to.include('Bob Staff');
    const mine = control<HTMLButtonElement>(el, '[part~="assign-me"]');
    expect(text(mine)).to.equal('Assign to me');
    await expect(el).to.be.accessible();
    mine.click();
    await until(() => text(control(el, '[part~="result"]')) === 'Assignee: Bob Staff. Saved.');
    expect(requestsTo('/conversations/c-permit', 'PATCH')[0].body).to.deep.equal({ assigneeId: 'u-bob' });
    expect(assignee.selectedOptions[0].text).to.equal('Bob Staff');
    // Theirs now: the button goes, and focus is on the assignee list rather than lost.
    await until(() => !q(el, 'secure-thread-view', 'secure-conversation-controls', '[part~="assign-me"]'));
    await until(() => q(el, 'secure-thread-view', 'secure-conversation-controls')!.shadowRoot!.activeElement === assignee);
    await expect(el).to.be.accessible();
  });

  it('shows a conversation already assigned to the signed-in staff member with their name', async () => {
    db.conversations.get('c-permit')!.conversation.assigneeId = 'u-bob';
    const el = await open();
    const assignee = control<HTMLSelectElement>(el, '[part~="assignee"]');
    expect(assignee.value).to.equal('u-bob');
    expect(assignee.selectedOptions[0].text).to.equal('Bob Staff');
    expect([...assignee.options].map((o) => o.text)).not.to.include('u-bob');
    expect(q(el, 'secure-thread-view', 'secure-conversation-controls', '[part~="assign-me"]')).to.equal(null);
    await expect(el).to.be.accessible();
  });

  it('changes the status, and the thread header shows it', async () => {
    const el = await open();
    choose(control<HTMLSelectElement>(el, '[part~="status-select"]'), 'resolved');
    await until(() => text(control(el, '[part~="result"]')) === 'Status: Resolved. Saved.');
    expect(requestsTo('/conversations/c-permit', 'PATCH')[0].body).to.deep.equal({ status: 'resolved' });
    await until(() => text(q(el, 'secure-thread-view', '[part~="status"]')) === 'Resolved');
  });

  it('shows a failed change and puts the saved value back', async () => {
    const el = await open();
    failWith('patch', '/conversations/c-permit', 403, { error: { code: 'forbidden', message: 'No.' } });
    const status = control<HTMLSelectElement>(el, '[part~="status-select"]');
    choose(status, 'answered');
    const alert = await until(() => control(el, '[part~="error"]'));
    expect(alert.getAttribute('role')).to.equal('alert');
    expect(text(alert)).to.equal('You are not allowed to do this.');
    await until(() => status.value === 'attentive');
    expect(text(control(el, '[part~="result"]'))).to.equal('');
    await expect(el).to.be.accessible();
  });

  it('notifies the administrators and says how many', async () => {
    const el = await open();
    adminCount.value = 3;
    const notified = oneEvent(el, 'secure-admins-notified');
    control<HTMLButtonElement>(el, '[part~="notify-admins"]').click();
    expect(((await notified) as CustomEvent).detail).to.deep.equal({ conversationId: 'c-permit', notified: 3 });
    await until(() => text(control(el, '[part~="result"]')) === '3 administrators notified');
    expect(requestsTo('/conversations/c-permit/notify-admins', 'POST')).to.have.length(1);
    await expect(el).to.be.accessible();
  });

  it('says "1 administrator notified", and takes every plural form a host gives from its strings', async () => {
    const el = await open();
    adminCount.value = 1;
    control<HTMLButtonElement>(el, '[part~="notify-admins"]').click();
    await until(() => text(control(el, '[part~="result"]')) === '1 administrator notified');
    await expect(el).to.be.accessible();
    el.lang = 'pl';
    el.strings = {
      adminsNotified: {
        one: 'Powiadomiono {count} administratora',
        few: 'Powiadomiono {count} administratorów (few)',
        many: 'Powiadomiono {count} administratorów',
        other: '{count}',
      },
    };
    for (const [count, said] of [
      [3, 'Powiadomiono 3 administratorów (few)'],
      [5, 'Powiadomiono 5 administratorów'],
      [1, 'Powiadomiono 1 administratora'],
    ] as const) {
      adminCount.value = count;
      control<HTMLButtonElement>(el, '[part~="notify-admins"]').click();
      await until(() => text(control(el, '[part~="result"]')) === said);
    }
    await expect(el).to.be.accessible();
  });
});
