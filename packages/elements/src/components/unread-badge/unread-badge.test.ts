import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { failWith, focused, jwtFor, live, users, requestsTo, text, until, useMocks, worker } from '../../internal/test/mocks.js';
import type { Session } from '../../internal/session.js';
import './unread-badge.js';
import type { SecureUnreadBadge } from './unread-badge.js';

const button = (el: SecureUnreadBadge) => el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="badge-button"]')!;
const menu = (el: SecureUnreadBadge) => el.shadowRoot!.querySelector<HTMLElement>('[part~="menu"]')!;
const count = (el: SecureUnreadBadge) => el.shadowRoot!.querySelector<HTMLElement>('[part~="count"]')!;

describe('<secure-unread-badge>', () => {
  useMocks();

  it('works alone: shows the Inbox unread count in a polite live region', async () => {
    const el = await fixture<SecureUnreadBadge>(html`<secure-unread-badge token="token-alice"></secure-unread-badge>`);
    await until(() => text(count(el)).startsWith('9'));
    expect(count(el).getAttribute('aria-live')).to.equal('polite');
    expect(text(button(el))).to.equal('Messages 99 unread messages');
    expect(requestsTo('/me')[0].auth).to.equal('Bearer token-alice');
    await expect(el).to.be.accessible();
  });

  it('drops down the latest unread conversations', async () => {
    const el = await fixture<SecureUnreadBadge>(html`<secure-unread-badge token="token-alice"></secure-unread-badge>`);
    button(el).click();
    await until(() => el.shadowRoot!.querySelectorAll('[part~="item"]').length);
    expect(menu(el).matches(':popover-open')).to.equal(true);
    const [request] = requestsTo('/conversations');
    expect(request.query.get('unread')).to.equal('true');
    expect(request.query.get('limit')).to.equal('5');
    const items = [...el.shadowRoot!.querySelectorAll('[part~="item"]')];
    expect(items).to.have.length(5);
    expect(text(items[0])).to.contain('Strange formatting');
    await expect(el).to.be.accessible();
    const opened = oneEvent(el, 'secure-conversation-open');
    (items[0] as HTMLButtonElement).click();
    expect(((await opened) as CustomEvent).detail.id).to.equal('c-xss');
    expect(menu(el).matches(':popover-open')).to.equal(false);
  });

  it('fires secure-view-all without an href, and links with one', async () => {
    const el = await fixture<SecureUnreadBadge>(html`<secure-unread-badge token="token-alice"></secure-unread-badge>`);
    button(el).click();
    const viewAll = el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="view-all"]')!;
    expect(viewAll.tagName).to.equal('BUTTON');
    setTimeout(() => viewAll.click());
    await oneEvent(el, 'secure-view-all');
    const linked = await fixture<SecureUnreadBadge>(html`<secure-unread-badge token="token-alice" href="/portal/messages"></secure-unread-badge>`);
    button(linked).click();
    await until(() => linked.shadowRoot!.querySelectorAll('a[part~="item"]').length);
    const link = linked.shadowRoot!.querySelector<HTMLAnchorElement>('a[part~="view-all"]')!;
    expect(link.getAttribute('href')).to.equal('/portal/messages');
    expect(text(link)).to.equal('View all messages');
    const item = linked.shadowRoot!.querySelector<HTMLAnchorElement>('a[part~="item"]')!;
    expect(new URL(item.href).pathname).to.equal('/portal/messages');
    expect(new URL(item.href).searchParams.get('conversation')).to.equal('c-xss');
  });

  it('says "1 unread message" ("1 ungelesene Nachricht" on a German page), and writes dates in its locale, else in the page language', async () => {
    const page = await fixture<HTMLElement>(html`<div lang="de-DE"><secure-unread-badge token="token-alice"></secure-unread-badge></div>`);
    const el = page.querySelector('secure-unread-badge')!;
    // German is shipped: once its strings are there, the count is said in German.
    await until(() => text(count(el)) === '99 ungelesene Nachrichten');
    el.session.push({ type: 'unread.changed', unread: 1 });
    await el.updateComplete;
    expect(text(count(el))).to.equal('11 ungelesene Nachricht'); // the digit shown, then what is announced
    button(el).click();
    const time = await until(() => el.shadowRoot!.querySelector('[part~="item"] time'));
    const date = new Date(time.getAttribute('datetime')!);
    expect(text(time)).to.equal(new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium' }).format(date));
    el.locale = 'en-GB';
    await until(() => text(time) === new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' }).format(date));
    el.session.push({ type: 'unread.changed', unread: 1 });
    await until(() => text(count(el)) === '11 unread message');
    await expect(el).to.be.accessible();
  });

  it('closes with Escape and gives focus back to the button', async () => {
    const el = await fixture<SecureUnreadBadge>(html`<secure-unread-badge token="token-alice"></secure-unread-badge>`);
    button(el).focus();
    await sendKeys({ press: 'Enter' });
    await until(() => menu(el).matches(':popover-open'));
    await sendKeys({ press: 'Escape' });
    await until(() => !menu(el).matches(':popover-open'));
    expect(focused()).to.equal(button(el));
  });

  it('updates when the session learns a new count (poll now, event stream later)', async () => {
    const el = await fixture<SecureUnreadBadge>(html`<secure-unread-badge token="token-alice"></secure-unread-badge>`);
    await until(() => text(count(el)).startsWith('9'));
    el.session.push({ type: 'unread.changed', unread: 3 });
    await el.updateComplete;
    expect(text(count(el))).to.equal('33 unread messages');
  });

  it('polls GET /me every 60 seconds while the event stream is down, and stops when removed', async () => {
    const el = await fixture<SecureUnreadBadge>(html`<secure-unread-badge token="token-alice"></secure-unread-badge>`);
    const session: Session = el.session;
    expect(session.pollInterval).to.equal(60_000);
    // Background test pages may count as hidden, and hidden pages are not polled.
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    el.remove();
    session.pollInterval = 20;
    // Polling stands in for the event stream while it is down.
    live.refuse = 503;
    document.body.append(el);
    try {
      const before = requestsTo('/me').length;
      await until(() => requestsTo('/me').length >= before + 3);
    } finally {
      el.remove();
      delete (document as { visibilityState?: unknown }).visibilityState;
    }
    const after = requestsTo('/me').length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requestsTo('/me').length).to.be.at.most(after + 1);
  });

  it('shows an error with Retry in the drop-down when the server fails', async () => {
    const el = await fixture<SecureUnreadBadge>(html`<secure-unread-badge token="token-alice"></secure-unread-badge>`);
    failWith('get', '/conversations', 500);
    button(el).click();
    const error = await until(() => el.shadowRoot!.querySelector('[part~="error"]'));
    expect(text(error)).to.contain('Something went wrong');
    worker.resetHandlers();
    el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="retry"]')!.click();
    await until(() => el.shadowRoot!.querySelectorAll('[part~="item"]').length);
  });

  it('asks the token provider again after a 401', async () => {
    let calls = 0;
    const el = await fixture<SecureUnreadBadge>(
      html`<secure-unread-badge .tokenProvider=${async () => (calls++ ? jwtFor(users.alice) : 'e30.expired.x')}></secure-unread-badge>`,
    );
    await until(() => text(count(el)).startsWith('9'));
    expect(calls).to.equal(2);
  });
});
