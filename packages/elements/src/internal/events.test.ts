import { expect } from '@open-wc/testing';
import { ApiClient } from './api.js';
import { backoff, delayFor, listen, openConnections, sseParser, type ConnectionState, type LiveEvent } from './events.js';
import { jwtFor, live, until, useMocks, users } from './test/mocks.js';

/** Records what one listener hears. */
function recorder() {
  const events: LiveEvent[] = [];
  const states: ConnectionState[] = [];
  return { events, states, listener: { event: (e: LiveEvent) => events.push(e), state: (s: ConnectionState) => states.push(s) } };
}

describe('sseParser', () => {
  it('reads events split across chunks, with comments, CRLF, several data lines and ids', () => {
    const seen: [string, string, string][] = [];
    const parser = sseParser((type, data, id) => seen.push([type, data, id]));
    parser.push(': connected\n\nevent: message.cre');
    parser.push('ated\r\ndata: {"conversationId":"c-1"}\r\nid: 7\r\n\r\n');
    parser.push('data: line one\ndata: line two\n\n');
    expect(seen).to.deep.equal([
      ['message.created', '{"conversationId":"c-1"}', '7'],
      ['message', 'line one\nline two', '7'],
    ]);
    // An id without data moves the position and dispatches nothing.
    parser.push('id: 9\n\n');
    expect(seen).to.have.length(2);
    expect(parser.id).to.equal('9');
    parser.push('event: unread.changed\ndata:{"unread":3}\n');
    expect(seen).to.have.length(2);
    parser.push('\n');
    expect(seen[2]).to.deep.equal(['unread.changed', '{"unread":3}', '9']);
  });
});

describe('listen (the event stream)', () => {
  useMocks();
  const saved = { ...backoff };
  afterEach(() => Object.assign(backoff, saved));

  it('waits exponentially from 1 s up to 30 s, with jitter between half and all of each step', () => {
    backoff.random = () => 1;
    expect([0, 1, 2, 3, 4, 5, 6].map(delayFor)).to.deep.equal([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    backoff.random = () => 0;
    expect([0, 5].map(delayFor)).to.deep.equal([500, 15000]);
  });

  it('delivers typed events with their ids and data, and says when it is live', async () => {
    const { events, states, listener } = recorder();
    const stop = listen(new ApiClient(location.origin, { token: 'token-alice' }), listener);
    await until(() => states.includes('live'));
    expect(live.connects[0].auth).to.equal('Bearer token-alice');
    live.send('message.created', { conversationId: 'c-permit', messageId: 'm-9' }, 41);
    live.send('unread.changed', { conversationId: 'c-permit', unread: 3 }, 42);
    await until(() => events.length === 2);
    expect(events).to.deep.equal([
      { type: 'message.created', id: '41', conversationId: 'c-permit', messageId: 'm-9' },
      { type: 'unread.changed', id: '42', conversationId: 'c-permit', unread: 3 },
    ]);
    stop();
    expect(openConnections()).to.equal(0);
  });

  it('reconnects after a drop with Last-Event-ID, backing off', async () => {
    backoff.min = 20;
    const { events, states, listener } = recorder();
    const stop = listen(new ApiClient(location.origin, { token: 'token-alice' }), listener);
    await until(() => live.streams.size);
    live.send('message.created', { conversationId: 'c-permit' }, 5);
    await until(() => events.length);
    live.drop();
    await until(() => states.includes('reconnecting'));
    await until(() => live.connects.length === 2 && live.streams.size);
    expect(live.connects.map((c) => c.lastEventId)).to.deep.equal([null, '5']);
    await until(() => states.at(-1) === 'live');
    live.send('conversation.updated', { conversationId: 'c-permit' }, 6);
    await until(() => events.length === 2);
    expect(events[1].type).to.equal('conversation.updated');
    stop();
  });

  it('asks the token provider again after a 401', async () => {
    const given: string[] = [];
    const tokens = ['e30.expired.x', jwtFor(users.alice)];
    const provider = () => {
      const token = tokens[Math.min(given.length, 1)];
      given.push(token);
      return token;
    };
    const { states, listener } = recorder();
    const stop = listen(new ApiClient(location.origin, { tokenProvider: provider }), listener);
    await until(() => states.includes('live'));
    expect(given).to.deep.equal(tokens);
    expect(live.connects.map((c) => c.auth)).to.deep.equal(tokens.map((token) => `Bearer ${token}`));
    stop();
  });

  it('stops for good on 403 and 404, showing offline', async () => {
    backoff.min = 5;
    live.refuse = 403;
    const { states, listener } = recorder();
    const stop = listen(new ApiClient(location.origin, { token: 'token-alice' }), listener);
    await until(() => states.includes('offline'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(live.connects).to.have.length(1);
    stop();
  });

  it('stays closed, without reconnecting, when the server ends the stream for too many streams, and opens again when the page is shown', async () => {
    backoff.min = 5;
    const { events, states, listener } = recorder();
    const stop = listen(new ApiClient(location.origin, { token: 'token-alice' }), listener);
    await until(() => states.includes('live'));
    live.send('message.created', { conversationId: 'c-permit' }, 8);
    await until(() => events.length);
    live.write('event: stream.closed\ndata: {"reason":"too_many_streams","limit":8}\nid: 8\n\n');
    live.drop();
    await until(() => states.includes('paused'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(live.connects).to.have.length(1);
    expect(states).to.not.include('reconnecting');
    expect(states).to.not.include('offline');
    // The closing notice is not an event of the API's listeners.
    expect(events.map((e) => e.type)).to.deep.equal(['message.created']);
    document.dispatchEvent(new Event('visibilitychange'));
    await until(() => live.connects.length === 2 && states.at(-1) === 'live');
    expect(live.connects[1].lastEventId).to.equal('8');
    stop();
  });

  it('shares one connection between listeners of the same base and token, and closes it after the last', async () => {
    const a = recorder();
    const b = recorder();
    const stopA = listen(new ApiClient(location.origin, { token: 'token-alice' }), a.listener);
    const stopB = listen(new ApiClient(location.origin, { token: 'token-alice' }), b.listener);
    await until(() => a.states.includes('live') && b.states.includes('live'));
    live.send('unread.changed', { conversationId: 'c-permit', unread: 1 }, 1);
    await until(() => a.events.length && b.events.length);
    expect(live.connects).to.have.length(1);
    const other = recorder();
    const stopOther = listen(new ApiClient(location.origin, { token: 'token-bob' }), other.listener);
    await until(() => live.connects.length === 2);
    expect(openConnections()).to.equal(2);
    stopA();
    expect(openConnections()).to.equal(2);
    stopB();
    stopOther();
    expect(openConnections()).to.equal(0);
    await until(() => live.streams.size === 0);
  });
});
