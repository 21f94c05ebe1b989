import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { db, failWith, focused, q, qa, requestsTo, text, until, useMocks, worker } from '../../internal/test/mocks.js';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';

/** The text a person sees in `node`: slots followed as the browser renders them (assigned content, else the fallback). */
function seen(node: Node): string {
  const walk = (n: Node): string =>
    n instanceof HTMLSlotElement
      ? n.assignedNodes({ flatten: true }).map(walk).join(' ')
      : n.nodeType === Node.TEXT_NODE
        ? (n.textContent ?? '')
        : [...n.childNodes].map(walk).join(' ');
  return walk(node).replace(/\s+/g, ' ').trim();
}

const rows = (el: Element) => qa(el, 'secure-conversation-list', '[part~="row"]');
const loaded = (el: Element, count = 1) => until(() => (rows(el).length >= count ? rows(el) : null));

/** The list lives inside <secure-inbox>, which provides its session. */
async function allMail(): Promise<SecureInbox> {
  const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
  await loaded(el);
  el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!.click();
  await until(() => requestsTo('/conversations').some((r) => !r.query.has('unread')));
  await until(() => text(rows(el)[0]?.querySelector('[part~="subject"]')) === 'Strange formatting' && rows(el).length > 9);
  return el;
}

describe('conversation list', () => {
  useMocks();

  it('shows sender in bold, subject, preview, account, time, unread marker and a sender-type flag', async () => {
    const el = await allMail();
    const [first, permit] = rows(el);
    expect(text(first.querySelector('[part~="sender"]'))).to.equal('Alice Ng');
    expect(first.querySelector('[part~="sender"]')!.tagName).to.equal('STRONG');
    expect(text(first.querySelector('[part~="subject"]'))).to.equal('Strange formatting');
    expect(text(first.querySelector('[part~="preview"]'))).to.contain('Hello');
    expect(text(first.querySelector('[part~="account"]'))).to.equal('Permit 2024-117, 12 Elm St');
    expect(first.querySelector('time[part~="time"]')!.getAttribute('datetime')).to.match(/^2025-03-01T/);
    expect(first.getAttribute('part')).to.contain('row-unread');
    expect(text(first.querySelector('[part~="unread-marker"]'))).to.equal('1 unread');
    expect(first.querySelector('[part~="flag"]')!.getAttribute('part')).to.contain('flag-customer');
    expect(text(first.querySelector('[part~="flag"]'))).to.equal('Customer');
    // The customer never sees the internal note: the preview is Alice's last visible message.
    expect(text(permit.querySelector('[part~="preview"]'))).to.contain('Here is the plan');
    const staffRow = rows(el).find((row) => text(row.querySelector('[part~="sender"]')) === 'Bob Staff')!;
    expect(staffRow.querySelector('[part~="flag"]')!.getAttribute('part')).to.contain('flag-staff');
    const supportRow = rows(el).find((row) => text(row.querySelector('[part~="sender"]')) === 'Sam Support')!;
    expect(supportRow.querySelector('[part~="flag"]')!.getAttribute('part')).to.contain('flag-support');
    expect(text(supportRow.querySelector('[part~="flag"]'))).to.equal('Support');
    const colour = (row: Element) => getComputedStyle(row).borderInlineStartColor;
    expect(new Set([colour(first), colour(staffRow), colour(supportRow)]).size).to.equal(3);
    await expect(el).to.be.accessible();
  });

  it('is a listbox with one tab stop, arrow keys, Home/End and Enter to open', async () => {
    const el = await allMail();
    const listbox = q(el, 'secure-conversation-list', '[part~="list"]')!;
    expect(listbox.getAttribute('role')).to.equal('listbox');
    expect(rows(el).filter((row) => row.tabIndex === 0)).to.have.length(1);
    rows(el)[0].focus();
    await sendKeys({ press: 'ArrowDown' });
    expect(focused()).to.equal(rows(el)[1]);
    expect(rows(el)[1].tabIndex).to.equal(0);
    expect(rows(el)[0].tabIndex).to.equal(-1);
    await sendKeys({ press: 'ArrowUp' });
    expect(focused()).to.equal(rows(el)[0]);
    // (Reaching the end may load the next page, so compare with the last row as it was.)
    const last = rows(el).at(-1);
    await sendKeys({ press: 'End' });
    expect(focused()).to.equal(last);
    await sendKeys({ press: 'Home' });
    expect(focused()).to.equal(rows(el)[0]);
    await sendKeys({ press: 'ArrowDown' });
    const opened = oneEvent(el, 'secure-conversation-open');
    await sendKeys({ press: 'Enter' });
    const event = (await opened) as CustomEvent;
    expect(event.detail.id).to.equal('c-permit');
    await el.updateComplete;
    expect(rows(el)[1].getAttribute('aria-selected')).to.equal('true');
    expect(rows(el)[1].getAttribute('part')).to.contain('row-selected');
  });

  it('loads the next page by cursor when the end of the list scrolls into view', async () => {
    db.pageSize = 10;
    const el = await allMail();
    const list = q(el, 'secure-conversation-list')!;
    // The page size comes from the element.
    (list as unknown as { limit: number }).limit = 10;
    await until(() => requestsTo('/conversations').some((r) => r.query.get('limit') === '10' && !r.query.has('cursor')));
    // Until the first page of 10 replaced the 25 rows shown before.
    await until(() => rows(el).length % 10 === 0);
    // Scroll to the end, as a person would, until everything is there.
    while (rows(el).length < 30) {
      const more = await until(() => q<HTMLButtonElement>(el, 'secure-conversation-list', '[part~="load-more"]'));
      const count = rows(el).length;
      more.scrollIntoView();
      await until(() => rows(el).length > count);
    }
    expect(requestsTo('/conversations').filter((r) => r.query.has('cursor')).length).to.be.at.least(2);
    const all = rows(el);
    expect(all).to.have.length(30);
    expect(new Set(all.map((row) => text(row.querySelector('[part~="subject"]')))).size).to.equal(30);
    expect(q(el, 'secure-conversation-list', '[part~="load-more"]')).to.equal(null);
  });

  it('keeps what it has and offers Retry when a later page fails', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await loaded(el);
    worker.use();
    failWith('get', '/conversations', 503);
    el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!.click();
    const error = await until(() => q(el, 'secure-conversation-list', '[part~="error"]'));
    expect(text(error)).to.contain('Something went wrong');
    worker.resetHandlers();
    q<HTMLButtonElement>(el, 'secure-conversation-list', '[part~="retry"]')!.click();
    await loaded(el, 25);
  });

  it('says when there are no unread messages, and turns "Unread only" off from there', async () => {
    for (const stored of db.conversations.values()) stored.unread = 0;
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const empty = await until(() => q(el, 'secure-conversation-list', '[part~="empty"]'));
    expect(seen(empty)).to.equal('No unread messages. Turn off “Unread only” to see all messages. Turn off “Unread only”');
    expect(empty.getAttribute('role')).to.equal('status');
    await expect(el).to.be.accessible();
    const button = empty.querySelector('button')!;
    button.focus();
    await sendKeys({ press: 'Enter' });
    await loaded(el, 25);
    const toggle = el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!;
    expect(toggle.checked).to.equal(false);
    expect(focused()).to.equal(toggle);
    expect(requestsTo('/conversations').at(-1)!.query.has('unread')).to.equal(false);
    await expect(el).to.be.accessible();
  });

  it('shows the default text in an empty folder when the host leaves the empty slot alone', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" folder="trash"></secure-inbox>`);
    const empty = await until(() => q(el, 'secure-conversation-list', '[part~="empty"]'));
    expect(seen(empty)).to.equal('No messages here.');
    await expect(el).to.be.accessible();
  });

  it('names a search that found nothing, and clears it from there', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice">
      <p slot="empty">Ask us anything: choose “New message”.</p>
    </secure-inbox>`);
    await loaded(el);
    const input = el.shadowRoot!.querySelector<HTMLInputElement>('[part~="search-input"]')!;
    input.focus();
    await sendKeys({ type: 'zebrafish' });
    await sendKeys({ press: 'Enter' });
    const empty = await until(() => q(el, 'secure-conversation-list', '[part~="empty"]'));
    // The host's text is for an empty folder; a search says what it looked for.
    expect(seen(empty)).to.equal('No messages match “zebrafish”. Clear search');
    await expect(el).to.be.accessible();
    empty.querySelector('button')!.click();
    await loaded(el);
    expect(input.value).to.equal('');
    expect(focused()).to.equal(input);
    expect(requestsTo('/conversations').at(-1)!.query.has('q')).to.equal(false);
    await expect(el).to.be.accessible();
  });

  it('writes dates in the page language (the closest lang), unless <secure-inbox> names a locale', async () => {
    const wrapper = await fixture<HTMLElement>(html`<div lang="de-DE"><secure-inbox token="token-alice"></secure-inbox></div>`);
    const el = wrapper.querySelector('secure-inbox')!;
    const [row] = await loaded(el);
    const time = () => row.querySelector('[part~="time"]')!;
    const date = new Date(time().getAttribute('datetime')!);
    await until(() => text(time()) === new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium' }).format(date));
    expect(text(time())).to.not.equal(new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' }).format(date));
    // German is shipped: the text follows the page language too.
    await until(() => /^\d+ ungelesen$/.test(text(row.querySelector('[part~="unread-marker"]'))));
    el.locale = 'fr-FR';
    await until(() => text(time()) === new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium' }).format(date));
    await expect(el).to.be.accessible();
    el.setAttribute('locale', 'not a language!');
    await until(() => text(time()) !== new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium' }).format(date));
    expect(text(time())).to.equal(new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(date));
  });

  it('reads a time of today in its own direction on a right-to-left page ("10:01 AM", not "AM 10:01")', async () => {
    const today = new Date();
    today.setHours(10, 1, 0, 0);
    const stored = db.conversations.get('c-permit')!;
    stored.messages.at(-1)!.createdAt = today.toISOString();
    const wrapper = await fixture<HTMLElement>(html`<div lang="en-US" dir="rtl"><secure-inbox token="token-bob"></secure-inbox></div>`);
    const el = wrapper.querySelector('secure-inbox')!;
    const time = await until(() =>
      rows(el)
        .map((row) => row.querySelector('[part~="time"]')!)
        .find((t) => text(t).includes('AM')),
    );
    const node = time.firstChild!.nodeType === Node.TEXT_NODE ? time.firstChild! : [...time.childNodes].find((n) => n.nodeType === Node.TEXT_NODE)!;
    const at = (needle: string) => {
      const range = document.createRange();
      const start = node.textContent!.indexOf(needle);
      range.setStart(node, start);
      range.setEnd(node, start + needle.length);
      return range.getBoundingClientRect().left;
    };
    expect(text(time)).to.equal('10:01 AM');
    expect(at('10')).to.be.below(at('AM'));
    await expect(el).to.be.accessible();
  });

  it('shows in Sent the user\'s own last message and its time ("You wrote"), in Inbox the latest one', async () => {
    const reply = await fetch('/api/v1/conversations/c-permit/messages', {
      method: 'POST',
      headers: { Authorization: 'Bearer token-bob', 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: '<p>Tuesday it is.</p>' }),
    });
    expect(reply.status).to.equal(201);
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" folder="sent"></secure-inbox>`);
    const row = () => rows(el).find((r) => text(r.querySelector('[part~="subject"]')) === 'Inspection date for permit 2024-117');
    const sent = await until(row);
    expect(text(sent.querySelector('[part~="sender"]'))).to.equal('You wrote');
    expect(text(sent.querySelector('[part~="preview"]'))).to.equal('Here is the plan, see the drawing.');
    const sentAt = sent.querySelector('[part~="time"]')!.getAttribute('datetime');
    await expect(el).to.be.accessible();
    el.folder = 'inbox';
    el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!.checked = false;
    el.shadowRoot!.querySelector<HTMLInputElement>('[part~="unread-toggle"]')!.dispatchEvent(new Event('change'));
    const inbox = await until(() => text(row()?.querySelector('[part~="sender"]')) === 'Bob Staff' && row());
    expect(text(inbox.querySelector('[part~="preview"]'))).to.equal('Tuesday it is.');
    expect(inbox.querySelector('[part~="time"]')!.getAttribute('datetime')! > sentAt!).to.equal(true);
  });
});
