import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { db, failWith, focused, q, qa, requestsTo, text, until, useMocks } from '../../internal/test/mocks.js';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';
import type { SecureAnswerPanel } from './answer-panel.js';

const open = async (token = 'token-bob', id = 'c-permit') => {
  const el = await fixture<SecureInbox>(html`<secure-inbox token=${token} conversation=${id}></secure-inbox>`);
  await until(() => q(el, 'secure-thread-view', 'secure-answer-panel', '[part~="answer-panel"]'));
  return el;
};
const panel = (el: Element) => q<SecureAnswerPanel>(el, 'secure-thread-view', 'secure-answer-panel')!;
const inPanel = <E extends Element = HTMLElement>(el: Element, selector: string) => q<E>(el, 'secure-thread-view', 'secure-answer-panel', selector)!;
const button = (el: Element, label: string) => qa<HTMLButtonElement>(el, 'secure-thread-view', 'secure-answer-panel', 'button').find((b) => text(b) === label)!;
const messages = (el: Element) => qa(el, 'secure-thread-view', '[part~="message"]');
const posts = () => requestsTo('/conversations/c-permit/messages', 'POST').map((r) => r.body);

async function ctrlEnter() {
  await sendKeys({ down: 'Control' });
  await sendKeys({ press: 'Enter' });
  await sendKeys({ up: 'Control' });
}

async function write(el: Element, words: string) {
  q<HTMLElement>(el, 'secure-thread-view', 'secure-rich-editor', '[part~="editor"]')!.focus();
  await sendKeys({ type: words });
}

describe('answer panel', () => {
  useMocks();

  for (const [label, action, status, internal] of [
    ['Send', 'send', 'answered', false],
    ['Send & leave open', 'send_leave_open', 'attentive', false],
    ['Post as status update', 'status_update', 'attentive', false],
    ['Internal note', 'internal_note', 'attentive', true],
  ] as const) {
    it(`${label} posts action ${action}`, async () => {
      const el = await open();
      await write(el, `Answer ${action}`);
      const before = oneEvent(el, 'secure-before-send');
      button(el, label).click();
      const check = (await before) as CustomEvent;
      expect(check.cancelable).to.equal(true);
      expect(check.detail).to.deep.include({ conversationId: 'c-permit', action });
      await oneEvent(el, 'secure-sent');
      expect(posts()).to.deep.equal([{ body: `<p>Answer ${action}</p>`, action }]);
      await until(() => messages(el).length === 5);
      expect(messages(el)[4].getAttribute('part')!.includes('message-internal')).to.equal(internal);
      expect(db.conversations.get('c-permit')!.conversation.status).to.equal(status);
    });
  }

  it('marks Resolve and Internal note as internal, in text and style', async () => {
    const el = await open();
    const banner = inPanel(el, '[part~="internal-banner"]');
    expect(text(banner)).to.equal('Internal — not shown to the customer');
    const group = banner.closest('[role="group"]')!;
    expect(group.getAttribute('aria-labelledby')).to.equal(banner.id);
    expect([...group.querySelectorAll('button')].map((b) => text(b))).to.deep.equal(['Resolve', 'Internal note']);
    expect(getComputedStyle(group).borderTopStyle).to.equal('dashed');
    expect(getComputedStyle(button(el, 'Resolve')).borderTopStyle).to.equal('dashed');
    expect(getComputedStyle(button(el, 'Send')).borderTopStyle).to.equal('solid');
    expect(text(q(el, 'secure-thread-view', 'secure-answer-panel', '#update-hint'))).to.contain('Status tab');
    expect(button(el, 'Post as status update').getAttribute('aria-describedby')).to.equal('update-hint');
    await expect(el).to.be.accessible();
  });

  it('asks before resolving: Cancel and Escape send nothing and return focus to Resolve', async () => {
    const el = await open();
    await write(el, 'Closing this');
    button(el, 'Resolve').click();
    const confirm = await until(() => inPanel(el, '[part~="confirm"]'));
    expect(text(confirm)).to.contain('Internal — not shown to the customer');
    expect(text(confirm)).to.contain('Resolve this conversation?');
    await until(() => focused()?.id === 'confirm');
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Escape' });
    await until(() => !q(el, 'secure-thread-view', 'secure-answer-panel', '[part~="confirm"]'));
    expect(focused()).to.equal(button(el, 'Resolve'));
    button(el, 'Resolve').click();
    await until(() => focused()?.id === 'confirm');
    button(el, 'Cancel').click();
    await until(() => !q(el, 'secure-thread-view', 'secure-answer-panel', '[part~="confirm"]'));
    expect(focused()).to.equal(button(el, 'Resolve'));
    expect(posts()).to.have.length(0);
  });

  it('resolves after the confirmation with a note hidden from the customer', async () => {
    const el = await open();
    await write(el, 'Done, closing');
    button(el, 'Resolve').click();
    await until(() => focused()?.id === 'confirm');
    await sendKeys({ press: 'Enter' });
    await until(() => posts().length === 1);
    expect(posts()[0]).to.deep.equal({ body: '<p>Done, closing</p>', action: 'resolve' });
    await until(() => messages(el).length === 5);
    expect(messages(el)[4].getAttribute('part')).to.contain('message-internal');
    expect(db.conversations.get('c-permit')!.conversation.status).to.equal('resolved');
    await until(() => text(q(el, 'secure-thread-view', '[part~="status"]')) === 'Resolved');
    expect(q(el, 'secure-thread-view', 'secure-answer-panel', '[part~="confirm"]')).to.equal(null);
  });

  it('adds a tip and notifies all administrators with the message, then clears both', async () => {
    const el = await open();
    const tipButton = button(el, 'Add tip');
    expect(tipButton.getAttribute('aria-expanded')).to.equal('false');
    tipButton.click();
    await until(() => focused()?.id === 'tip');
    expect(tipButton.getAttribute('aria-expanded')).to.equal('true');
    await sendKeys({ type: 'Upload plans as PDF' });
    inPanel<HTMLInputElement>(el, '#notify').click();
    await expect(el).to.be.accessible();
    await write(el, 'See the tip');
    button(el, 'Send & leave open').click();
    await until(() => posts().length === 1);
    expect(posts()[0]).to.deep.equal({ body: '<p>See the tip</p>', action: 'send_leave_open', tip: 'Upload plans as PDF', notifyAdmins: true });
    await until(() => messages(el).length === 5);
    expect(messages(el)[4].querySelector('secure-tip-popover')).to.exist;
    expect(inPanel<HTMLInputElement>(el, '#tip').value).to.equal('');
    expect(inPanel<HTMLInputElement>(el, '#notify').checked).to.equal(false);
  });

  it('sends with the default action on Ctrl+Enter', async () => {
    const el = await open();
    await write(el, 'Quick answer');
    await ctrlEnter();
    await until(() => posts().length === 1);
    expect(posts()[0]).to.deep.equal({ body: '<p>Quick answer</p>', action: 'send' });
  });

  it('keeps every control in tab order: tip, notify, the answers, then the internal ones', async () => {
    const el = await open();
    button(el, 'Add tip').focus();
    const order = [text(focused())];
    for (let i = 0; i < 6; i++) {
      await sendKeys({ press: 'Tab' });
      const f = focused() as HTMLElement;
      order.push(f.id === 'notify' ? 'notify' : text(f));
    }
    expect(order).to.deep.equal(['Add tip', 'notify', 'Send', 'Send & leave open', 'Post as status update', 'Resolve', 'Internal note']);
  });

  it('lets the host veto an answer, and shows a failed post', async () => {
    const el = await open();
    await write(el, 'Vetoed');
    el.addEventListener('secure-before-send', (event) => event.preventDefault(), { once: true });
    button(el, 'Send').click();
    await until(() => text(q(el, 'secure-thread-view', '[part~="reply"] [role="alert"]')) === 'The message was not sent.');
    expect(posts()).to.have.length(0);
    failWith('post', '/conversations/c-permit/messages', 500);
    button(el, 'Send').click();
    await until(() => text(q(el, 'secure-thread-view', '[part~="reply"] [role="alert"]')) === 'Something went wrong on the message server.');
    expect(panel(el).sending).to.equal(false);
    await expect(el).to.be.accessible();
  });

  it('is not shown to customers, who keep the plain reply box', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-permit"></secure-inbox>`);
    await until(() => q(el, 'secure-thread-view', '[part~="send"]'));
    expect(q(el, 'secure-thread-view', 'secure-answer-panel')).to.equal(null);
    await write(el, 'Customer reply');
    await ctrlEnter();
    await until(() => posts().length === 1);
    expect(posts()[0]).to.deep.equal({ body: '<p>Customer reply</p>' });
  });
});
