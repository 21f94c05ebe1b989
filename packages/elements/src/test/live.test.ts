/**
 * Live updates as the user sees them: events written to the page's one event stream (the msw mock answers
 * `GET /events` with a `ReadableStream` the test writes to, see `live` in mocks.ts) change the list, the open
 * thread, the counts and the connection state.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../components/secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../components/secure-inbox/secure-inbox.js';
import '../components/unread-badge/unread-badge.js';
import { backoff } from '../internal/events.js';
import { db, jwtFor, live, q, qa, requestsTo, text, tokens, until, useMocks, users } from '../internal/test/mocks.js';

const rows = (el: Element) => qa(el, 'secure-conversation-list', '[part~="row"]');
const subjects = (el: Element) => rows(el).map((row) => text(row.querySelector('[part~="subject"]')));
const messages = (el: Element) => qa(el, 'secure-thread-view', '[part~="message"]');
const connection = (el: Element) => q(el, '[part~="connection"]');

/** A request as another user, through the same mock (what that user's own browser would send). */
async function as(token: string, path: string, body: unknown) {
  const response = await fetch(`/api/v1${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).to.equal(201);
  return response.json();
}

describe('live updates over the shared event stream', () => {
  useMocks();
  const saved = { ...backoff };
  afterEach(() => {
    Object.assign(backoff, saved);
    delete tokens['e30.alice-short.x'];
  });

  it('puts a new conversation on top of the list and counts it in the Inbox and the badge, from one connection', async () => {
    const page = await fixture<HTMLElement>(
      html`<div><secure-unread-badge token="token-alice"></secure-unread-badge><secure-inbox token="token-alice"></secure-inbox></div>`,
    );
    const inbox = page.querySelector<SecureInbox>('secure-inbox')!;
    const badge = page.querySelector('secure-unread-badge')!;
    await until(() => rows(inbox).length && text(connection(inbox)) === 'Live');
    expect(connection(inbox)!.getAttribute('role')).to.equal('status');
    const unread = await until(() => (inbox as unknown as { session: { unread?: number } }).session.unread);
    // The badge and the widget share the page's one stream.
    expect(live.connects).to.have.length(1);
    expect(subjects(inbox)[0]).to.not.equal('Fence height on the north side');

    const { conversation } = await as('token-bob', '/conversations', {
      accountId: 'acc-permit',
      subject: 'Fence height on the north side',
      body: '<p>Please confirm the fence height.</p>',
      recipientIds: [users.alice.id],
    });
    db.conversations.get(conversation.id)!.unread = 1;
    live.send('message.created', { conversationId: conversation.id, messageId: 'm-fence' }, 101);
    live.send('unread.changed', { conversationId: conversation.id, unread: unread + 1 }, 102);

    await until(() => subjects(inbox)[0] === 'Fence height on the north side');
    expect(rows(inbox)[0].getAttribute('part')).to.contain('row-unread');
    expect(text(rows(inbox)[0].querySelector('[part~="sender"]'))).to.equal('Bob Staff');
    const said = `${unread + 1} unread messages`;
    await until(() => text(badge.shadowRoot!.querySelector('[part~="count"] .sr-only')) === said);
    expect(badge.shadowRoot!.querySelector('[part~="count"]')!.getAttribute('aria-live')).to.equal('polite');
    await until(() => text(inbox.shadowRoot!.querySelector('.sr-only[role="status"]')) === `${unread + 1} unread in Inbox`);
    expect(text(inbox.shadowRoot!.querySelector('[part~="folder-current"] [part~="count"] .sr-only'))).to.equal(`${unread + 1} unread`);
    expect(live.connects).to.have.length(1);
    await expect(inbox).to.be.accessible();
  });

  it('adds a new message to the open thread and announces it', async () => {
    const inbox = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-permit"></secure-inbox>`);
    await until(() => messages(inbox).length === 3 && text(connection(inbox)) === 'Live');
    const { message } = await as('token-bob', '/conversations/c-permit/messages', { body: '<p>Tuesday at 10 works.</p>', action: 'send_leave_open' });
    live.send('message.created', { conversationId: 'c-permit', messageId: message.id }, 7);
    await until(() => messages(inbox).length === 4);
    expect(text(messages(inbox)[3].querySelector('[part~="message-body"]'))).to.equal('Tuesday at 10 works.');
    expect(qa(inbox, 'secure-thread-view', '[role="status"]').map(text)).to.include('New messages in this conversation.');
    // Opened with the message on screen: it is marked read.
    await until(() => requestsTo('/conversations/c-permit/read', 'POST').length === 2);
  });

  it("shows staff who else is writing from the stream's ephemeral typing event, which does not move the replay position", async () => {
    backoff.min = 20;
    backoff.max = 100;
    const inbox = await fixture<SecureInbox>(html`<secure-inbox token="token-bob" conversation="c-permit"></secure-inbox>`);
    await until(() => q(inbox, 'secure-thread-view', 'secure-answer-panel') && text(connection(inbox)) === 'Live');
    live.send('conversation.updated', { conversationId: 'c-cafe' }, 12);
    // As the server writes it: no `id:` line.
    live.write(
      `event: typing\ndata: ${JSON.stringify({ conversationId: 'c-permit', user: { id: 'u-sam', name: 'Sam Support', role: 'admin' }, expiresInSeconds: 5 })}\n\n`,
    );
    await until(() => text(q(inbox, 'secure-thread-view', '[part~="writing"]')) === 'Sam Support is writing');
    live.drop();
    await until(() => live.connects.length === 2);
    expect(live.connects.at(-1)!.lastEventId).to.equal('12');
  });

  it('shows Live, Reconnecting… and Offline as the stream goes, and resumes after the last event it saw', async () => {
    backoff.min = 20;
    backoff.max = 100;
    const inbox = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await until(() => text(connection(inbox)) === 'Live');
    live.send('conversation.updated', { conversationId: 'c-permit' }, 41);
    await until(() => requestsTo('/conversations').length >= 2);
    live.refuse = 503;
    live.drop();
    await until(() => text(connection(inbox)) === 'Reconnecting…');
    live.refuse = 0;
    await until(() => text(connection(inbox)) === 'Live');
    expect(live.connects.at(-1)!.lastEventId).to.equal('41');
    // Refused for good: no more attempts, and it says so.
    live.refuse = 403;
    live.drop();
    await until(() => text(connection(inbox)) === 'Offline');
    const attempts = live.connects.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(live.connects).to.have.length(attempts);
    await expect(inbox).to.be.accessible();
  });

  it('says "Paused: live in another tab" when the server closes the stream for too many tabs, and does not reconnect', async () => {
    backoff.min = 20;
    const inbox = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await until(() => text(connection(inbox)) === 'Live');
    live.write('event: stream.closed\ndata: {"reason":"too_many_streams","limit":8}\nid: 8\n\n');
    live.drop();
    await until(() => text(connection(inbox)) === 'Paused: live in another tab');
    const attempts = live.connects.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(live.connects).to.have.length(attempts);
    expect(text(connection(inbox))).to.equal('Paused: live in another tab');
    await expect(inbox).to.be.accessible();
  });

  it('reconnects with a fresh token when the server ends the stream at the token expiry, missing nothing', async () => {
    backoff.min = 20;
    tokens['e30.alice-short.x'] = users.alice;
    const issued: string[] = [];
    const provider = () => {
      issued.push(issued.length ? jwtFor(users.alice) : 'e30.alice-short.x');
      return issued.at(-1)!;
    };
    const inbox = await fixture<SecureInbox>(html`<secure-inbox .tokenProvider=${provider} conversation="c-permit"></secure-inbox>`);
    await until(() => messages(inbox).length === 3 && text(connection(inbox)) === 'Live');
    live.send('conversation.updated', { conversationId: 'c-permit' }, 50);
    await until(() => requestsTo('/conversations/c-permit', 'GET').length >= 2);

    // The token expires: the server ends the stream and refuses the token from now on.
    delete tokens['e30.alice-short.x'];
    live.drop();
    await until(() => live.streams.size && text(connection(inbox)) === 'Live');
    // Whichever request met the 401 first asked the provider; every reconnect resumed after event 50.
    const [first, ...again] = live.connects;
    expect(first).to.deep.equal({ auth: 'Bearer e30.alice-short.x', lastEventId: null });
    expect(again.at(-1)).to.deep.equal({ auth: `Bearer ${jwtFor(users.alice)}`, lastEventId: '50' });
    expect(again.every((c) => c.lastEventId === '50')).to.equal(true);
    expect(issued).to.deep.equal(['e30.alice-short.x', jwtFor(users.alice)]);

    // What is sent on the new stream arrives.
    const { message } = await as('token-bob', '/conversations/c-permit/messages', { body: '<p>After the new token.</p>', action: 'send_leave_open' });
    live.send('message.created', { conversationId: 'c-permit', messageId: message.id }, 51);
    await until(() => messages(inbox).length === 4);
    expect(requestsTo('/conversations/c-permit', 'GET').at(-1)!.auth).to.equal(`Bearer ${jwtFor(users.alice)}`);
  });

  it('updates the staff notification centre inside the widget when a notice arrives', async () => {
    const inbox = await fixture<SecureInbox>(html`<secure-inbox token="token-bob"></secure-inbox>`);
    const count = () => q(inbox, 'secure-notification-centre', '[part~="notifications-count"]');
    await until(() => text(count()) === '1' && text(connection(inbox)) === 'Live');
    live.notices.unshift({ ...live.notices[0], id: '3', subject: 'Terrace licence renewal', conversationId: 'c-cafe' });
    live.send('notification.created', { conversationId: 'c-cafe', notificationId: '3' }, 9);
    await until(() => text(count()) === '2');
    expect(text(q(inbox, 'secure-notification-centre', '[aria-live]'))).to.equal('2 unread notifications');
    expect(live.connects).to.have.length(1);
  });

  it('updates the Sent count when a conversation was read, as the event stream reports', async () => {
    const written = [...db.conversations.values()].filter((s) => s.authors.has(users.alice.id));
    for (const stored of written) stored.unread = 0;
    written[0]!.unread = 1;
    const inbox = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" folder="sent"></secure-inbox>`);
    const sentCount = () =>
      text(
        qa(inbox, '[part~="folder"]')
          .find((f) => text(f).startsWith('Sent'))!
          .querySelector('[part~="count"]'),
      );
    await until(() => text(connection(inbox)) === 'Live' && sentCount() !== '');
    const before = await until(() => (inbox as unknown as { session: { unread?: number } }).session.unread);
    // Read in another tab: the stream says the Inbox count fell.
    written[0]!.unread = 0;
    live.send('unread.changed', { conversationId: written[0]!.conversation.id, unread: before - 1 }, 201);
    await until(() => sentCount() === '' || null);
    await expect(inbox).to.be.accessible();
  });
});
