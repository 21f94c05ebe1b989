import { expect } from '@open-wc/testing';
import { claimedRole, Session, type SessionEvent } from './session.js';
import { db, jwtFor, live, requestsTo, until, useMocks, users } from './test/mocks.js';

describe('Session', () => {
  useMocks();

  it('defaults the API base to the origin the script came from', () => {
    expect(new Session().api.base).to.equal(location.origin);
  });

  it('shares one GET /me and publishes the unread count', async () => {
    const session = new Session(location.origin, { token: 'token-alice' });
    const events: SessionEvent[] = [];
    session.subscribe((event) => events.push(event));
    await Promise.all([session.loadMe(), session.loadMe()]);
    expect(requestsTo('/me')).to.have.length(1);
    expect(session.unread).to.equal(9);
    expect(events).to.deep.equal([{ type: 'unread.changed', unread: 9 }]);
  });

  it('asks again for a fresh /me, unless one started within the time given; later plain calls get the last answer', async () => {
    const session = new Session(location.origin, { token: 'token-alice' });
    await Promise.all([session.loadMe(), session.loadMe(2_000)]);
    expect(requestsTo('/me')).to.have.length(1);
    await session.loadMe(true);
    expect(requestsTo('/me')).to.have.length(2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await session.loadMe(20);
    expect(requestsTo('/me')).to.have.length(3);
    const pending = session.loadMe(true);
    expect((await session.loadMe()).user.id).to.equal('u-alice');
    await pending;
    expect(requestsTo('/me')).to.have.length(4);
  });

  it('reads the role a JWT claims, and nothing from other tokens', () => {
    expect(claimedRole(jwtFor(users.bob))).to.equal('staff');
    expect(claimedRole(jwtFor(users.alice))).to.equal('customer');
    for (const token of [undefined, '', 'token-alice', 'a.b.c', 'a.eyJyb2xlIjoxfQ.c']) expect(claimedRole(token)).to.equal(undefined);
  });

  it('accepts pushed events from a live source', () => {
    const session = new Session();
    const events: SessionEvent[] = [];
    const stop = session.subscribe((event) => events.push(event));
    session.push({ type: 'unread.changed', unread: 4 });
    session.push({ type: 'message.created', conversationId: 'c-1', messageId: 'm-1' });
    stop();
    session.push({ type: 'unread.changed', unread: 5 });
    expect(session.unread).to.equal(5);
    expect(events).to.have.length(2);
  });

  it('polls GET /me while the event stream is down, and stops when the last watcher leaves', async () => {
    live.refuse = 503;
    const session = new Session(location.origin, { token: 'token-alice' });
    session.pollInterval = 30;
    const stopA = session.watch();
    const stopB = session.watch();
    await until(() => requestsTo('/me').length >= 2);
    stopA();
    stopB();
    const count = requestsTo('/me').length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requestsTo('/me').length).to.be.at.most(count + 1);
  });

  it('does not poll while the event stream is live', async () => {
    const session = new Session(location.origin, { token: 'token-alice' });
    session.pollInterval = 30;
    const connected: string[] = [];
    session.subscribe((event) => event.type === 'connection' && connected.push(event.state));
    const stop = session.watch();
    await until(() => connected.includes('live'));
    // Going live re-reads the counts once; after that only events move them.
    await new Promise((resolve) => setTimeout(resolve, 60));
    const count = requestsTo('/me').length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop();
    expect(requestsTo('/me').length).to.equal(count);
  });

  it('tells subscribers when the credentials change', async () => {
    const session = new Session(location.origin, { token: 'token-alice' });
    await session.loadMe();
    const events: SessionEvent[] = [];
    session.subscribe((event) => events.push(event));
    session.configure(location.origin, { token: 'token-alice' });
    expect(events).to.deep.equal([]);
    session.configure(location.origin, { token: 'token-bob' });
    expect(events).to.deep.equal([{ type: 'credentials.changed' }]);
    expect(session.me).to.equal(undefined);
    expect((await session.loadMe()).user.id).to.equal('u-bob');
    void db;
  });
});
