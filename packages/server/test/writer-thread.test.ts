/**
 * The writer thread (src/store/sqlite/writer-thread.ts): the server on a database file writes sends and
 * sign-ins on a thread of its own. What a client sees must be what it sees when they are written on
 * the server's thread: the same answers, the same errors, pages and streams that move at once, and
 * nothing acknowledged lost when the thread stops. (The writer-thread project of vitest.config.ts
 * runs the route, event, leak, list and authorization suites this way as well.)
 */
import { richText } from '@secure-inbox/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { changeVersion, noteThreadWrites, OTHER_WRITES_CHECK_MS, THREAD_WRITES_CHECK_MS } from '../src/domain/change-versions.js';
import { createUserSync } from '../src/domain/users.js';
import { describeError, rebuildError } from '../src/store/sqlite/writer-messages.js';
import { startWriterThread } from '../src/store/sqlite/writer-thread.js';
import { ApiError } from '../src/errors.js';
import { expectError, makeTestApp, people, postMessage, signInAll, startConversation, type TestApp } from './helpers.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function threadApp() {
  const t = makeTestApp({}, { writerThread: true });
  await signInAll(t);
  return t;
}

/** Reads the caller's event stream until `match` arrives (or fails after `timeoutMs`). */
async function streamUntil(t: TestApp, user: (typeof people)[keyof typeof people], match: (chunk: string) => boolean, timeoutMs = 5000) {
  const controller = new AbortController();
  const res = await t.app.request('/api/v1/events', {
    headers: { authorization: `Bearer ${await t.token(user)}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  const done = (async () => {
    for (;;) {
      const { done: ended, value } = await reader.read();
      if (ended) return false;
      seen += decoder.decode(value, { stream: true });
      if (match(seen)) return true;
    }
  })();
  const timer = wait(timeoutMs).then(() => false);
  return {
    result: Promise.race([done, timer]).then((found) => {
      controller.abort();
      return { found, seen };
    }),
  };
}

describe('sends written on the writer thread', () => {
  it('answer with the message and conversation as later reads show them', async () => {
    const t = await threadApp();
    const conversation = await startConversation(t, people.alice, { subject: 'Fence permit', body: '<p>Is <b>this</b> enough?</p>' });
    const read = await t.call(people.alice, 'GET', `/conversations/${conversation.id}`);
    // The thread adds what only it gives (expected reply time, "seen", ratings) to the conversation the send answered.
    const { expectedReply, seen, ratings, ...shown } = read.json.conversation;
    expect(shown).toEqual(conversation);
    expect({ expectedReply, seen, ratings }).toEqual({ expectedReply: null, seen: null, ratings: [] });

    const answer = await t.call(people.sam, 'POST', `/conversations/${conversation.id}/messages`, {
      body: '<p onclick="x()">Yes, <a href="https://example.com/form">this form</a><script>alert(1)</script></p>',
      action: 'send_leave_open',
      tip: 'Bring the drawing',
    });
    expect(answer.status).toBe(201);
    const thread = await t.call(people.sam, 'GET', `/conversations/${conversation.id}`);
    expect(thread.json.messages.at(-1)).toEqual(answer.json.message);
    expect(answer.json.message.body).not.toMatch(/script|onclick/);
    expect(answer.json.message.body).toContain(`rel="${richText.linkRel}"`);
  });

  it('brings the recipients’ kept inbox pages and unread counts up to date before the sender is answered', async () => {
    const t = await threadApp();
    const conversation = await startConversation(t, people.alice, { subject: 'Kept', body: '<p>First</p>' });
    const previews = async () =>
      (await t.call(people.alice, 'GET', '/conversations')).json.items.map((i: { lastMessage: { preview: string } }) => i.lastMessage.preview);
    const unread = async () => (await t.call(people.alice, 'GET', '/me')).json.unread.inbox;
    expect(await previews()).toEqual(['First']);
    expect(await unread()).toBe(0);

    await postMessage(t, people.sam, conversation.id, { body: '<p>Answered by staff</p>', action: 'send_leave_open' });
    expect(await previews()).toEqual(['Answered by staff']);
    expect(await unread()).toBe(1);
    // A hidden note moves nothing the customer sees.
    await postMessage(t, people.sam, conversation.id, { body: '<p>internal only</p>', action: 'internal_note' });
    expect(await previews()).toEqual(['Answered by staff']);
    expect((await t.call(people.sam, 'GET', '/conversations')).json.items[0].lastMessage.preview).toBe('internal only');
  });

  it('wakes the recipients’ open event streams, and never a customer’s for a hidden note', async () => {
    const t = await threadApp();
    const conversation = await startConversation(t, people.alice, { subject: 'Live', body: '<p>Anyone?</p>' });
    const hidden = await streamUntil(t, people.alice, (s) => s.includes('event: message.created'), 1000);
    await wait(50);
    const note = await postMessage(t, people.sam, conversation.id, { body: '<p>quiet</p>', action: 'internal_note' });
    const { found: customerWoken, seen } = await hidden.result;
    expect(customerWoken).toBe(false);
    expect(seen).not.toContain(note.id);

    const live = await streamUntil(t, people.alice, (s) => s.includes('event: message.created'));
    await wait(50);
    const reply = await postMessage(t, people.sam, conversation.id, { body: '<p>Here</p>', action: 'send_leave_open' });
    const { found, seen: delivered } = await live.result;
    expect(found).toBe(true);
    expect(delivered).toContain(reply.id);
    expect(delivered).not.toContain(note.id);
  });

  it('answers the same errors as on the server’s thread', async () => {
    const t = await threadApp();
    const acme = await startConversation(t, people.alice);
    const globex = await startConversation(t, people.bob);
    const unknown = await t.call(people.alice, 'POST', '/conversations/c_doesnotexist00/messages', { body: 'hello' });
    const foreign = await t.call(people.alice, 'POST', `/conversations/${globex.id}/messages`, { body: 'hello' });
    expectError(unknown, 404, 'not_found');
    expect(foreign.json).toEqual(unknown.json);
    expectError(await t.call(people.alice, 'POST', `/conversations/${acme.id}/messages`, { body: 'x', action: 'internal_note' }), 403, 'forbidden');
    const empty = expectError(await t.call(people.alice, 'POST', `/conversations/${acme.id}/messages`, { body: '<script>alert(1)</script>' }), 422, 'invalid');
    expect(empty.details).toEqual([{ field: 'body', message: 'has no content left after removing what is not allowed' }]);
    expectError(await t.call(people.alice, 'POST', '/conversations', { accountId: 'globex', subject: 's', body: 'b' }), 403, 'forbidden');
    expectError(await t.call(people.alice, 'POST', `/conversations/${acme.id}/messages`, { body: 'x', attachmentIds: ['att_unknown'] }), 404, 'not_found');
    // Nothing of the refused sends was written.
    expect((await t.call(people.alice, 'GET', `/conversations/${acme.id}`)).json.messages).toHaveLength(1);
  });

  it('answers 503 while another process holds the write lock past the busy timeout, and 201 once it lets go', { timeout: 20_000 }, async () => {
    const t = await threadApp();
    const conversation = await startConversation(t, people.alice);
    const other = new Database(t.config.dbFile);
    other.exec('BEGIN IMMEDIATE');
    try {
      const res = await t.call(people.alice, 'POST', `/conversations/${conversation.id}/messages`, { body: 'waits, then gives up' });
      expectError(res, 503, 'unavailable');
      expect(res.headers.get('retry-after')).toBe('30');
      expect(res.text).not.toMatch(/SQLITE|at .*\.ts/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await postMessage(t, people.alice, conversation.id, { body: 'goes through' });
    expect((await t.call(people.alice, 'GET', `/conversations/${conversation.id}`)).json.messages.map((m: { body: string }) => m.body)).toEqual([
      '<p>Hello</p>',
      'goes through',
    ]);
  });

  it('writes what was handed over before stopping, and later sends on the server’s thread', async () => {
    const t = await threadApp();
    const conversation = await startConversation(t, people.alice);
    const sends = Array.from({ length: 20 }, (_, i) => t.call(people.alice, 'POST', `/conversations/${conversation.id}/messages`, { body: `burst ${i}` }));
    // Let the requests reach the thread (sign-in and validation come first), then stop it.
    await wait(20);
    const stopped = t.writes!.stop();
    const answers = await Promise.all(sends);
    await stopped;
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    await postMessage(t, people.alice, conversation.id, { body: 'after the thread' });
    const bodies: string[] = (await t.call(people.alice, 'GET', `/conversations/${conversation.id}?limit=100`)).json.messages.map(
      (m: { body: string }) => m.body,
    );
    expect(bodies[0]).toBe('<p>Hello</p>');
    expect(bodies.at(-1)).toBe('after the thread');
    expect(bodies.slice(1, -1).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `burst ${i}`).sort());
  });
});

describe('a writer thread that stops by itself', () => {
  it('fails the writes waiting for it, says so once, and later writes go through on the server’s thread', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const conversation = await startConversation(t, people.alice);
    const lines: string[] = [];
    let failed!: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    // A folder where the database should be: the thread cannot open it and stops.
    const thread = startWriterThread(
      t.db,
      { ...t.config, dbFile: t.dir },
      {
        log: (line) => {
          lines.push(line);
          failed();
        },
      },
    );
    const alice = { id: 'alice', name: people.alice.name, email: people.alice.email, role: 'customer' as const, accounts: people.alice.accounts };
    const waiting = thread.postMessage(alice, conversation.id, { body: 'handed to the thread' });
    await expect(waiting).rejects.toThrow(/writer thread stopped before the write was committed/);
    await failure;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^the writer thread stopped \(.+\); sends are written on the server's own thread from now on$/);
    const written = await thread.postMessage(alice, conversation.id, { body: 'written here instead' });
    expect(written.body).toBe('written here instead');
    await thread.stop();
    const bodies = (await t.call(people.alice, 'GET', `/conversations/${conversation.id}`)).json.messages.map((m: { body: string }) => m.body);
    expect(bodies).toEqual(['<p>Hello</p>', 'written here instead']);
  });
});

describe('errors crossing from the writer thread', () => {
  it('keep an ApiError as itself and another error’s message, code and stack', () => {
    const api = new ApiError(429, 'rate_limited', 'Slow down.', [{ field: 'x', message: 'y' }], { 'Retry-After': '5' });
    const back = rebuildError(structuredClone(describeError(api)));
    expect(back).toBeInstanceOf(ApiError);
    expect(back).toMatchObject({
      status: 429,
      code: 'rate_limited',
      message: 'Slow down.',
      details: [{ field: 'x', message: 'y' }],
      headers: { 'Retry-After': '5' },
    });

    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const crossed = rebuildError(structuredClone(describeError(full))) as Error & { code?: string };
    expect(crossed).not.toBeInstanceOf(ApiError);
    expect(crossed.message).toBe('database or disk is full');
    expect(crossed.code).toBe('SQLITE_FULL');
    expect(crossed.stack).toBe(full.stack);
    expect(rebuildError(structuredClone(describeError('a string'))).message).toBe('a string');
  });
});

describe('sign-in rows', () => {
  it('are written once for requests of one user that arrive together, and again when the claims change', async () => {
    const t = makeTestApp();
    const written: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sync = createUserSync(t.db, async (identity) => {
      written.push(identity.name);
      await gate;
      return true;
    });
    const alice = { id: 'alice', name: 'Alice', email: null, role: 'customer' as const, accounts: ['acme'] };
    const together = [sync(alice), sync(alice), sync(alice)];
    release();
    await Promise.all(together);
    expect(sync(alice)).toBeUndefined();
    await sync({ ...alice, name: 'Alice Renamed' });
    expect(written).toEqual(['Alice', 'Alice Renamed']);
  });

  it('of a first request on the writer thread are there for the request that brought them', async () => {
    const t = makeTestApp({}, { writerThread: true });
    const first = await Promise.all([t.call(people.alice, 'GET', '/me'), t.call(people.alice, 'GET', '/me')]);
    expect(first.map((r) => r.status)).toEqual([200, 200]);
    expect((await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Hi', body: 'first words' })).status).toBe(201);
    expect(t.db.$client.prepare("SELECT name FROM users WHERE id = 'alice'").get()).toEqual({ name: people.alice.name });
  });
});

describe('writes by other connections while the writer thread writes', () => {
  it('expire kept pages within THREAD_WRITES_CHECK_MS, and at once when the thread did not write', async () => {
    const t = makeTestApp();
    const version = () => changeVersion(t.db, 'alice');
    const outsideWrite = () => {
      const other = new Database(t.config.dbFile);
      other.prepare('INSERT INTO accounts (id) VALUES (?) ON CONFLICT DO NOTHING').run(`acct-${Math.random()}`);
      other.close();
    };
    const first = version();
    outsideWrite();
    await wait(OTHER_WRITES_CHECK_MS + 10);
    const seen = version();
    expect(seen).not.toBe(first);

    // Now the writer thread reports a commit around the same time: data_version cannot tell them apart,
    // and everything was expired less than THREAD_WRITES_CHECK_MS ago: the change waits...
    outsideWrite();
    // A report whose own check cannot vouch for the time of the write (it was made before this thread's reading).
    noteThreadWrites(t.db, [], { others: 'none', since: performance.timeOrigin + performance.now(), readsSeen: 0, firstCovered: Infinity });
    await wait(OTHER_WRITES_CHECK_MS + 10);
    expect(version()).toBe(seen);
    // ...until THREAD_WRITES_CHECK_MS have passed, with or without further writes.
    await wait(THREAD_WRITES_CHECK_MS);
    expect(version()).not.toBe(seen);
  });

  /** Sends by Alice to acme through the writer thread, every few milliseconds, until `stop` is called. */
  function keepSending(t: TestApp, conversationId: string) {
    let going = true;
    const sent = (async () => {
      let n = 0;
      while (going) {
        const answer = await t.call(people.alice, 'POST', `/conversations/${conversationId}/messages`, { body: `line ${n++}` });
        expect(answer.status).toBe(201);
        await wait(5);
      }
      return n;
    })();
    return async () => {
      going = false;
      return sent;
    };
  }

  it('keep the kept pages of users outside the audience of the thread’s sends', async () => {
    const t = makeTestApp({}, { writerThread: true });
    const id = (await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Fence', body: 'How high?' })).json.conversation
      .id as string;
    await t.call(people.bob, 'GET', '/conversations');
    const stop = keepSending(t, id);
    // The thread's checks cover this thread's readings from a little after it started: earlier ones wait out the bound.
    await wait(THREAD_WRITES_CHECK_MS + 3 * OTHER_WRITES_CHECK_MS);
    const bob = changeVersion(t.db, 'bob');
    const alice = changeVersion(t.db, 'alice');
    const until = performance.now() + 2.5 * THREAD_WRITES_CHECK_MS;
    while (performance.now() < until) {
      expect(changeVersion(t.db, 'bob')).toBe(bob);
      await wait(OTHER_WRITES_CHECK_MS / 4);
    }
    expect(changeVersion(t.db, 'alice')).not.toBe(alice);
    expect(await stop()).toBeGreaterThan(10);
    // Bob's kept page is still what a fresh read gives.
    expect((await t.call(people.bob, 'GET', '/conversations')).json.items).toEqual([]);
  });

  it('still expire everything at once after another program’s write the thread saw, and within THREAD_WRITES_CHECK_MS in any case', async () => {
    const t = makeTestApp({}, { writerThread: true });
    const id = (await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Fence', body: 'How high?' })).json.conversation
      .id as string;
    await t.call(people.bob, 'GET', '/conversations');
    const stop = keepSending(t, id);
    await wait(THREAD_WRITES_CHECK_MS + 3 * OTHER_WRITES_CHECK_MS);
    for (let round = 0; round < 3; round++) {
      const bob = changeVersion(t.db, 'bob');
      const other = new Database(t.config.dbFile);
      other.prepare('INSERT INTO accounts (id) VALUES (?) ON CONFLICT DO NOTHING').run(`elsewhere-${round}`);
      other.close();
      const written = performance.now();
      while (changeVersion(t.db, 'bob') === bob) {
        expect(performance.now() - written, `round ${round}`).toBeLessThan(THREAD_WRITES_CHECK_MS);
        await wait(5);
      }
      // With sends going on, the thread's next check sees it: far sooner than the bound.
      expect(performance.now() - written, `round ${round}`).toBeLessThan(THREAD_WRITES_CHECK_MS / 2);
    }
    await stop();
    // Once the thread stops writing, this thread's own reading finds a write within OTHER_WRITES_CHECK_MS.
    await wait(THREAD_WRITES_CHECK_MS + OTHER_WRITES_CHECK_MS);
    const bob = changeVersion(t.db, 'bob');
    const other = new Database(t.config.dbFile);
    other.prepare("INSERT INTO accounts (id) VALUES ('after') ON CONFLICT DO NOTHING").run();
    other.close();
    await wait(OTHER_WRITES_CHECK_MS + 10);
    expect(changeVersion(t.db, 'bob')).not.toBe(bob);
  });
});
