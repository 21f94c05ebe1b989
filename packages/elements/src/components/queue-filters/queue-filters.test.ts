import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { db, q, qa, requestsTo, text, until, useMocks } from '../../internal/test/mocks.js';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';

const open = async (token = 'token-bob') => {
  const el = await fixture<SecureInbox>(html`<secure-inbox token=${token}></secure-inbox>`);
  await until(() => qa(el, 'secure-queue-filters', '[part~="queue-status"] option').some((o) => o.textContent!.includes('(')));
  await until(() => qa(el, 'secure-conversation-list', '[role="option"]').length);
  return el;
};
const filter = <E extends Element = HTMLSelectElement>(el: Element, part: string) => q<E>(el, 'secure-queue-filters', `[part~="${part}"]`)!;
const options = (select: HTMLSelectElement) => [...select.options].map((o) => o.text);
const choose = (select: HTMLSelectElement, value: string) => {
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
};
const lastList = () => requestsTo('/conversations', 'GET').at(-1)!.query;
const lastQueues = () => requestsTo('/queues', 'GET').at(-1)!.query;

describe('queue filters (staff)', () => {
  useMocks();

  beforeEach(() => {
    db.conversations.get('c-permit')!.conversation.assigneeId = 'u-bob';
    db.conversations.get('c-cafe')!.conversation.status = 'answered';
    db.conversations.get('c-old-01')!.conversation.status = 'resolved';
  });

  it('shows each filter with its count, and all conversations rather than the unread ones', async () => {
    const el = await open();
    expect(options(filter(el, 'queue-status'))).to.deep.equal(['All (31)', 'Open (28)', 'Reply needed (1)', 'Answered (1)', 'Resolved (1)']);
    expect(options(filter(el, 'queue-assignee'))).to.deep.equal(['All (31)', 'Assigned to me (1)', 'Unassigned (30)']);
    expect(options(filter(el, 'queue-account'))).to.deep.equal(['All accounts', 'Permit 2024-117, 12 Elm St', 'Harbour Café Ltd']);
    expect(text(filter(el, 'queues'))).to.contain('Oldest waiting first');
    expect(lastList().get('unread')).to.equal(null);
    await expect(el).to.be.accessible();
  });

  it('reloads the list and the counts with the chosen status, assignee and account', async () => {
    const el = await open();
    const change = oneEvent(el, 'secure-queue-change');
    choose(filter(el, 'queue-status'), 'attentive');
    expect(((await change) as CustomEvent).detail).to.deep.equal({ status: 'attentive', assignee: '', accountId: '', sort: '' });
    await until(() => lastList().get('status') === 'attentive');
    await until(() => qa(el, 'secure-conversation-list', '[role="option"]').length === 1);
    expect(lastQueues().get('status')).to.equal('attentive');
    await until(() => options(filter(el, 'queue-assignee'))[0] === 'All (1)');

    choose(filter(el, 'queue-assignee'), 'me');
    await until(() => lastList().get('assignee') === 'me');
    expect(lastList().get('status')).to.equal('attentive');
    expect(lastQueues().get('assignee')).to.equal('me');

    choose(filter(el, 'queue-status'), '');
    choose(filter(el, 'queue-assignee'), 'none');
    choose(filter(el, 'queue-account'), 'acc-cafe');
    await until(() => lastList().get('accountId') === 'acc-cafe' && lastList().get('assignee') === 'none');
    expect(lastList().get('status')).to.equal(null);
    await until(() => qa(el, 'secure-conversation-list', '[role="option"]').length === 1);
    expect(text(q(el, 'secure-conversation-list', '[part~="subject"]'))).to.equal('Terrace licence renewal');
    await until(() => lastQueues().get('accountId') === 'acc-cafe');
    await expect(el).to.be.accessible();
  });

  it('lists the oldest waiting first, from the keyboard', async () => {
    const el = await open();
    filter<HTMLInputElement>(el, 'queue-oldest').focus();
    await sendKeys({ press: 'Space' });
    await until(() => lastList().get('sort') === 'oldest');
    await until(() => text(q(el, 'secure-conversation-list', '[part~="subject"]')) === 'Question number 1');
  });

  it('refreshes the counts after an answer', async () => {
    const el = await open();
    const before = requestsTo('/queues', 'GET').length;
    el.conversation = 'c-permit';
    const send = await until(() => qa<HTMLButtonElement>(el, 'secure-thread-view', 'secure-answer-panel', 'button').find((b) => text(b) === 'Send'));
    q<HTMLElement>(el, 'secure-thread-view', 'secure-rich-editor', '[part~="editor"]')!.focus();
    await sendKeys({ type: 'Answered' });
    send.click();
    await until(() => requestsTo('/queues', 'GET').length > before);
    await until(() => options(filter(el, 'queue-status'))[3] === 'Answered (2)');
  });

  it('is not shown to customers', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await until(() => qa(el, 'secure-conversation-list', '[role="option"]').length);
    expect(q(el, 'secure-queue-filters')).to.equal(null);
    expect(requestsTo('/queues')).to.have.length(0);
  });
});
