import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { http } from 'msw';
import { acknowledgement, db, failWith, focused, q, qa, requestsTo, text, until, useMocks, users, worker } from '../../internal/test/mocks.js';
import type { Session } from '../../internal/session.js';
import { richText } from '../../internal/sanitize.js';
import { payloads } from '../../internal/test/xss.js';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';
import type { SecureThreadView } from './thread-view.js';

const open = async (token: string, id = 'c-permit') => {
  const el = await fixture<SecureInbox>(html`<secure-inbox token=${token} conversation=${id}></secure-inbox>`);
  await until(() => q(el, 'secure-thread-view', '[part~="subject"]'));
  return el;
};
const messages = (el: Element) => qa(el, 'secure-thread-view', '[part~="message"]');
const actionButton = (el: Element, label: string) =>
  qa<HTMLButtonElement>(el, 'secure-thread-view', '[part~="thread-actions"] button').find((b) => text(b) === label)!;
const editor = (el: Element) => q(el, 'secure-thread-view', 'secure-rich-editor', '[part~="editor"]')!;

async function typeReply(el: Element, words: string) {
  editor(el).focus();
  await sendKeys({ type: words });
}

describe('thread view', () => {
  useMocks();

  it('shows the messages oldest first in a feed, with a link to the host record', async () => {
    const el = await open('token-alice');
    const feed = q(el, 'secure-thread-view', '[part~="messages"]')!;
    expect(feed.getAttribute('role')).to.equal('feed');
    const shown = messages(el);
    expect(shown.map((m) => m.tagName)).to.deep.equal(['ARTICLE', 'ARTICLE', 'ARTICLE']);
    expect(shown.map((m) => text(m.querySelector('[part~="message-body"]')))).to.deep.equal([
      'When can the inspection take place?',
      'We can come on Tuesday. Please upload the plan.',
      'Here is the plan, see the drawing.',
    ]);
    expect(shown[0].getAttribute('aria-posinset')).to.equal('1');
    expect(shown[0].getAttribute('aria-setsize')).to.equal('3');
    const body = shown[0].querySelector('[part~="message-body"]')!;
    expect(body.querySelector('strong')).to.exist;
    const record = q<HTMLAnchorElement>(el, 'secure-thread-view', '[part~="record-link"]')!;
    expect(text(record)).to.equal('View permit: Permit 2024-117');
    expect(record.href).to.equal('https://portal.example/permits/2024-117');
    expect(record.rel).to.contain('noopener');
    // As read on screen (layout included): no space before a comma.
    expect(q(el, 'secure-thread-view', '[part~="participants"]')!.innerText).to.equal('Participants: Alice Ng, Bob Staff, Carl Ode');
    const link = shown[2].querySelector<HTMLAnchorElement>('[part~="message-body"] a')!;
    expect(link.target).to.equal('_blank');
    expect(link.rel).to.equal('noopener noreferrer nofollow');
    await expect(el).to.be.accessible();
  });

  it('gives up loading a conversation left before it arrived, and never shows it', async () => {
    // The first conversation's answer waits until the test lets it through (then the mock answers as usual).
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    worker.use(http.get('*/api/v1/conversations/c-permit', () => held.then(() => undefined)));
    const signals = new Map<string, AbortSignal | null | undefined>();
    const original = window.fetch;
    window.fetch = (input, init) => {
      const path = new URL(String(input)).pathname;
      if (path.startsWith('/api/v1/conversations/c-')) signals.set(path, init?.signal);
      return original(input, init);
    };
    const errors: Event[] = [];
    try {
      const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-permit"></secure-inbox>`);
      el.addEventListener('secure-error', (event) => errors.push(event));
      await until(() => signals.has('/api/v1/conversations/c-permit'));
      el.conversation = 'c-xss';
      const subject = () => text(q(el, 'secure-thread-view', '[part~="subject"]'));
      await until(() => subject() === 'Strange formatting');
      expect(signals.get('/api/v1/conversations/c-permit')?.aborted, 'the first request was given up').to.equal(true);
      expect(signals.get('/api/v1/conversations/c-xss')?.aborted).to.equal(false);
      release();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await el.updateComplete;
      expect(subject()).to.equal('Strange formatting');
      expect(errors, 'giving up is no error').to.have.length(0);
    } finally {
      window.fetch = original;
      release();
    }
  });

  it('tells who answers: the assignee by name, or the account team', async () => {
    const el = await open('token-alice');
    const answeredBy = () => text(q(el, 'secure-thread-view', '[part~="answered-by"]'));
    expect(answeredBy()).to.equal('Who answers: the Permit 2024-117, 12 Elm St team');
    await expect(el).to.be.accessible();
    db.conversations.get('c-permit')!.conversation.assignee = { id: 'u-dora', name: 'Dora Reviewer', role: 'staff' };
    q<SecureThreadView>(el, 'secure-thread-view')!.reload();
    await until(() => answeredBy() === 'Who answers: Dora Reviewer');
    await expect(el).to.be.accessible();
  });

  it('flags support apart from staff and customers, in words and colour', async () => {
    const el = await open('token-bob', 'c-cafe');
    const [support] = messages(el);
    expect(text(support.querySelector('.role'))).to.equal('Support');
    expect(support.classList.contains('flag-support')).to.equal(true);
    await expect(el).to.be.accessible();
    el.conversation = 'c-permit';
    await until(() => messages(el).length === 4 && messages(el));
    const [customer, staff] = messages(el);
    expect([customer, staff].map((m) => text(m.querySelector('.role')))).to.deep.equal(['Customer', 'Staff']);
    const colour = (m: Element) => getComputedStyle(m).borderInlineStartColor;
    expect(new Set([colour(support), colour(customer), colour(staff)]).size).to.equal(3);
  });

  it('marks internal notes for staff and never shows them to customers', async () => {
    const staff = await open('token-bob');
    const internal = messages(staff).filter((m) => m.getAttribute('part')!.includes('message-internal'));
    expect(internal).to.have.length(1);
    expect(text(internal[0].querySelector('[part~="internal-label"]'))).to.equal('Internal');
    expect(text(internal[0])).to.contain('Not visible to the customer');
    expect(getComputedStyle(internal[0]).borderInlineStartColor).to.not.equal(getComputedStyle(messages(staff)[0]).borderInlineStartColor);
    await expect(staff).to.be.accessible();
    const customer = await open('token-alice');
    expect(messages(customer).some((m) => text(m).includes('be kind'))).to.equal(false);
  });

  it('lists attachments with download buttons that fetch with the token', async () => {
    const el = await open('token-alice');
    const items = qa(el, 'secure-thread-view', '[part~="attachment"]');
    expect(items.map(text)).to.deep.equal(['PDF inspection-checklist.pdf (47 KB) Download', 'PDF plan.pdf (1.2 MB) Download']);
    const button = items[1].querySelector<HTMLButtonElement>('[part~="attachment-download"]')!;
    expect(button.getAttribute('aria-label')).to.equal('Download plan.pdf');
    button.click();
    await until(() => requestsTo('/attachments/att-plan').length);
    expect(requestsTo('/attachments/att-plan')[0].auth).to.equal('Bearer token-alice');
  });

  it('shows which message a reply answers, and lets the person pick another', async () => {
    const el = await open('token-alice');
    const quote = () => text(q(el, 'secure-thread-view', '[part~="reply-quote"]'));
    expect(quote()).to.equal('Replying to Alice Ng Here is the plan, see the drawing.');
    const replyTo = messages(el)[1].querySelector<HTMLButtonElement>('[part~="reply-to"]')!;
    replyTo.click();
    await until(() => quote().startsWith('Replying to Bob Staff'));
    expect(quote()).to.contain('We can come on Tuesday.');
    await until(() => focused()?.getAttribute('part') === 'editor');
  });

  it('keeps the line breaks of the message it quotes', async () => {
    db.conversations.get('c-permit')!.messages.at(-1)!.body =
      '<p>Hi Sarah,</p>\n<p>We are <strong>ready</strong>.<br>Tuesday suits us.</p><ul><li>Plan</li><li>Photos</li></ul>';
    const el = await open('token-alice');
    const quote = q(el, 'secure-thread-view', '[part~="reply-quote"] blockquote')!;
    expect(quote.innerText).to.equal('Hi Sarah,\nWe are ready.\nTuesday suits us.\nPlan\nPhotos');
    await expect(el).to.be.accessible();
  });

  it('keeps each drawn body across re-renders, with its content', async () => {
    const el = await open('token-alice');
    const bodies = messages(el).map((m) => m.querySelector('[part~="message-body"]')!);
    messages(el)[0].querySelector<HTMLButtonElement>('[part~="reply-to"]')!.click();
    await until(() => text(q(el, 'secure-thread-view', '[part~="reply-quote"]')).includes('When can the inspection take place?'));
    const again = messages(el).map((m) => m.querySelector('[part~="message-body"]')!);
    expect(again).to.deep.equal(bodies);
    expect(again.map(text)).to.deep.equal([
      'When can the inspection take place?',
      'We can come on Tuesday. Please upload the plan.',
      'Here is the plan, see the drawing.',
    ]);
    expect(again[0].className).to.equal('body');
  });

  it('sends a reply: fires secure-before-send, posts, shows it and announces it', async () => {
    const el = await open('token-alice');
    await typeReply(el, 'Thanks, Tuesday works.');
    const before = oneEvent(el, 'secure-before-send');
    q<HTMLButtonElement>(el, 'secure-thread-view', '[part~="send"]')!.click();
    const check = (await before) as CustomEvent;
    expect(check.cancelable).to.equal(true);
    expect(check.detail).to.deep.include({ conversationId: 'c-permit', action: 'reply' });
    const sent = (await oneEvent(el, 'secure-sent')) as CustomEvent;
    expect(sent.detail.message.body).to.contain('Thanks, Tuesday works.');
    const [post] = requestsTo('/conversations/c-permit/messages', 'POST');
    expect(post.body).to.deep.equal({ body: '<p>Thanks, Tuesday works.</p>' });
    await until(() => messages(el).length === 4);
    expect(text(messages(el)[3].querySelector('[part~="message-body"]'))).to.equal('Thanks, Tuesday works.');
    expect(qa(el, 'secure-thread-view', '[role="status"]').map(text)).to.include('Message sent.');
    expect(text(editor(el))).to.equal('');
  });

  it('holds a reply while a refused file is attached, until it is removed', async () => {
    const el = await open('token-alice');
    await typeReply(el, 'Plan and logo attached.');
    const picker = q(el, 'secure-thread-view', 'secure-attachment-picker')! as unknown as { add(files: File[]): void; ids: string[] };
    picker.add([new File(['%PDF-1.4 plan'], 'plan.pdf', { type: 'application/pdf' }), new File(['<svg/>'], 'logo.svg', { type: 'image/svg+xml' })]);
    const chips = () => qa(el, 'secure-thread-view', 'secure-attachment-picker', '[part~="attachment-chip"]');
    await until(() => picker.ids.length === 1 && chips().some((chip) => chip.querySelector('[part~="error"]')));
    const send = q<HTMLButtonElement>(el, 'secure-thread-view', '[part~="send"]')!;
    send.click();
    const alert = q(el, 'secure-thread-view', '[part~="reply"] [role="alert"]')!;
    await until(() => text(alert) === 'Remove or replace the refused file.');
    expect(requestsTo('/conversations/c-permit/messages', 'POST')).to.have.length(0);
    await expect(el).to.be.accessible();

    const refused = chips().find((chip) => text(chip).includes('logo.svg'))!;
    refused.querySelector<HTMLButtonElement>('[part~="remove-attachment"]')!.click();
    await until(() => chips().length === 1);
    const ids = [...picker.ids];
    expect(ids).to.have.length(1);
    send.click();
    await until(() => requestsTo('/conversations/c-permit/messages', 'POST').length);
    expect((requestsTo('/conversations/c-permit/messages', 'POST')[0].body as { attachmentIds: string[] }).attachmentIds).to.deep.equal(ids);
  });

  it('lets the host veto a reply', async () => {
    const el = await open('token-alice');
    await typeReply(el, 'Not this one');
    el.addEventListener('secure-before-send', (event) => event.preventDefault(), { once: true });
    q<HTMLButtonElement>(el, 'secure-thread-view', '[part~="send"]')!.click();
    await until(() => text(q(el, 'secure-thread-view', '[part~="reply"] [role="alert"]')) === 'The message was not sent.');
    expect(requestsTo('/conversations/c-permit/messages', 'POST')).to.have.length(0);
  });

  it('asks for a body before sending', async () => {
    const el = await open('token-alice');
    q<HTMLButtonElement>(el, 'secure-thread-view', '[part~="send"]')!.click();
    await until(() => editor(el).getAttribute('aria-invalid') === 'true');
    expect(text(q(el, 'secure-thread-view', 'secure-rich-editor', '[part~="error"]'))).to.equal('Write a message first.');
    expect(requestsTo('/conversations/c-permit/messages', 'POST')).to.have.length(0);
  });

  it('offers staff the answer panel and posts the action chosen', async () => {
    const el = await open('token-bob');
    const buttons = qa<HTMLButtonElement>(el, 'secure-thread-view', 'secure-answer-panel', '[part~="answer-button"]');
    expect(buttons.map((b) => text(b))).to.deep.equal(['Send', 'Send & leave open', 'Post as status update', 'Resolve', 'Internal note']);
    expect(q(el, 'secure-thread-view', '[part~="send"]')).to.equal(null);
    await typeReply(el, 'Check the plan first');
    buttons.find((b) => text(b) === 'Internal note')!.click();
    await until(() => messages(el).length === 5);
    expect(requestsTo('/conversations/c-permit/messages', 'POST')[0].body).to.deep.equal({ body: '<p>Check the plan first</p>', action: 'internal_note' });
    expect(messages(el)[4].getAttribute('part')).to.contain('message-internal');
  });

  it('gives customers no staff actions', async () => {
    const el = await open('token-alice');
    expect(q(el, 'secure-thread-view', 'secure-answer-panel')).to.equal(null);
    expect(q(el, 'secure-thread-view', 'secure-conversation-controls')).to.equal(null);
  });

  it('marks the conversation unread and returns to the list', async () => {
    const el = await open('token-alice');
    await until(() => requestsTo('/conversations/c-permit/read', 'POST').length);
    actionButton(el, 'Mark as unread').click();
    await until(() => requestsTo('/conversations/c-permit/unread', 'POST').length);
    await until(() => !el.hasAttribute('conversation'));
    expect(db.conversations.get('c-permit')!.unread).to.be.greaterThan(0);
  });

  it('adds recipients from the account directory', async () => {
    const el = await open('token-alice');
    actionButton(el, 'Add recipients').click();
    const panel = await until(() => q(el, 'secure-thread-view', 'form[part~="panel"]'));
    await until(() => panel.querySelector('input'));
    const choices = [...panel.querySelectorAll('label')].map(text);
    expect(choices).to.deep.equal(['Dora Reviewer (Staff)']);
    expect(requestsTo('/directory')[0].query.get('accountId')).to.equal('acc-permit');
    await expect(el).to.be.accessible();
    panel.querySelector<HTMLInputElement>('input')!.click();
    panel.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await until(() => text(q(el, 'secure-thread-view', '[part~="participants"]')).includes('Dora Reviewer'));
    expect(requestsTo('/conversations/c-permit/participants', 'POST')[0].body).to.deep.equal({ userIds: ['u-dora'] });
  });

  it('tells staff, before they add a customer to a staff-only conversation, that the customer sees messages from now on', async () => {
    const el = await open('token-bob', 'c-cafe');
    actionButton(el, 'Add recipients').click();
    const panel = await until(() => q(el, 'secure-thread-view', 'form[part~="panel"]'));
    await until(() => panel.querySelector('input'));
    expect([...panel.querySelectorAll('label')].map(text)).to.deep.equal(['Erin Harbour (Customer)']);
    const hint = panel.querySelector('[part~="panel-hint"]')!;
    expect(text(hint)).to.equal('Customers you add will see messages from now on, not the earlier staff-only messages.');
    expect(panel.querySelector('fieldset')!.getAttribute('aria-describedby')).to.equal(hint.id);
    await expect(el).to.be.accessible();
    // A conversation that already has a customer shows no such hint.
    const permit = await open('token-bob');
    actionButton(permit, 'Add recipients').click();
    const other = await until(() => q(permit, 'secure-thread-view', 'form[part~="panel"]'));
    await until(() => other.querySelector('input'));
    expect(other.querySelector('[part~="panel-hint"]')).to.equal(null);
    await expect(permit).to.be.accessible();
  });

  it('leaves the conversation after a confirmation', async () => {
    const el = await open('token-alice');
    actionButton(el, 'Leave').click();
    const panel = await until(() => q(el, 'secure-thread-view', '[part~="panel"]'));
    expect(text(panel)).to.contain('Leave this conversation?');
    await until(() => focused()?.textContent?.trim() === 'Leave');
    const left = oneEvent(el, 'secure-conversation-leave');
    (focused() as HTMLButtonElement).click();
    expect(((await left) as CustomEvent).detail.id).to.equal('c-permit');
    await until(() => !el.hasAttribute('conversation'));
    expect(requestsTo('/conversations/c-permit/leave', 'POST')).to.have.length(1);

    // The old link afterwards: a clear sentence, no Retry that cannot help.
    el.conversation = 'c-permit';
    const error = await until(() => q(el, 'secure-thread-view', '[part~="error"]'));
    expect(text(error)).to.equal('You left this conversation.');
    expect(error.getAttribute('role')).to.equal('alert');
    expect(q(el, 'secure-thread-view', '[part~="retry"]')).to.equal(null);
    await expect(el).to.be.accessible();
  });

  it('shows an unknown or foreign conversation as not found, without a Retry', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-cafe"></secure-inbox>`);
    const error = await until(() => q(el, 'secure-thread-view', '[part~="error"]'));
    expect(text(error)).to.equal('This conversation does not exist, or you no longer have access to it.');
    expect(q(el, 'secure-thread-view', '[part~="retry"]')).to.equal(null);
    await expect(el).to.be.accessible();
  });

  it('shows who left, and when, among the messages', async () => {
    const stored = db.conversations.get('c-permit')!;
    const [, second] = stored.messages;
    const at = new Date(Date.parse(second!.createdAt) + 1000).toISOString();
    stored.conversation.departures = [{ user: { id: 'u-carl', name: 'Carl Ode', role: 'customer' }, at }];
    const el = await open('token-alice');
    const feed = q(el, 'secure-thread-view', '[part~="messages"]')!;
    const items = [...feed.children];
    expect(items.map((item) => item.getAttribute('part'))).to.deep.equal(['message', 'message', 'departure', 'message']);
    expect(text(items[2]!).startsWith('Carl Ode left the conversation.')).to.equal(true);
    expect(items[2]!.querySelector('time')!.getAttribute('datetime')).to.equal(at);
    expect(items.map((item) => item.getAttribute('aria-posinset'))).to.deep.equal(['1', '2', '3', '4']);
    await expect(el).to.be.accessible();
    // Reply buttons still answer their own message.
    items[3]!.querySelector<HTMLButtonElement>('[part~="reply-to"]')!.click();
    await until(() => text(q(el, 'secure-thread-view', '[part~="reply-quote"] figcaption')) === 'Replying to Alice Ng');
  });

  it('closes the add-recipients and leave panels with Escape or Cancel, focus back on the button that opened them', async () => {
    const el = await open('token-alice');
    const panel = () => q(el, 'secure-thread-view', '[part~="panel"]');
    const add = actionButton(el, 'Add recipients');
    add.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => panel()?.querySelector('input') && focused() === panel()!.querySelector('input'));
    expect(add.getAttribute('aria-expanded')).to.equal('true');
    await sendKeys({ press: 'Escape' });
    await until(() => !panel());
    expect(focused()).to.equal(add);
    expect(add.getAttribute('aria-expanded')).to.equal('false');

    const leave = actionButton(el, 'Leave');
    leave.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => focused()?.textContent?.trim() === 'Leave' && focused() !== leave);
    await sendKeys({ press: 'Escape' });
    await until(() => !panel());
    expect(focused()).to.equal(leave);
    expect(el.hasAttribute('conversation')).to.equal(true);
    expect(requestsTo('/conversations/c-permit/leave', 'POST')).to.have.length(0);

    leave.click();
    await until(() => panel());
    [...panel()!.querySelectorAll<HTMLButtonElement>('button')].find((b) => text(b) === 'Cancel')!.click();
    await until(() => !panel());
    expect(focused()).to.equal(leave);
    await expect(el).to.be.accessible();
  });

  it('moves a conversation to the trash and restores it from there', async () => {
    const el = await open('token-alice');
    actionButton(el, 'Move to trash').click();
    await until(() => db.conversations.get('c-permit')!.trashed);
    await until(() => !el.hasAttribute('conversation'));
    el.folder = 'trash';
    el.conversation = 'c-permit';
    await until(() => actionButton(el, 'Restore'));
    actionButton(el, 'Restore').click();
    await until(() => !db.conversations.get('c-permit')!.trashed);
  });

  it('never executes script from a message body', async () => {
    (window as unknown as { __xss?: number }).__xss = undefined;
    const el = await open('token-alice', 'c-xss');
    const body = messages(el)[0].querySelector('[part~="message-body"]')!;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((window as unknown as { __xss?: number }).__xss).to.equal(undefined);
    expect(body.querySelector('img, script, iframe, svg, [onclick], [style]')).to.equal(null);
    const links = [...body.querySelectorAll('a')];
    expect(links.filter((a) => a.hasAttribute('href')).map((a) => a.getAttribute('href'))).to.deep.equal(['mailto:help@example.com']);
    expect(text(body)).to.contain('click me');
  });

  it('renders deeply nested bodies (4,000 <div>, 4,000 <b>) as their text, without freezing the page or throwing', async () => {
    const stored = db.conversations.get('c-permit')!;
    const template = stored.messages[0];
    const nested = (tag: string, depth: number, words: string) => `${`<${tag}>`.repeat(depth)}${words}${`</${tag}>`.repeat(depth)}`;
    stored.messages.push(
      { ...template, id: 'm-deep-div', body: nested('div', 4000, 'deep in divs &amp; more'), createdAt: '2025-03-02T10:00:00Z' },
      { ...template, id: 'm-deep-b', body: `<p>${nested('b', 4000, 'deep in bold')}</p>`, createdAt: '2025-03-02T10:01:00Z' },
      {
        ...template,
        id: 'm-deep-unclosed',
        body: `${'<blockquote><b>'.repeat(2000)}unclosed <img src=x onerror="window.__xss=5">`,
        createdAt: '2025-03-02T10:02:00Z',
      },
      { ...template, id: 'm-64', body: `<p>${nested('b', 63, 'as deep as allowed')}</p>`, createdAt: '2025-03-02T10:03:00Z' },
    );
    const errors: string[] = [];
    const onError = (event: ErrorEvent) => errors.push(event.message);
    window.addEventListener('error', onError);
    // The page keeps answering: a timer that should tick every 10 ms is never held up for long.
    let longestPause = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestPause = Math.max(longestPause, now - last);
      last = now;
    }, 10);
    try {
      const el = await open('token-alice');
      await until(() => messages(el).length === 7);
      const bodies = messages(el)
        .slice(3)
        .map((m) => m.querySelector('[part~="message-body"]')!);
      expect(bodies.map(text)).to.deep.equal(['deep in divs & more', 'deep in bold', 'unclosed', 'as deep as allowed']);
      // Too deep for any body the server writes: text only. As deep as allowed: formatting kept.
      expect(bodies.slice(0, 3).map((b) => b.querySelectorAll('*').length)).to.deep.equal([0, 0, 0]);
      expect(bodies[3].querySelectorAll('p > b b').length).to.equal(62);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((window as unknown as { __xss?: number }).__xss).to.equal(undefined);
      expect(errors).to.deep.equal([]);
      expect(longestPause).to.be.below(500);
      await expect(el).to.be.accessible();
    } finally {
      clearInterval(ticker);
      window.removeEventListener('error', onError);
    }
  });

  it('bounds the depth of bodies whose tags do not say how deep they nest, without freezing the page', async () => {
    const stored = db.conversations.get('c-permit')!;
    const template = stored.messages[0];
    stored.messages.push(
      // End tags of elements that are not open change nothing: 5,000 <b> nest all the same.
      { ...template, id: 'm-stray-ends', body: `${'<b></q>'.repeat(5000)}stray end tags`, createdAt: '2025-03-02T10:00:00Z' },
      // Misnested formatting: the parser keeps each <div> open inside the last.
      { ...template, id: 'm-misnested', body: `${'<b><div></b>'.repeat(2500)}misnested`, createdAt: '2025-03-02T10:01:00Z' },
      { ...template, id: 'm-nested-b', body: `${'<b>'.repeat(5000)}five thousand${'</b>'.repeat(5000)}`, createdAt: '2025-03-02T10:02:00Z' },
    );
    const errors: string[] = [];
    const onError = (event: ErrorEvent) => errors.push(event.message);
    window.addEventListener('error', onError);
    let longestPause = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestPause = Math.max(longestPause, now - last);
      last = now;
    }, 10);
    try {
      const el = await open('token-alice');
      await until(() => messages(el).length === 6);
      const bodies = messages(el)
        .slice(3)
        .map((m) => m.querySelector('[part~="message-body"]')!);
      expect(bodies.map(text)).to.deep.equal(['stray end tags', 'misnested', 'five thousand']);
      // How deep elements nest inside each body: never deeper than any body the server writes.
      const depth = (node: Element): number => Math.max(0, ...[...node.children].map((child) => 1 + depth(child)));
      for (const body of bodies) expect(depth(body)).to.be.at.most(64);
      expect(errors).to.deep.equal([]);
      expect(longestPause).to.be.below(500);
      await expect(el).to.be.accessible();
    } finally {
      clearInterval(ticker);
      window.removeEventListener('error', onError);
    }
  });

  it('renders bodies carrying XSS payloads without a script, handler, style or unsafe address, and stays accessible', async () => {
    const stored = db.conversations.get('c-permit')!;
    const template = stored.messages[0];
    stored.messages.splice(
      0,
      stored.messages.length,
      ...payloads.map((payload, i) => ({
        ...template,
        id: `m-xss-${i + 1}`,
        body: `<p>before ${i + 1}</p>${payload.replaceAll('__xss(1)', `__xss(${i + 1})`)}`,
        createdAt: `2025-03-02T10:${String(i).padStart(2, '0')}:00Z`,
      })),
    );
    const ran: unknown[] = [];
    const page = window as unknown as Record<string, unknown>;
    const saved = { alert: page.alert, confirm: page.confirm, prompt: page.prompt };
    page.__xss = (n: unknown) => ran.push(n);
    page.alert = page.confirm = page.prompt = (n: unknown) => ran.push(`dialog ${String(n)}`);
    try {
      const el = await open('token-alice');
      await until(() => messages(el).length === payloads.length);
      const bodies = messages(el).map((m) => m.querySelector('[part~="message-body"]')!);
      // Each body is shown (its own text first) and holds only the allow-list: no element, attribute or address besides.
      expect(bodies.map((body) => text(body.querySelector('p')))).to.deep.equal(payloads.map((_, i) => `before ${i + 1}`));
      for (const [i, body] of bodies.entries()) {
        for (const element of body.querySelectorAll('*')) {
          expect(richText.allowedTags as readonly string[], payloads[i]).to.include(element.localName);
          for (const name of element.getAttributeNames()) expect(richText.allowedAttributes as readonly string[], payloads[i]).to.include(name);
          if (element.hasAttribute('href')) expect(element.getAttribute('href'), payloads[i]).to.match(richText.allowedUriPattern);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ran).to.deep.equal([]);
      await expect(el).to.be.accessible();
    } finally {
      Object.assign(page, saved);
      delete page.__xss;
    }
  });

  it('reports a conversation that failed to load with a working Retry', async () => {
    failWith('get', '/conversations/c-permit', 500);
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-permit"></secure-inbox>`);
    const error = await until(() => q(el, 'secure-thread-view', '[part~="error"]'));
    expect(text(error)).to.contain('Something went wrong on the message server.');
    const { worker } = await import('../../internal/test/mocks.js');
    worker.resetHandlers();
    q<HTMLButtonElement>(el, 'secure-thread-view', '[part~="retry"]')!.click();
    await until(() => q(el, 'secure-thread-view', '[part~="subject"]'));
  });

  it('draws the newest messages first and older ones on request, then loads more by cursor', async () => {
    const stored = db.conversations.get('c-permit')!;
    const template = stored.messages[0];
    for (let i = 0; i < 260; i++) {
      stored.messages.unshift({
        ...template,
        id: `m-older-${i}`,
        body: `<p>Older ${i}</p>`,
        createdAt: new Date(Date.UTC(2025, 1, 1, 0, 260 - i)).toISOString(),
      });
    }
    // Bigger pages than the default, to exercise drawing older messages from memory first.
    db.threadPageSize = 200;
    const el = await open('token-alice');
    const older = () => q<HTMLButtonElement>(el, 'secure-thread-view', '[part~="older"]');
    await until(() => messages(el).length === 50);
    expect(messages(el)[0].getAttribute('aria-setsize')).to.equal('-1');
    expect(messages(el)[0].getAttribute('aria-posinset')).to.equal('151');
    const requests = requestsTo('/conversations/c-permit', 'GET').length;
    older()!.click();
    await until(() => messages(el).length === 100);
    expect(requestsTo('/conversations/c-permit', 'GET').length).to.equal(requests);
    expect(text(messages(el)[0].querySelector('[part~="message-body"]'))).to.equal('Older 96');
    expect(text(messages(el)[99].querySelector('[part~="message-body"]'))).to.equal('Here is the plan, see the drawing.');
    older()!.click();
    older()!.click();
    await until(() => messages(el).length === 200);
    older()!.click();
    await until(() => messages(el).length === 263);
    expect(requestsTo('/conversations/c-permit', 'GET').at(-1)!.query.get('before')).to.be.a('string');
    expect(older()).to.equal(null);
    expect(messages(el)[0].getAttribute('aria-setsize')).to.equal('263');
  });

  it('draws a new message below the ones on screen, which keep their place, focus and content', async () => {
    const stored = db.conversations.get('c-permit')!;
    const template = stored.messages[0];
    for (let i = 0; i < 60; i++) {
      stored.messages.unshift({
        ...template,
        id: `m-older-${i}`,
        body: `<p>Older ${i}</p>`,
        tip: null,
        createdAt: new Date(Date.UTC(2025, 1, 1, 0, 60 - i)).toISOString(),
      });
    }
    const el = await open('token-alice');
    await until(() => messages(el).length === 50);
    const before = messages(el);
    const firstText = text(before[0].querySelector('[part~="message-body"]'));
    const reply = before[10].querySelector<HTMLButtonElement>('[part~="reply-to"]')!;
    reply.focus();
    const session = (el as unknown as { session: Session }).session;
    stored.messages.push({
      ...stored.messages.at(-1)!,
      id: 'm-live-2',
      body: '<p>Arrived while reading.</p>',
      attachments: [],
      tip: null,
      createdAt: '2025-03-03T10:00:00Z',
    });
    session.push({ type: 'message.created', conversationId: 'c-permit', messageId: 'm-live-2' });
    await until(() => messages(el).length === 51);
    const after = messages(el);
    expect(after.slice(0, 50)).to.deep.equal(before);
    expect(text(after[0].querySelector('[part~="message-body"]'))).to.equal(firstText);
    expect(text(after[50].querySelector('[part~="message-body"]'))).to.equal('Arrived while reading.');
    expect(focused()).to.equal(reply);
    // Its Reply still answers its own message, in a window that has moved.
    const body = text(before[10].querySelector('[part~="message-body"]'));
    reply.click();
    await until(() => text(q(el, 'secure-thread-view', '[part~="reply-quote"]')).endsWith(body));
  });

  it('re-reads the open thread when new mail is reported, announces it and marks it read', async () => {
    const el = await open('token-alice');
    await until(() => requestsTo('/conversations/c-permit/read', 'POST').length === 1);
    const session = (el as unknown as { session: Session }).session;
    await until(() => session.unread !== undefined);
    const stored = db.conversations.get('c-permit')!;
    stored.messages.push({ ...stored.messages[1], id: 'm-live', body: '<p>Tuesday at 10.</p>', attachments: [], tip: null, createdAt: '2025-03-02T10:00:00Z' });
    stored.unread = 1;
    session.push({ type: 'unread.changed', unread: (session.unread ?? 0) + 1 });
    await until(() => messages(el).length === 4);
    expect(text(messages(el)[3].querySelector('[part~="message-body"]'))).to.equal('Tuesday at 10.');
    expect(qa(el, 'secure-thread-view', '[role="status"]').map(text)).to.include('New messages in this conversation.');
    await until(() => requestsTo('/conversations/c-permit/read', 'POST').length === 2);
  });
});

describe('thread view: solving, rating, reply times and "seen"', () => {
  useMocks();

  const part = (el: Element, name: string) => q(el, 'secure-thread-view', `[part~="${name}"]`);
  const announced = (el: Element) => qa(el, 'secure-thread-view', '[role="status"]').map(text);
  const stored = () => db.conversations.get('c-permit')!;

  it('lets a customer mark their conversation solved and open it again, by keyboard', async () => {
    const el = await open('token-alice');
    const updates: string[] = [];
    el.addEventListener('secure-conversation-update', (event) => updates.push(event.detail.conversation.status));
    const solve = part(el, 'solve') as HTMLButtonElement;
    expect(text(solve)).to.equal('Mark as solved');
    solve.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => text(part(el, 'status')) === 'Resolved');
    expect(requestsTo('/conversations/c-permit/solve', 'POST')).to.have.length(1);
    expect(text(solve)).to.equal('Reopen');
    expect(focused()).to.equal(solve);
    expect(announced(el)).to.include('Marked as solved.');
    expect(updates).to.deep.equal(['resolved']);
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Enter' });
    await until(() => text(part(el, 'status')) === 'Open');
    expect(requestsTo('/conversations/c-permit/reopen', 'POST')).to.have.length(1);
    expect(text(solve)).to.equal('Mark as solved');
    expect(announced(el)).to.include('Opened again.');
    expect(updates).to.deep.equal(['resolved', 'open']);
  });

  it('offers no rating before the conversation is answered, and tells a waiting customer when they will hear back', async () => {
    stored().conversation.status = 'open';
    stored().details.expectedReply = { amount: 2, unit: 'working_days' };
    const el = await open('token-alice');
    expect(part(el, 'rating-form')).to.equal(null);
    expect(text(part(el, 'expected-reply'))).to.equal('We usually answer within 2 working days.');
    await expect(el).to.be.accessible();
  });

  it('lets a customer rate an answered conversation with a comment, and change the rating, by keyboard', async () => {
    stored().conversation.status = 'answered';
    const el = await open('token-alice');
    const form = part(el, 'rating-form')!;
    expect(text(form.querySelector('legend'))).to.equal('Rate this conversation, from 1 (poor) to 5 (excellent)');
    await expect(el).to.be.accessible();
    // Sending without a score says what is missing, at the form, and puts focus on the scores.
    (form.querySelector('[type=submit]') as HTMLButtonElement).click();
    await until(() => text(form.querySelector('[role="alert"]')) === 'Choose a rating from 1 to 5.');
    const radios = [...form.querySelectorAll<HTMLInputElement>('[name=score]')];
    expect(focused()).to.equal(radios[0]);
    expect(requestsTo('/conversations/c-permit/rating', 'PUT')).to.have.length(0);
    await expect(el).to.be.accessible();
    // Arrow keys move through the scores (a native radio group); Tab reaches the comment.
    await sendKeys({ press: 'ArrowRight' });
    await sendKeys({ press: 'ArrowRight' });
    await sendKeys({ press: 'ArrowRight' });
    expect(radios.find((radio) => radio.checked)?.value).to.equal('4');
    await sendKeys({ press: 'Tab' });
    expect(focused()).to.equal(form.querySelector('textarea'));
    await sendKeys({ type: 'Quick and clear.' });
    const rated = new Promise<CustomEvent>((resolve) => el.addEventListener('secure-rated', resolve as EventListener, { once: true }));
    await sendKeys({ press: 'Tab' });
    await sendKeys({ press: 'Enter' });
    const event = await rated;
    expect(requestsTo('/conversations/c-permit/rating', 'PUT').map((r) => r.body)).to.deep.equal([{ score: 4, comment: 'Quick and clear.' }]);
    expect(event.detail.rating.score).to.equal(4);
    const line = await until(() => part(el, 'rating'));
    expect(text(line)).to.equal('You rated this conversation 4 of 5. Quick and clear. Change rating');
    expect(text(line.querySelector('q'))).to.equal('Quick and clear.');
    expect(focused()).to.equal(line);
    expect(announced(el)).to.include('Thank you for your rating.');
    await expect(el).to.be.accessible();
    // Changing it: the form opens with the score given, focus on it; Escape closes it and focus returns.
    (line.querySelector('button') as HTMLButtonElement).click();
    const again = await until(() => part(el, 'rating-form'));
    expect(focused()).to.equal(again.querySelector('[value="4"]'));
    expect((again.querySelector('textarea') as HTMLTextAreaElement).value).to.equal('Quick and clear.');
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Escape' });
    await until(() => !part(el, 'rating-form'));
    expect(focused()).to.equal(part(el, 'rating')!.querySelector('button'));
    (part(el, 'rating')!.querySelector('button') as HTMLButtonElement).click();
    await until(() => part(el, 'rating-form'));
    await sendKeys({ press: 'ArrowRight' });
    (part(el, 'rating-form')!.querySelector('[type=submit]') as HTMLButtonElement).click();
    await until(() => text(part(el, 'rating')).startsWith('You rated this conversation 5 of 5.'));
    expect(requestsTo('/conversations/c-permit/rating', 'PUT').map((r) => (r.body as { score: number }).score)).to.deep.equal([4, 5]);
  });

  it('shows a rating that may no longer be changed without "Change rating", and the server\'s refusal at the form', async () => {
    stored().conversation.status = 'resolved';
    stored().details.ratings = [
      {
        score: 2,
        comment: null,
        author: { id: users.alice.id, name: users.alice.name, role: 'customer' },
        createdAt: '2025-01-01T10:00:00Z',
        updatedAt: '2025-01-01T10:00:00Z',
        changeableUntil: '2025-01-08T10:00:00Z',
      },
    ];
    const el = await open('token-alice');
    expect(text(part(el, 'rating'))).to.equal('You rated this conversation 2 of 5.');
    expect(part(el, 'rating')!.querySelector('button')).to.equal(null);
    expect(part(el, 'rating-form')).to.equal(null);

    stored().details.ratings[0].changeableUntil = new Date(Date.now() + 86_400_000).toISOString();
    worker.use(
      http.put('*/api/v1/conversations/c-permit/rating', () =>
        Response.json({ error: { code: 'conflict', message: 'The rating can no longer be changed.' } }, { status: 409 }),
      ),
    );
    const again = await open('token-alice');
    (part(again, 'rating')!.querySelector('button') as HTMLButtonElement).click();
    await until(() => part(again, 'rating-form'));
    (part(again, 'rating-form')!.querySelector('[type=submit]') as HTMLButtonElement).click();
    await until(() => text(part(again, 'rating-form')!.querySelector('[role="alert"]')) === 'The rating can no longer be changed.');
    await expect(again).to.be.accessible();
  });

  it("draws the acknowledgement of a new question as a line of the feed, in the reader's words, never as a message to answer", async () => {
    stored().conversation.status = 'open';
    // Written with the question, a moment after it.
    const question = stored().messages[0];
    const line = acknowledgement('c-permit', users.alice, 'Permit office', 4, 'hours');
    line.createdAt = new Date(Date.parse(question.createdAt) + 1000).toISOString();
    stored().messages.splice(1, 0, line);
    const el = await open('token-alice');
    const drawn = await until(() => part(el, 'acknowledgement'));
    expect(text(drawn)).to.equal('Your question went to Permit office. We usually answer within 4 hours.');
    expect(drawn.localName).to.equal('article');
    expect(drawn.getAttribute('aria-posinset')).to.equal('2');
    expect(drawn.querySelector('[part~="reply-to"]')).to.equal(null);
    expect(messages(el)).to.have.length(3);
    await expect(el).to.be.accessible();
  });

  it("says when the team read the customer's latest message, by name only when the server gives one", async () => {
    const at = new Date();
    at.setHours(10, 42, 0, 0);
    const time = new Intl.DateTimeFormat('en', { timeStyle: 'short' }).format(at);
    stored().details.seen = { messageId: 'x', at: at.toISOString(), by: { name: 'Permit office', team: true } };
    const el = await fixture<SecureInbox>(html`<secure-inbox lang="en" token="token-alice" conversation="c-permit"></secure-inbox>`);
    const seen = await until(() => part(el, 'seen'));
    expect(text(seen)).to.equal(`Seen by the Permit office team, ${time}`);
    await expect(el).to.be.accessible();
    stored().details.seen = { messageId: 'x', at: at.toISOString(), by: { name: 'Bob Staff', team: false } };
    (el.shadowRoot!.querySelector('secure-thread-view') as SecureThreadView).reload();
    await until(() => text(part(el, 'seen')) === `Seen by Bob Staff, ${time}`);
  });

  it('shows staff every rating and when the customer read their answer, and no customer controls', async () => {
    stored().conversation.status = 'answered';
    stored().details.ratings = [
      {
        score: 5,
        comment: 'Quick and clear.',
        author: { id: users.alice.id, name: users.alice.name, role: 'customer' },
        createdAt: '2025-03-02T10:00:00Z',
        updatedAt: '2025-03-02T10:00:00Z',
        changeableUntil: '2025-03-09T10:00:00Z',
      },
    ];
    stored().details.seen = { messageId: 'x', at: '2025-03-02T10:00:00Z', by: { name: 'Alice Ng', team: false } };
    const el = await open('token-bob');
    expect(text(part(el, 'rating'))).to.equal('Alice Ng rated it 5 of 5. Quick and clear.');
    expect(text(part(el, 'rating')!.querySelector('q'))).to.equal('Quick and clear.');
    expect(text(part(el, 'seen'))).to.match(/^Seen by Alice Ng, /);
    expect(part(el, 'rating-form')).to.equal(null);
    expect(part(el, 'solve')).to.equal(null);
    await expect(el).to.be.accessible();
  });
});

describe('thread view: image previews, the PDF icon and pasted screenshots', () => {
  useMocks();

  /** A PNG of one colour, made by the browser. */
  const png = async (width: number, height: number, colour: string) => {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d')!;
    context.fillStyle = colour;
    context.fillRect(0, 0, width, height);
    return canvas.convertToBlob({ type: 'image/png' });
  };
  const addAttachment = (attachment: { id: string; name: string; size: number; contentType: string; scanStatus?: 'pending' | 'clean' | 'infected' }) =>
    db.conversations.get('c-permit')!.messages[0].attachments.push(attachment);
  const preview = (el: Element, name: string) => q<HTMLCanvasElement>(el, 'secure-thread-view', `[part~="attachment-preview"][aria-label="${name}"]`);

  it('draws an image attachment small, from the bytes fetched with the token, without any URL', async () => {
    db.files.set('att-photo', await png(640, 480, '#ff0000'));
    addAttachment({ id: 'att-photo', name: 'photo.png', size: 4000, contentType: 'image/png', scanStatus: 'clean' });
    const el = await open('token-alice');
    const canvas = await until(() => (preview(el, 'photo.png')?.hidden === false ? preview(el, 'photo.png') : null));
    expect([canvas.width, canvas.height]).to.deep.equal([320, 240]);
    expect(canvas.getAttribute('role')).to.equal('img');
    expect([...canvas.getContext('2d')!.getImageData(160, 120, 1, 1).data]).to.deep.equal([255, 0, 0, 255]);
    const fetched = requestsTo('/attachments/att-photo', 'GET');
    expect(fetched).to.have.length(1);
    expect(fetched[0].auth).to.equal('Bearer token-alice');
    expect(q(el, 'secure-thread-view', 'img')).to.equal(null);
    // Drawn once: a re-read of the thread keeps it.
    q<SecureThreadView>(el, 'secure-thread-view')!.reload();
    await until(() => requestsTo('/conversations/c-permit', 'GET').length === 2);
    await q<SecureThreadView>(el, 'secure-thread-view')!.updateComplete;
    expect(preview(el, 'photo.png')).to.equal(canvas);
    expect(requestsTo('/attachments/att-photo', 'GET')).to.have.length(1);
    await expect(el).to.be.accessible();
  });

  it('previews no file still being scanned, no file that is not an image, and none that does not decode', async () => {
    db.files.set('att-pending', await png(10, 10, '#00ff00'));
    db.files.set('att-broken', new Blob(['not a picture'], { type: 'image/png' }));
    addAttachment({ id: 'att-pending', name: 'pending.png', size: 100, contentType: 'image/png', scanStatus: 'pending' });
    addAttachment({ id: 'att-broken', name: 'broken.png', size: 100, contentType: 'image/png' });
    const el = await open('token-alice');
    await until(() => requestsTo('/attachments/att-broken', 'GET').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(preview(el, 'pending.png')).to.equal(null);
    expect(preview(el, 'broken.png')!.hidden).to.equal(true);
    // PDFs get their icon and are not fetched until someone downloads them.
    const pdf = qa(el, 'secure-thread-view', '[part~="attachment"]').find((item) => text(item).includes('plan.pdf'))!;
    expect(text(pdf.querySelector('[part~="file-icon"]'))).to.equal('PDF');
    expect(requestsTo('/attachments/att-plan', 'GET')).to.have.length(0);
    expect(requestsTo('/attachments/att-pending', 'GET')).to.have.length(0);
    await expect(el).to.be.accessible();
  });

  it('uploads a screenshot pasted into the reply like a chosen file, with its progress, and sends it', async () => {
    const el = await open('token-alice');
    const files = new DataTransfer();
    files.items.add(new File([await png(20, 20, '#0000ff')], 'image.png', { type: 'image/png' }));
    editor(el).focus();
    const paste = new ClipboardEvent('paste', { clipboardData: files, bubbles: true, cancelable: true, composed: true });
    editor(el).dispatchEvent(paste);
    expect(paste.defaultPrevented, 'the file is not pasted into the text').to.equal(true);
    const chip = () => q(el, 'secure-thread-view', 'secure-attachment-picker', '[part~="attachment-chip"]');
    await until(() => chip() && !q(el, 'secure-thread-view', 'secure-attachment-picker', '[part~="progress"]'));
    expect(text(chip())).to.contain('image.png');
    expect(requestsTo('/attachments', 'POST')).to.have.length(1);
    await typeReply(el, 'See the screenshot.');
    q<HTMLButtonElement>(el, 'secure-thread-view', '[part~="send"]')!.click();
    await until(() => requestsTo('/conversations/c-permit/messages', 'POST').length);
    expect((requestsTo('/conversations/c-permit/messages', 'POST')[0].body as { attachmentIds?: string[] }).attachmentIds).to.deep.equal(['att-up-1']);
    // Pasting text stays the editor's business.
    const words = new DataTransfer();
    words.setData('text/plain', 'words');
    const pasted = new ClipboardEvent('paste', { clipboardData: words, bubbles: true, cancelable: true, composed: true });
    editor(el).dispatchEvent(pasted);
    expect(pasted.defaultPrevented).to.equal(false);
    expect(requestsTo('/attachments', 'POST')).to.have.length(1);
    await expect(el).to.be.accessible();
  });
});

describe('thread view: "someone else is writing" (staff)', () => {
  useMocks();

  const writing = (el: Element) => text(q(el, 'secure-thread-view', '[part~="writing"]'));
  const sessionOf = (el: Element) => (el as unknown as { session: Session }).session;
  const sam = { id: users.sam.id, name: users.sam.name };
  const dora = { id: users.dora.id, name: users.dora.name };

  it('says who else is writing in the thread until their notice ends, and names two together', async () => {
    const el = await open('token-bob');
    await until(() => q(el, 'secure-thread-view', 'secure-answer-panel'));
    const notice = q(el, 'secure-thread-view', '[part~="writing"]')!;
    expect(notice.getAttribute('role')).to.equal('status');
    expect(writing(el)).to.equal('');
    sessionOf(el).push({ type: 'typing', conversationId: 'c-permit', user: sam, expiresInSeconds: 1 });
    await until(() => writing(el) === 'Sam Support is writing');
    await expect(el).to.be.accessible();
    sessionOf(el).push({ type: 'typing', conversationId: 'c-permit', user: dora, expiresInSeconds: 5 });
    await until(() => writing(el) === 'Sam Support and Dora Reviewer are writing');
    // Another conversation's, or one's own, changes nothing.
    sessionOf(el).push({ type: 'typing', conversationId: 'c-cafe', user: { id: 'u-x', name: 'X' }, expiresInSeconds: 5 });
    sessionOf(el).push({ type: 'typing', conversationId: 'c-permit', user: { id: users.bob.id, name: users.bob.name }, expiresInSeconds: 5 });
    // Sam's notice ends after its second; Dora's goes when her message arrives.
    await until(() => writing(el) === 'Dora Reviewer is writing', 3000);
    const stored = db.conversations.get('c-permit')!;
    stored.messages.push({ ...stored.messages[1], id: 'm-dora', author: { ...dora, role: 'staff' }, body: '<p>Done.</p>', tip: null, attachments: [] });
    sessionOf(el).push({ type: 'message.created', conversationId: 'c-permit', messageId: 'm-dora' });
    await until(() => writing(el) === '');
  });

  it('tells again after 3 seconds of typing, and stops telling a server that does not know the route', async () => {
    const el = await open('token-bob');
    await until(() => q(el, 'secure-thread-view', 'secure-answer-panel'));
    await typeReply(el, 'We');
    await until(() => requestsTo('/conversations/c-permit/typing', 'POST').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    await sendKeys({ type: ' will' });
    await until(() => requestsTo('/conversations/c-permit/typing', 'POST').length === 2);

    failWith('post', '/conversations/c-cafe/typing', 404);
    const older = await open('token-bob', 'c-cafe');
    await until(() => q(older, 'secure-thread-view', 'secure-answer-panel'));
    await typeReply(older, 'We');
    await until(() => requestsTo('/conversations/c-cafe/typing', 'POST').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    await sendKeys({ type: ' will' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requestsTo('/conversations/c-cafe/typing', 'POST')).to.have.length(1);
  });

  it('tells the other staff when staff type an answer, at most every 3 seconds; customers never', async () => {
    const el = await open('token-bob');
    await until(() => q(el, 'secure-thread-view', 'secure-answer-panel'));
    await typeReply(el, 'We will');
    await until(() => requestsTo('/conversations/c-permit/typing', 'POST').length === 1);
    await sendKeys({ type: ' come on Tuesday' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requestsTo('/conversations/c-permit/typing', 'POST')).to.have.length(1);

    const customer = await open('token-alice');
    await typeReply(customer, 'Thanks');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requestsTo('/conversations/c-permit/typing', 'POST')).to.have.length(1);
    expect(q(customer, 'secure-thread-view', '[part~="writing"]')).to.equal(null);
  });
});

describe('thread view: saved replies in the answer (staff)', () => {
  useMocks();

  const status = (el: Element) => text(q(el, 'secure-thread-view', '[part~="suggestions"] [role="status"]'));
  const offered = (el: Element) => qa<HTMLButtonElement>(el, 'secure-thread-view', '[part~="saved-reply"]');

  it('offers the saved replies for "/" and a word, chosen by keyboard and filled in by the server', async () => {
    const el = await open('token-bob');
    await until(() => q(el, 'secure-thread-view', 'secure-answer-panel'));
    expect(status(el)).to.equal('Type / and a word for a saved reply, or @ and a name to mention someone in an internal note.');
    await typeReply(el, '/perm');
    await until(() => offered(el).length === 2);
    const search = requestsTo('/saved-replies', 'GET').at(-1)!;
    expect([search.query.get('accountId'), search.query.get('q')]).to.deep.equal(['acc-permit', 'perm']);
    expect(offered(el).map(text)).to.deep.equal(['Permit fees', 'Permit received']);
    expect(status(el)).to.equal('2 saved replies for “/perm”: press Down to choose.');
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'ArrowDown' });
    expect(focused()).to.equal(offered(el)[0]);
    await sendKeys({ press: 'ArrowDown' });
    expect(focused()).to.equal(offered(el)[1]);
    await sendKeys({ press: 'Enter' });
    await until(() => text(editor(el)) === 'Hello Alice, we received your request about Inspection date for permit 2024-117.Bob Staff');
    expect(requestsTo('/saved-replies/sr-permit/render', 'POST').map((r) => r.body)).to.deep.equal([{ conversationId: 'c-permit' }]);
    expect(offered(el)).to.have.length(0);
    expect(status(el)).to.equal('Saved reply “Permit received” inserted.');
    await until(() => focused() === editor(el));
    await expect(el).to.be.accessible();
    q<HTMLButtonElement>(el, 'secure-thread-view', 'secure-answer-panel', '[part~="answer-button"]')!.click();
    await until(() => requestsTo('/conversations/c-permit/messages', 'POST').length);
    expect((requestsTo('/conversations/c-permit/messages', 'POST')[0].body as { body: string }).body).to.equal(
      '<p>Hello Alice, we received your request about Inspection date for permit 2024-117.</p><p>Bob Staff</p>',
    );
  });

  it('says when nothing matches, closes with Escape, and names the placeholders it could not fill', async () => {
    db.savedReplies.push({
      id: 'sr-hi',
      accountId: null,
      title: 'Hello customer',
      body: '<p>Hi {{customer.firstName}}</p>',
      placeholders: ['customer.firstName'],
    });
    const el = await open('token-bob', 'c-cafe');
    await until(() => q(el, 'secure-thread-view', 'secure-answer-panel'));
    await typeReply(el, '/zzz');
    await until(() => status(el) === 'No saved reply matches “/zzz”.');
    for (let i = 0; i < 4; i++) await sendKeys({ press: 'Backspace' });
    await sendKeys({ type: '/hell' });
    await until(() => offered(el).length === 1);
    await sendKeys({ press: 'ArrowDown' });
    await sendKeys({ press: 'Escape' });
    await until(() => offered(el).length === 0);
    expect(focused()).to.equal(editor(el));
    await sendKeys({ press: 'o' });
    await until(() => offered(el).length === 1);
    offered(el)[0].click();
    await until(() => status(el) === 'Nothing to fill in for customer.firstName: check the text before sending.');
    expect(text(editor(el))).to.equal('Hi');
    await expect(el).to.be.accessible();
  });

  it('never asks for saved replies for a customer', async () => {
    const el = await open('token-alice');
    await typeReply(el, '/perm');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(requestsTo('/saved-replies')).to.have.length(0);
    expect(q(el, 'secure-thread-view', '[part~="suggestions"]')).to.equal(null);
  });
});

describe('thread view: @mentions in internal notes (staff)', () => {
  useMocks();

  const status = (el: Element) => text(q(el, 'secure-thread-view', '[part~="suggestions"] [role="status"]'));
  const offered = (el: Element) => qa<HTMLButtonElement>(el, 'secure-thread-view', '[part~="mention"]');
  const answer = (el: Element, label: string) =>
    qa<HTMLButtonElement>(el, 'secure-thread-view', 'secure-answer-panel', '[part~="answer-button"]').find((b) => text(b) === label)!;
  const posted = () => requestsTo('/conversations/c-permit/messages', 'POST').map((r) => r.body as { action: string; body: string; mentions?: string[] });

  it('offers the account’s staff for "@", writes the name and mentions them in an internal note', async () => {
    const el = await open('token-bob');
    await until(() => q(el, 'secure-thread-view', 'secure-answer-panel'));
    await typeReply(el, 'Please check @do');
    await until(() => offered(el).length === 1);
    expect([...new Set(requestsTo('/directory').map((r) => r.query.get('accountId')))]).to.deep.equal(['acc-permit']);
    expect(text(offered(el)[0])).to.equal('Dora Reviewer');
    expect(status(el)).to.equal('1 person for “@do”: press Down to choose. Mentions notify in internal notes only.');
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'ArrowDown' });
    expect(focused()).to.equal(offered(el)[0]);
    await sendKeys({ press: 'Enter' });
    await until(() => text(editor(el)) === 'Please check @Dora Reviewer');
    expect(focused()).to.equal(editor(el));
    expect(status(el)).to.equal('Dora Reviewer will be notified when you send this as an internal note.');
    await sendKeys({ type: 'today.' });
    answer(el, 'Internal note').click();
    await until(() => posted().length === 1);
    expect(posted()[0].action).to.equal('internal_note');
    expect(posted()[0].mentions).to.deep.equal(['u-dora']);
    expect(posted()[0].body).to.contain('@Dora Reviewer');
    await expect(el).to.be.accessible();
  });

  it('sends no mentions with an answer the customer sees, nor for a name taken out again, and says when no name matches', async () => {
    const el = await open('token-bob');
    await until(() => q(el, 'secure-thread-view', 'secure-answer-panel'));
    await typeReply(el, 'Hi @zz');
    await until(() => status(el) === 'No staff member’s name begins with “zz”.');
    for (let i = 0; i < 2; i++) await sendKeys({ press: 'Backspace' });
    await sendKeys({ type: 'rev' });
    await until(() => offered(el).length === 1);
    offered(el)[0].click();
    await until(() => text(editor(el)).includes('@Dora Reviewer'));
    answer(el, 'Send & leave open').click();
    await until(() => posted().length === 1);
    expect(posted()[0].mentions).to.equal(undefined);
    // A mention whose name was deleted before sending the note is not sent.
    await typeReply(el, 'Note for @do');
    await until(() => offered(el).length === 1);
    offered(el)[0].click();
    await until(() => text(editor(el)).includes('@Dora Reviewer'));
    for (let i = 0; i < 'Dora Reviewer '.length; i++) await sendKeys({ press: 'Backspace' });
    await sendKeys({ type: 'the team' });
    answer(el, 'Internal note').click();
    await until(() => posted().length === 2);
    expect(posted()[1].mentions).to.equal(undefined);
  });

  it('mentions someone in the middle of the answer, where the caret is', async () => {
    const el = await open('token-bob');
    await until(() => q(el, 'secure-thread-view', 'secure-answer-panel'));
    await typeReply(el, 'Ask today');
    await sendKeys({ press: 'Home' });
    for (let i = 0; i < 3; i++) await sendKeys({ press: 'ArrowRight' });
    await sendKeys({ type: ' @dor' });
    await until(() => offered(el).length === 1);
    offered(el)[0].click();
    await until(() => text(editor(el)).startsWith('Ask @Dora Reviewer'));
    const typed = () => editor(el).textContent!.replace(/\s/g, ' ');
    expect(typed()).to.equal('Ask @Dora Reviewer  today');
    // The caret stays after the name.
    await sendKeys({ type: 'please' });
    expect(typed()).to.equal('Ask @Dora Reviewer please today');
  });

  it('offers no mentions to a customer', async () => {
    const el = await open('token-alice');
    await typeReply(el, 'Hello @bo');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(requestsTo('/directory')).to.have.length(0);
    expect(q(el, 'secure-thread-view', '[part~="mention"]')).to.equal(null);
  });
});
