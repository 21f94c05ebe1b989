import { expect, fixture, fixtureSync, html, oneEvent } from '@open-wc/testing';
import { sendKeys, setViewport } from '@web/test-runner-commands';
import { http, HttpResponse } from 'msw';
import { db, failWith, focused, jwtFor, q, qa, requestsTo, text, unreachable, until, useMocks, users, worker } from '../../internal/test/mocks.js';
import './secure-inbox.js';
import type { SecureInbox } from './secure-inbox.js';
import type { SecureConversationList } from '../conversation-list/conversation-list.js';

const rows = (el: Element) => qa(el, 'secure-conversation-list', '[part~="row"]');
const loaded = (el: Element) => until(() => (rows(el).length ? rows(el) : null));
const thread = (el: Element) => q(el, 'secure-thread-view');
const folderButtons = (el: Element) => [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('[part~="folder"]')];

describe('<secure-inbox>', () => {
  useMocks();

  it('shows folders with the Inbox unread count, Inbox current and unread only on', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await loaded(el);
    const nav = el.shadowRoot!.querySelector('nav[part~="nav"]')!;
    expect(nav.getAttribute('aria-label')).to.equal('Folders');
    expect(folderButtons(el).map((b) => text(b.querySelector('.folder-name') ?? b))).to.deep.equal(['Inbox', 'Sent', 'Trash', 'Status']);
    expect(text(el.shadowRoot!.querySelector('[part~="count"] .sr-only'))).to.equal('9 unread');
    expect(folderButtons(el)[0].getAttribute('aria-current')).to.equal('page');
    expect(el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!.checked).to.equal(true);
    expect(requestsTo('/conversations')[0].query.get('unread')).to.equal('true');
    expect(rows(el)).to.have.length(9);
    await expect(el).to.be.accessible();
  });

  it('opens a staff JWT on every conversation at once, and a customer JWT on the unread ones', async () => {
    const staff = await fixture<SecureInbox>(html`<secure-inbox .token=${jwtFor(users.bob)}></secure-inbox>`);
    await loaded(staff);
    await until(() => requestsTo('/me').length);
    // One list request, already without the unread filter: the role came with the token, not after /me.
    expect(requestsTo('/conversations').map((r) => r.query.get('unread'))).to.deep.equal([null]);
    expect(staff.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!.checked).to.equal(false);
    await expect(staff).to.be.accessible();
    staff.remove();

    const customer = await fixture<SecureInbox>(html`<secure-inbox .token=${jwtFor(users.alice)}></secure-inbox>`);
    await loaded(customer);
    expect(requestsTo('/conversations').at(-1)!.query.get('unread')).to.equal('true');
  });

  it('shows the unread conversations of every folder from /me, Sent and Trash included', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await loaded(el);
    const me = await (await fetch('/api/v1/me', { headers: { authorization: 'Bearer token-alice' } })).json();
    const shown = folderButtons(el)
      .slice(0, 3)
      .map((b) => text(b.querySelector('[part~="count"] .sr-only')));
    const expected = (['inbox', 'sent', 'trash'] as const).map((f) => (me.folders[f].unread ? `${me.folders[f].unread} unread` : ''));
    expect(shown).to.deep.equal(expected);
    expect(expected.filter(Boolean).length).to.be.greaterThan(1);
    await expect(el).to.be.accessible();
  });

  it('switches folders, reflects the folder attribute and turns unread only off outside the Inbox', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await loaded(el);
    setTimeout(() => folderButtons(el)[1].click());
    const event = (await oneEvent(el, 'secure-folder-change')) as CustomEvent;
    expect(event.detail).to.deep.equal({ folder: 'sent' });
    await el.updateComplete;
    expect(el.getAttribute('folder')).to.equal('sent');
    expect(folderButtons(el)[1].getAttribute('aria-current')).to.equal('page');
    expect(el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!.checked).to.equal(false);
    await until(() => requestsTo('/conversations').some((r) => r.query.get('folder') === 'sent'));
    const sent = requestsTo('/conversations').find((r) => r.query.get('folder') === 'sent')!;
    expect(sent.query.has('unread')).to.equal(false);
  });

  it('filters a customer’s folders by status from the keyboard: open, waiting for me, answered, solved', async () => {
    db.conversations.get('c-xss')!.conversation.status = 'resolved';
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" folder="sent"></secure-inbox>`);
    await loaded(el);
    const select = el.shadowRoot!.querySelector<HTMLSelectElement>('[part~="status-filter"]')!;
    expect([...select.options].map((option) => option.text)).to.deep.equal(['All', 'Open', 'Waiting for me', 'Answered', 'Solved']);
    expect(text(select.closest('label'))).to.match(/^Show /);
    await expect(el).to.be.accessible();
    select.focus();
    await sendKeys({ press: 'ArrowDown' });
    await sendKeys({ press: 'ArrowDown' });
    await until(() => requestsTo('/conversations').some((r) => r.query.get('status') === 'waiting_for_me'));
    await until(() => rows(el).length === 1 && text(rows(el)[0]).includes('Inspection date'));
    await sendKeys({ press: 'End' });
    await until(() => requestsTo('/conversations').some((r) => r.query.get('status') === 'solved'));
    await until(() => rows(el).length === 1 && text(rows(el)[0]).includes('Strange formatting'));
    expect(focused()).to.equal(select);
    await expect(el).to.be.accessible();
    // The filter holds in every folder.
    folderButtons(el)[0].click();
    await until(() => requestsTo('/conversations').some((r) => r.query.get('folder') === 'inbox' && r.query.get('status') === 'solved'));
  });

  it('gives staff their queue filters instead of the customer’s status filter', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-bob"></secure-inbox>`);
    await loaded(el);
    await until(() => q(el, 'secure-queue-filters'));
    expect(el.shadowRoot!.querySelector('[part~="status-filter"]')).to.equal(null);
  });

  it('keeps the person’s “Unread only” choice when they come back to the Inbox', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await loaded(el);
    const toggle = () => el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!;
    toggle().focus();
    await sendKeys({ press: 'Space' });
    await until(() => rows(el).length > 9);
    expect(toggle().checked).to.equal(false);
    folderButtons(el)[1].click();
    await until(() => requestsTo('/conversations').some((r) => r.query.get('folder') === 'sent'));
    folderButtons(el)[3].click();
    await el.updateComplete;
    const inboxRequests = () => requestsTo('/conversations').filter((r) => r.query.get('folder') === 'inbox');
    const before = inboxRequests().length;
    folderButtons(el)[0].click();
    await el.updateComplete;
    expect(el.getAttribute('folder')).to.equal('inbox');
    expect(toggle().checked).to.equal(false);
    const last = await until(() => inboxRequests().length > before && inboxRequests().at(-1));
    expect(last.query.has('unread')).to.equal(false);
    await until(() => rows(el).length > 9);
    await expect(el).to.be.accessible();
    // Turned on again, it stays on too.
    toggle().click();
    await until(() => rows(el).length === 9);
    folderButtons(el)[2].click();
    await el.updateComplete;
    expect(toggle().checked).to.equal(false);
    await until(() => q(el, 'secure-conversation-list', '[part~="empty"]'));
    folderButtons(el)[0].click();
    await el.updateComplete;
    expect(toggle().checked).to.equal(true);
    await until(() => rows(el).length === 9);
  });

  it('opens the folder named by the folder attribute', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" folder="trash"></secure-inbox>`);
    await until(() => requestsTo('/conversations').length);
    expect(requestsTo('/conversations')[0].query.get('folder')).to.equal('trash');
    await until(() => q(el, 'secure-conversation-list', '[part~="empty"]'));
    expect(text(q(el, 'secure-conversation-list', '[part~="empty"]'))).to.equal('No messages here.');
  });

  it('searches with % for everything and word% for a prefix', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await loaded(el);
    el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!.click();
    const input = el.shadowRoot!.querySelector<HTMLInputElement>('[part~="search-input"]')!;
    input.focus();
    await sendKeys({ type: 'inspect%' });
    await sendKeys({ press: 'Enter' });
    await until(() => requestsTo('/conversations').some((r) => r.query.get('q') === 'inspect%'));
    await until(() => rows(el).length === 1 && rows(el));
    expect(text(rows(el)[0].querySelector('[part~="subject"]'))).to.equal('Inspection date for permit 2024-117');
    input.value = '%';
    input.form!.requestSubmit();
    await until(() => rows(el).length === 25 && rows(el));
    expect(requestsTo('/conversations').at(-1)!.query.get('q')).to.equal('%');
  });

  it('opens a conversation from the list, reflects it, marks it read and focuses the subject', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const list = await loaded(el);
    const permit = list.find((row) => text(row).includes('Inspection date'))!;
    setTimeout(() => permit.click());
    const event = (await oneEvent(el, 'secure-conversation-open')) as CustomEvent;
    expect(event.detail.id).to.equal('c-permit');
    await el.updateComplete;
    expect(el.getAttribute('conversation')).to.equal('c-permit');
    await until(() => requestsTo('/conversations/c-permit/read', 'POST').length);
    await until(() => focused()?.getAttribute('part') === 'subject');
    expect(text(focused())).to.equal('Inspection date for permit 2024-117');
    await expect(el).to.be.accessible();
  });

  it('deep-links to a conversation through the conversation attribute and goes back to the list', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-permit"></secure-inbox>`);
    await until(() => q(el, 'secure-thread-view', '[part~="subject"]'));
    expect(requestsTo('/conversations/c-permit', 'GET')).to.have.length(1);
    await until(() => requestsTo('/conversations/c-permit/read', 'POST').length);
    q<HTMLButtonElement>(el, 'secure-thread-view', '[part~="back"]')!.click();
    await el.updateComplete;
    expect(el.hasAttribute('conversation')).to.equal(false);
    expect(thread(el)).to.equal(null);
    el.setAttribute('conversation', 'c-xss');
    await until(() => text(q(el, 'secure-thread-view', '[part~="subject"]')) === 'Strange formatting');
  });

  it('opens a thread asked for by the conversation attribute while the Status tab is shown', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    folderButtons(el)
      .find((b) => text(b) === 'Status')!
      .click();
    await until(() => q(el, 'secure-status-tab', '[part~="status-tab"]'));
    // As a host page does when a badge item is chosen.
    el.setAttribute('conversation', 'c-xss');
    await until(() => text(q(el, 'secure-thread-view', '[part~="subject"]')) === 'Strange formatting');
    expect(q(el, 'secure-status-tab')).to.equal(null);
    expect(folderButtons(el).find((b) => b.getAttribute('aria-current') === 'page')!.textContent).to.contain('Inbox');
    await expect(el).to.be.accessible();
  });

  it('moves to the next message in the list', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const list = await loaded(el);
    const secondSubject = text(list[1].querySelector('[part~="subject"]'));
    list[0].click();
    await until(() => q(el, 'secure-thread-view', '[part~="subject"]'));
    const next = qa<HTMLButtonElement>(el, 'secure-thread-view', '[part~="thread-actions"] button').find((b) => text(b) === 'Next message')!;
    next.click();
    await until(() => text(q(el, 'secure-thread-view', '[part~="subject"]')) === secondSubject);
  });

  it('says so when "Next message" is pressed on the last conversation, and keeps focus there', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const list = await loaded(el);
    list.at(-1)!.click();
    await until(() => q(el, 'secure-thread-view', '[part~="subject"]'));
    const next = qa<HTMLButtonElement>(el, 'secure-thread-view', '[part~="thread-actions"] button').find((b) => text(b) === 'Next message')!;
    const subject = text(q(el, 'secure-thread-view', '[part~="subject"]'));
    next.focus();
    await sendKeys({ press: 'Enter' });
    const said = await until(() => qa(el, 'secure-thread-view', '[role="status"]').find((s) => text(s) === 'This is the last message in the list.'));
    expect(said.checkVisibility()).to.equal(true);
    expect(said.closest('[part~="thread-actions"]')).to.exist;
    expect(text(q(el, 'secure-thread-view', '[part~="subject"]'))).to.equal(subject);
    expect(focused()).to.equal(next);
    await expect(el).to.be.accessible();
  });

  it('explains a rejected sign-in and recovers after Retry', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="wrong-token"></secure-inbox>`);
    const error = await until(() => q(el, 'secure-conversation-list', '[part~="error"]'));
    expect(error.getAttribute('role')).to.equal('alert');
    expect(text(error)).to.contain('Your sign-in has expired or was rejected.');
    await expect(el).to.be.accessible();
    el.token = 'token-alice';
    await loaded(el);
  });

  it('calls the token provider again after a 401 and retries', async () => {
    const issued: string[] = [];
    const el = await fixture<SecureInbox>(
      html`<secure-inbox
        .tokenProvider=${async () => {
          issued.push(issued.length ? jwtFor(users.alice) : 'e30.expired.x');
          return issued.at(-1)!;
        }}
      ></secure-inbox>`,
    );
    await loaded(el);
    expect(issued).to.deep.equal(['e30.expired.x', jwtFor(users.alice)]);
    expect(requestsTo('/conversations').map((r) => r.auth)).to.include(`Bearer ${jwtFor(users.alice)}`);
  });

  it('shows a server failure with a Retry that works', async () => {
    failWith('get', '/conversations', 500);
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const error = await until(() => q(el, 'secure-conversation-list', '[part~="error"]'));
    expect(text(error)).to.contain('Something went wrong on the message server.');
    worker.resetHandlers();
    q<HTMLButtonElement>(el, 'secure-conversation-list', '[part~="retry"]')!.click();
    await loaded(el);
  });

  it('says so when the server cannot be reached, and fires secure-error', async () => {
    unreachable('get', '/conversations');
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const event = (await oneEvent(el, 'secure-error')) as CustomEvent;
    expect(event.detail.error.kind).to.equal('unreachable');
    const error = await until(() => q(el, 'secure-conversation-list', '[part~="error"]'));
    expect(text(error)).to.contain('The message server cannot be reached right now.');
  });

  it('fires secure-ready once, when the first page is shown, and not before', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // Falls through to the usual answer once released.
    worker.use(http.get('*/api/v1/conversations', async () => void (await held)));
    const ready: { event: CustomEvent; rows: number }[] = [];
    const listen = (event: Event) => ready.push({ event: event as CustomEvent, rows: rows(el).length });
    document.addEventListener('secure-ready', listen);
    const el = fixtureSync<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    try {
      await until(() => q(el, 'secure-conversation-list', '[part~="loading"]'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ready).to.have.length(0);

      release();
      await until(() => ready.length);
      const [{ event, rows: shown }] = ready;
      expect(event.target).to.equal(el);
      expect(event.bubbles && event.composed).to.equal(true);
      expect(event.detail).to.deep.equal({ folder: 'inbox', conversations: 9 });
      expect(shown).to.equal(9);

      // Not again for another folder or a reload.
      folderButtons(el)[1].click();
      await until(() => requestsTo('/conversations').some((r) => r.query.get('folder') === 'sent'));
      await until(() => q(el, 'secure-conversation-list', '[part~="row"]'));
      el.shadowRoot!.querySelector<SecureConversationList>('secure-conversation-list')!.reload();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(ready).to.have.length(1);
    } finally {
      document.removeEventListener('secure-ready', listen);
    }
  });

  it('fires secure-error and not secure-ready when the first page fails, and secure-ready once Retry loads it', async () => {
    failWith('get', '/conversations', 500);
    const ready: Event[] = [];
    const el = fixtureSync<SecureInbox>(html`<secure-inbox token="token-alice" @secure-ready=${(event: Event) => ready.push(event)}></secure-inbox>`);
    const error = (await oneEvent(el, 'secure-error')) as CustomEvent;
    expect(error.detail.error.status).to.equal(500);
    await until(() => q(el, 'secure-conversation-list', '[part~="error"]'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ready).to.have.length(0);

    worker.resetHandlers();
    q<HTMLButtonElement>(el, 'secure-conversation-list', '[part~="retry"]')!.click();
    await loaded(el);
    await until(() => ready.length);
    expect((ready[0] as CustomEvent).detail).to.deep.equal({ folder: 'inbox', conversations: 9 });
  });

  it('shows a not-found conversation as such', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-cafe"></secure-inbox>`);
    const error = await until(() => q(el, 'secure-thread-view', '[part~="error"]'));
    expect(text(error)).to.contain('This conversation does not exist, or you no longer have access to it.');
    await expect(el).to.be.accessible();
  });

  it('shows a loading state while waiting', async () => {
    worker.use(http.get('*/api/v1/conversations', async () => new Promise(() => undefined)));
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const loading = await until(() => q(el, 'secure-conversation-list', '[part~="loading"]'));
    expect(loading.getAttribute('role')).to.equal('status');
    expect(text(loading)).to.equal('Loading…');
    await expect(el).to.be.accessible();
  });

  it('puts host content into the banner, header, footer and empty slots', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" folder="trash">
      <nav slot="banner"><a href="/help">Help</a></nav>
      <h1 slot="header">City messages</h1>
      <p slot="footer">Footer text</p>
      <p slot="empty">Nothing in the bin</p>
    </secure-inbox>`);
    const slotted = (name: string) => (el.shadowRoot!.querySelector<HTMLSlotElement>(`slot[name="${name}"]`)?.assignedElements() ?? []).map(text);
    expect(slotted('banner')).to.deep.equal(['Help']);
    expect(slotted('header')).to.deep.equal(['City messages']);
    expect(slotted('footer')).to.deep.equal(['Footer text']);
    const empty = await until(() => q(el, 'secure-conversation-list', '[part~="empty"]'));
    const inner = empty.querySelector('slot')!.assignedElements({ flatten: true });
    expect(inner.map(text)).to.deep.equal(['Nothing in the bin']);
  });

  it('takes translated strings and passes them to nested elements', async () => {
    const strings = { inbox: 'Posteingang', unreadOnly: 'Nur ungelesene', conversations: 'Unterhaltungen' };
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" .strings=${strings}></secure-inbox>`);
    await loaded(el);
    expect(text(folderButtons(el)[0])).to.contain('Posteingang');
    expect(text(el.shadowRoot!.querySelector('[part~="unread-toggle"]')!.closest('label'))).to.equal('Nur ungelesene');
    expect(q(el, 'secure-conversation-list', '[part~="list"]')!.getAttribute('aria-label')).to.equal('Unterhaltungen');
  });

  it('reflects the theme attribute and switches to dark colours', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" theme="dark"></secure-inbox>`);
    const base = el.shadowRoot!.querySelector('[part~="base"]')!;
    expect(getComputedStyle(base).backgroundColor).to.equal('rgb(27, 30, 35)');
    el.theme = 'light';
    await el.updateComplete;
    expect(getComputedStyle(base).backgroundColor).to.equal('rgb(255, 255, 255)');
    expect(q(el, 'secure-conversation-list')!.getAttribute('theme')).to.equal('light');
  });

  it('hands the theme down to elements nested deeper', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" theme="dark" conversation="c-permit"></secure-inbox>`);
    const editor = await until(() => q(el, 'secure-thread-view', 'secure-rich-editor', '.frame'));
    expect(getComputedStyle(editor).backgroundColor).to.equal('rgb(27, 30, 35)');
    expect(q(el, 'secure-thread-view', 'secure-tip-popover')!.getAttribute('theme')).to.equal('dark');
    await expect(el).to.be.accessible();
  });

  it('lets the page theme it with --secure-* tokens', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    el.style.setProperty('--secure-color-surface', 'rgb(1, 2, 3)');
    el.style.setProperty('--secure-radius', '9px');
    const base = el.shadowRoot!.querySelector('[part~="base"]')!;
    expect(getComputedStyle(base).backgroundColor).to.equal('rgb(1, 2, 3)');
    expect(getComputedStyle(base).borderTopLeftRadius).to.equal('9px');
  });

  it('works right to left', async () => {
    await setViewport({ width: 1200, height: 800 });
    // fixtureSync: a plain wrapper would make fixture() wait for an animation frame, which background tabs may not get.
    const host = fixtureSync(html`<div dir="rtl"><secure-inbox token="token-alice"></secure-inbox></div>`);
    const el = host.querySelector('secure-inbox')!;
    const [row] = await loaded(el);
    const nav = el.shadowRoot!.querySelector('[part~="nav"]')!.getBoundingClientRect();
    const pane = el.shadowRoot!.querySelector('[part~="list-pane"]')!.getBoundingClientRect();
    expect(nav.left).to.be.greaterThan(pane.left);
    await setViewport({ width: 800, height: 600 });
    // The sender-type flag is the row's inline-start border: on the right in RTL.
    const style = getComputedStyle(row);
    expect(style.borderRightWidth).to.equal('4px');
    expect(style.borderLeftWidth).to.equal('0px');
    await expect(el).to.be.accessible();
  });

  it('puts the folders on top at middle widths, so the thread keeps its room beside the list', async () => {
    await setViewport({ width: 920, height: 800 });
    const host = fixtureSync(html`<div><secure-inbox token="token-bob" conversation="c-permit"></secure-inbox></div>`);
    const el = host.querySelector('secure-inbox')!;
    await loaded(el);
    await until(() => q(el, 'secure-thread-view', '[part~="participants"]'));
    const box = (part: string) => el.shadowRoot!.querySelector(`[part~="${part}"]`)!.getBoundingClientRect();
    const [nav, pane, detail] = [box('nav'), box('list-pane'), box('detail')];
    expect(nav.bottom).to.be.at.most(pane.top + 1);
    expect(pane.right).to.be.at.most(detail.left + 1);
    expect(detail.width).to.be.at.least(540);
    const account = q(el, 'secure-queue-filters', '[part~="queue-account"]')!.getBoundingClientRect();
    expect(account.right).to.be.at.most(pane.right);
    await expect(el).to.be.accessible();
    await setViewport({ width: 800, height: 600 });
  });

  it('refreshes the count when a live source pushes a change', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await loaded(el);
    (el as unknown as { session: { push(e: unknown): void } }).session.push({ type: 'unread.changed', unread: 12 });
    await el.updateComplete;
    expect(text(el.shadowRoot!.querySelector('[part~="count"]'))).to.contain('12');
  });
});

describe('<secure-inbox> offline', () => {
  useMocks();
  afterEach(() => {
    delete (navigator as { onLine?: boolean }).onLine;
  });

  it('says the person is offline when the network is down', async () => {
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    unreachable('get', '/conversations');
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const error = await until(() => q(el, 'secure-conversation-list', '[part~="error"]'));
    expect(text(error)).to.contain('You are offline. Check your connection, then retry.');
    await expect(el).to.be.accessible();
  });

  it('words a missing service differently from a missing conversation', async () => {
    failWith('get', '/conversations', 404, { error: { code: 'not_found', message: 'Not found' } });
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const error = await until(() => q(el, 'secure-conversation-list', '[part~="error"]'));
    expect(text(error)).to.contain('The message service was not found at this address.');
  });
});

describe('<secure-inbox> parts', () => {
  useMocks();

  it('exposes the nodes of nested elements to ::part() through exportparts', async () => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(`
      .themed::part(message-body) { outline: 3px solid rgb(1, 2, 3); }
      .themed::part(tip-button) { outline: 3px solid rgb(4, 5, 6); }
      .themed::part(row) { outline: 3px solid rgb(7, 8, 9); }
      .themed::part(editor) { outline: 3px solid rgb(10, 11, 12); }
    `);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    try {
      const el = await fixture<SecureInbox>(html`<secure-inbox class="themed" token="token-alice" conversation="c-permit"></secure-inbox>`);
      await until(() => q(el, 'secure-thread-view', '[part~="message-body"]'));
      await until(() => rows(el).length);
      const outline = (node: Element | null) => getComputedStyle(node!).outlineColor;
      expect(outline(q(el, 'secure-thread-view', '[part~="message-body"]'))).to.equal('rgb(1, 2, 3)');
      expect(outline(q(el, 'secure-thread-view', 'secure-tip-popover', '[part~="tip-button"]'))).to.equal('rgb(4, 5, 6)');
      expect(outline(rows(el)[0])).to.equal('rgb(7, 8, 9)');
      expect(outline(q(el, 'secure-thread-view', 'secure-rich-editor', '[part~="editor"]'))).to.equal('rgb(10, 11, 12)');
    } finally {
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
    }
  });
});
