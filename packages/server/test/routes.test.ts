/**
 * Every route of API.md that the server has, called in-process on a real SQLite file:
 * success paths and the documented behaviour of each.
 */
import { Conversation, ConversationSummary, Me, Message } from '@secure-inbox/protocol';
import { sql } from 'drizzle-orm';
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { expectError, makeTestApp, people, postMessage, problemFields, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { execute } from '../src/store/sql.js';

const { alice, adam, bob, sam, gina, root } = people;

let t: TestApp;
beforeEach(async () => {
  t = makeTestApp();
  await signInAll(t);
});

const unread = async (user: TestUser) => {
  const me = await t.call(user, 'GET', '/me');
  expect(me.status).toBe(200);
  return me.json.unread.inbox as number;
};
const listIds = async (user: TestUser, query = '') => {
  const res = await t.call(user, 'GET', `/conversations${query}`);
  expect(res.status, res.text).toBe(200);
  return (res.json.items as { id: string }[]).map((i) => i.id);
};
const statusOf = async (id: string) => (await t.call(sam, 'GET', `/conversations/${id}`)).json.conversation.status as string;

describe('GET /me', () => {
  it('returns the caller from the token, their accounts and the unread count', async () => {
    const res = await t.call(alice, 'GET', '/me');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Me.parse(res.json)).toEqual({
      user: { id: 'alice', name: 'Alice Applicant', email: 'alice@example.com', role: 'customer' },
      accounts: [{ id: 'acme', name: 'acme' }],
      unread: { inbox: 0 },
      folders: { inbox: { total: 0, unread: 0 }, sent: { total: 0, unread: 0 }, trash: { total: 0, unread: 0 } },
    });
    expect((await t.call(adam, 'GET', '/me')).json.user.email).toBeNull();
  });

  it('lists every account for an admin', async () => {
    const res = await t.call(root, 'GET', '/me');
    expect(res.json.accounts.map((a: { id: string }) => a.id).sort()).toEqual(['acme', 'globex']);
  });
});

describe('GET /topics and topics on conversations', () => {
  it('lists the provisioned topics in order and ties a conversation to one', async () => {
    expect((await t.call(alice, 'GET', '/topics')).json).toEqual({ items: [] });
    await execute(
      t.db,
      sql`INSERT INTO topics (id, name, description, position) VALUES ('t-permits', 'Permits', 'Building permits', 2), ('t-tax', 'Taxes', 'Tax questions', 1)`,
    );
    const res = await t.call(alice, 'GET', '/topics');
    expect(res.status).toBe(200);
    expect(res.json.items).toEqual([
      { id: 't-tax', name: 'Taxes', description: 'Tax questions', accountId: null },
      { id: 't-permits', name: 'Permits', description: 'Building permits', accountId: null },
    ]);
    const conversation = await startConversation(t, alice, { topicId: 't-permits' });
    expect(conversation).toMatchObject({ topic: { id: 't-permits', name: 'Permits' } });
    const list = await t.call(alice, 'GET', '/conversations');
    expect(list.json.items[0].topic).toEqual({ id: 't-permits', name: 'Permits' });

    const unknown = await t.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 'x', body: 'y', topicId: 'nope' });
    expectError(unknown, 422, 'invalid');
    expect(problemFields(unknown)).toEqual(['topicId']);
  });

  it("offers only the topics of the caller's accounts and those of every account, and refuses another account's", async () => {
    await execute(t.db, sql`INSERT INTO accounts (id) VALUES ('acme'), ('globex') ON CONFLICT DO NOTHING`);
    await execute(
      t.db,
      sql`INSERT INTO topics (id, name, description, position, account_id) VALUES
      ('t-help', 'Portal help', '', 1, NULL), ('t-permits', 'Permits', '', 2, 'acme'), ('t-tax', 'Taxes', '', 3, 'globex')`,
    );
    const ids = async (user: TestUser, query = '') => {
      const res = await t.call(user, 'GET', `/topics${query}`);
      expect(res.status, res.text).toBe(200);
      return (res.json.items as { id: string }[]).map((i) => i.id);
    };
    expect(await ids(alice)).toEqual(['t-help', 't-permits']);
    expect(await ids(bob)).toEqual(['t-help', 't-tax']);
    expect(await ids(sam)).toEqual(['t-help', 't-permits', 't-tax']);
    expect(await ids(sam, '?accountId=globex')).toEqual(['t-help', 't-tax']);
    expect(await ids(alice, '?accountId=acme')).toEqual(['t-help', 't-permits']);
    expect(await ids(root)).toEqual(['t-help', 't-permits', 't-tax']);
    expect(await ids(root, '?accountId=acme')).toEqual(['t-help', 't-permits']);
    expect((await t.call(alice, 'GET', '/topics')).json.items[1]).toEqual({ id: 't-permits', name: 'Permits', description: '', accountId: 'acme' });

    // Another account's topics are neither listed nor usable.
    expectError(await t.call(alice, 'GET', '/topics?accountId=globex'), 403, 'forbidden');
    const bad = await t.call(alice, 'GET', '/topics?account=acme');
    expectError(bad, 422, 'invalid');
    const foreign = await t.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 'x', body: 'y', topicId: 't-tax' });
    expectError(foreign, 422, 'invalid');
    expect(problemFields(foreign)).toEqual(['topicId']);
    // Even for staff acting in both accounts: a topic belongs to its account's conversations.
    const crossed = await t.call(sam, 'POST', '/conversations', { accountId: 'acme', subject: 'x', body: 'y', topicId: 't-tax', recipientIds: ['alice'] });
    expectError(crossed, 422, 'invalid');
    expect(await startConversation(t, alice, { topicId: 't-permits' })).toMatchObject({ topic: { id: 't-permits' } });
    expect(await startConversation(t, alice, { topicId: 't-help' })).toMatchObject({ topic: { id: 't-help' } });
  });

  it('assigns a customer question to the topic default assignee', async () => {
    await execute(t.db, sql`INSERT INTO topics (id, name, default_assignee_id) VALUES ('t-permits', 'Permits', 'sam')`);
    const conversation = await startConversation(t, alice, { topicId: 't-permits' });
    expect(Conversation.parse(conversation).assigneeId).toBe('sam');
  });

  it('names who answers a question: the assignee, also to the customer, or no one (the account team)', async () => {
    await execute(t.db, sql`INSERT INTO topics (id, name, default_assignee_id) VALUES ('t-permits', 'Permits', 'sam')`);
    const routed = await startConversation(t, alice, { topicId: 't-permits' });
    const seenBy = async (user: TestUser, id: string) => Conversation.parse((await t.call(user, 'GET', `/conversations/${id}`)).json.conversation);
    expect((await seenBy(alice, routed.id)).assignee).toEqual({ id: 'sam', name: 'Sam Staff', role: 'staff' });
    // The assignee is not made a participant: the customer sees who answers without anyone being added.
    expect((await seenBy(alice, routed.id)).participants.map((p) => p.id)).toEqual(['alice']);

    const team = await startConversation(t, alice);
    expect(Conversation.parse(team).assignee).toBeNull();
    // Who answers then: the account's team, by the account's name (its id until one is provisioned).
    expect(Conversation.parse(team).accountName).toBe('acme');
    await t.call(root, 'PUT', '/accounts/acme', { name: 'Acme Bakery' });
    expect((await seenBy(alice, team.id)).accountName).toBe('Acme Bakery');
    const patched = await t.call(sam, 'PATCH', `/conversations/${team.id}`, { assigneeId: 'sam' });
    expect(Conversation.parse(patched.json.conversation).assignee).toMatchObject({ id: 'sam', name: 'Sam Staff' });
    expect((await seenBy(alice, team.id)).assignee).toMatchObject({ id: 'sam', name: 'Sam Staff' });
    await t.call(sam, 'PATCH', `/conversations/${team.id}`, { assigneeId: null });
    expect((await seenBy(alice, team.id)).assignee).toBeNull();
  });
});

describe('support: a kind of staff named in the token', () => {
  const support = { ...sam, sub: 'sid', name: 'Sid Support', staffKind: 'support' } as TestUser;

  it('carries staffKind on the author in threads, lists, participants and the directory', async () => {
    const c = await startConversation(t, alice);
    const answer = await postMessage(t, support, c.id, { body: 'Try another browser.', action: 'send_leave_open' });
    expect(Message.parse(answer).author).toEqual({ id: 'sid', name: 'Sid Support', role: 'staff', staffKind: 'support' });

    const thread = await t.call(alice, 'GET', `/conversations/${c.id}`);
    const [question, reply] = thread.json.messages.map((m: unknown) => Message.parse(m));
    expect(reply!.author.staffKind).toBe('support');
    // Other people carry no staffKind at all.
    expect(question!.author).toEqual({ id: 'alice', name: 'Alice Applicant', role: 'customer' });
    expect(Conversation.parse(thread.json.conversation).participants.find((p) => p.id === 'sid')?.staffKind).toBe('support');

    const list = await t.call(alice, 'GET', '/conversations');
    const summary = ConversationSummary.parse(list.json.items[0]);
    expect(summary.lastMessage).toMatchObject({ authorName: 'Sid Support', authorRole: 'staff', authorStaffKind: 'support' });

    const directory = await t.call(alice, 'GET', '/directory?accountId=acme');
    expect(directory.json.items.find((p: { id: string }) => p.id === 'sid')).toEqual({ id: 'sid', name: 'Sid Support', role: 'staff', staffKind: 'support' });

    // A later token without the claim makes them plain staff again.
    await t.call({ ...support, staffKind: undefined } as TestUser, 'GET', '/me');
    const again = await t.call(alice, 'GET', `/conversations/${c.id}`);
    expect(again.json.messages[1].author).toEqual({ id: 'sid', name: 'Sid Support', role: 'staff' });
  });

  it('refuses the claim for customers, and unknown kinds, with 401 naming it', async () => {
    const customer = await t.call({ ...alice, staffKind: 'support' } as TestUser, 'GET', '/me');
    expectError(customer, 401, 'unauthorized');
    expect(customer.json.error.message).toContain('staffKind');
    const unknown = await t.call({ ...sam, staffKind: 'wizard' } as TestUser, 'GET', '/me');
    expectError(unknown, 401, 'unauthorized');
    expect(unknown.json.error.message).toContain('staffKind');
  });
});

describe('POST /conversations', () => {
  it("starts a customer's question open, with context, visible to the account's staff", async () => {
    const res = await t.call(alice, 'POST', '/conversations', {
      accountId: 'acme',
      subject: 'Permit question',
      body: '<p>When?</p>',
      context: { kind: 'permit', ref: 'BP-1', title: 'Building permit', url: 'https://city.example/permits/BP-1' },
    });
    expect(res.status).toBe(201);
    const c = Conversation.parse(res.json.conversation);
    expect(c).toMatchObject({
      status: 'open',
      accountId: 'acme',
      subject: 'Permit question',
      assigneeId: null,
      topic: null,
      context: { kind: 'permit', ref: 'BP-1', title: 'Building permit', url: 'https://city.example/permits/BP-1' },
      participants: [{ id: 'alice', name: 'Alice Applicant', role: 'customer' }],
    });
    expect(await listIds(sam)).toEqual([c.id]);
    expect(await listIds(root)).toEqual([c.id]);
    expect(await listIds(gina)).toEqual([]);
    expect(await listIds(adam)).toEqual([]);
    expect(await listIds(bob)).toEqual([]);
  });

  it('starts a staff conversation attentive, with the named recipients as participants', async () => {
    const res = await t.call(sam, 'POST', '/conversations', { accountId: 'acme', subject: 'Your permit', body: 'Ready', recipientIds: ['alice', 'adam'] });
    expect(res.status).toBe(201);
    expect(res.json.conversation.status).toBe('attentive');
    expect(res.json.conversation.participants.map((p: { id: string }) => p.id).sort()).toEqual(['adam', 'alice', 'sam']);
    expect(await listIds(alice)).toEqual([res.json.conversation.id]);
    expect(await listIds(adam)).toEqual([res.json.conversation.id]);
    expect(await unread(alice)).toBe(1);
  });

  it('lets a customer address a co-owner of the same account but not another client', async () => {
    const ok = await t.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b', recipientIds: ['adam'] });
    expect(ok.status).toBe(201);
    expect(await listIds(adam)).toEqual([ok.json.conversation.id]);
    const foreign = await t.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b', recipientIds: ['bob'] });
    expectError(foreign, 422, 'invalid');
    expect(problemFields(foreign)).toEqual(['recipientIds']);
    expect(foreign.json.error.message).toContain('bob');
    expect(await listIds(bob)).toEqual([]);
  });

  it('requires staff to name recipients, all of them in the account', async () => {
    const none = await t.call(sam, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b' });
    expectError(none, 422, 'invalid');
    expect(problemFields(none)).toEqual(['recipientIds']);

    // Sam acts in acme and globex, but a conversation of acme cannot reach globex's client.
    const crossClient = await t.call(sam, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b', recipientIds: ['alice', 'bob'] });
    expectError(crossClient, 422, 'invalid');
    expect(problemFields(crossClient)).toEqual(['recipientIds']);
    expect(crossClient.json.error.message).toContain('bob');
    expect(await listIds(bob)).toEqual([]);
    expect(await listIds(alice)).toEqual([]);

    const unknownUser = await t.call(sam, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b', recipientIds: ['nobody'] });
    expectError(unknownUser, 422, 'invalid');
  });

  it('refuses an account outside the claims with 403', async () => {
    expectError(await t.call(alice, 'POST', '/conversations', { accountId: 'globex', subject: 's', body: 'b' }), 403, 'forbidden');
    expectError(await t.call(gina, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b', recipientIds: ['alice'] }), 403, 'forbidden');
    expect(await listIds(sam)).toEqual([]);
  });

  it('lets an admin start a conversation in any account', async () => {
    const res = await t.call(root, 'POST', '/conversations', { accountId: 'globex', subject: 's', body: 'b', recipientIds: ['bob'] });
    expect(res.status).toBe(201);
    expect(res.json.conversation.status).toBe('attentive');
    expect(await listIds(bob)).toEqual([res.json.conversation.id]);
  });
});

describe('validation', () => {
  it('answers 400 for JSON that does not parse', async () => {
    for (const raw of ['{', '{"subject":', 'not json', '', "{'a':1}"]) {
      const res = await t.call(alice, 'POST', '/conversations', raw);
      expectError(res, 400, 'bad_request');
    }
  });

  it('answers 415 for a body that is not JSON', async () => {
    const body = JSON.stringify({ accountId: 'acme', subject: 's', body: 'b' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
      expectError(await t.call(alice, 'POST', '/conversations', body, { 'content-type': type }), 415, 'unsupported_type');
    }
    // application/json with a charset is JSON.
    expect((await t.call(alice, 'POST', '/conversations', body, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
  });

  it('answers 422 naming the field for bad and unknown fields', async () => {
    const base = { accountId: 'acme', subject: 'Subject', body: 'Body' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, subject: 'x'.repeat(201) }, 'subject'],
      [{ ...base, subject: '' }, 'subject'],
      [{ ...base, subject: '   ' }, 'subject'],
      [{ ...base, body: '' }, 'body'],
      [{ ...base, body: 'x'.repeat(20001) }, 'body'],
      [{ ...base, foo: 1 }, 'foo'],
      [{ ...base, context: { kind: 'permit', ref: 'BP-1', url: 'javascript:alert(1)' } }, 'context.url'],
      [{ ...base, context: { kind: 'permit', ref: 'BP-1', url: 'ftp://example.com/x' } }, 'context.url'],
      [{ ...base, context: { kind: 'permit', ref: 'BP-1', extra: 'x' } }, 'context.extra'],
      [{ ...base, context: { kind: 'permit' } }, 'context.ref'],
      [{ ...base, recipientIds: 'adam' }, 'recipientIds'],
      [{ ...base, accountId: 7 }, 'accountId'],
      [{ subject: 'x', body: 'y' }, 'accountId'],
    ];
    for (const [body, field] of cases) {
      const res = await t.call(alice, 'POST', '/conversations', body);
      expectError(res, 422, 'invalid');
      expect(problemFields(res), JSON.stringify(body).slice(0, 80)).toContain(field);
      expect(res.json.error.message).toContain(field);
    }
    for (const body of [[], 'string', 42, null]) {
      expectError(await t.call(alice, 'POST', '/conversations', JSON.stringify(body)), 422, 'invalid');
    }
    expect(await listIds(alice)).toEqual([]);
  });

  it('names unknown query parameters, including prototype keys', async () => {
    for (const key of ['foo', 'constructor', '__proto__', 'toString']) {
      const res = await t.call(alice, 'GET', `/conversations?${key}=x`);
      expectError(res, 422, 'invalid');
      expect(problemFields(res)).toEqual([key]);
    }
    const repeated = await t.call(alice, 'GET', '/conversations?folder=inbox&folder=trash');
    expectError(repeated, 422, 'invalid');
    expect(problemFields(repeated)).toEqual(['folder']);
    expectError(await t.call(alice, 'GET', '/conversations?folder=spam'), 422, 'invalid');
    expectError(await t.call(alice, 'GET', '/conversations?unread=yes'), 422, 'invalid');
    expectError(await t.call(alice, 'GET', '/conversations?status=closed'), 422, 'invalid');
  });

  it('refuses a tip from a customer with 403 rather than dropping it', async () => {
    const c = await startConversation(t, alice);
    const res = await t.call(alice, 'POST', `/conversations/${c.id}/messages`, { body: 'hi', tip: 'psst' });
    expectError(res, 403, 'forbidden');
    expect((await t.call(alice, 'GET', `/conversations/${c.id}`)).json.messages).toHaveLength(1);
  });
});

describe('rich text and plain text', () => {
  it('sanitizes message bodies on write and keeps safe formatting', async () => {
    const dirty =
      '<p>Hi <strong>there</strong> <a href="https://example.com/x">link</a></p>' +
      '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">bad</a>' +
      '<p onclick="alert(4)" style="color:red">para</p><iframe src="https://evil.example"></iframe>';
    const c = await startConversation(t, alice, { body: dirty });
    const { messages } = (await t.call(sam, 'GET', `/conversations/${c.id}`)).json;
    const body: string = messages[0].body;
    for (const bad of ['<script', 'alert(1)', 'onerror', 'javascript:', 'onclick', 'style=', '<iframe', '<img']) expect(body).not.toContain(bad);
    expect(body).toContain('<strong>there</strong>');
    expect(body).toMatch(/<a href="https:\/\/example\.com\/x"[^>]*>link<\/a>/);
    const safeLink = body.match(/<a href="https:\/\/example\.com\/x"[^>]*>/)![0];
    expect(safeLink).toContain('rel="noopener noreferrer nofollow"');
    expect(body).toContain('para');

    const reply = await postMessage(t, sam, c.id, { body: '<em>ok</em><svg onload="alert(1)"></svg>', action: 'send' });
    expect(reply.body).toBe('<em>ok</em>');
  });

  it('refuses a body nested deeper than 64 elements with 422 naming the bound, at once, and keeps serving others', async () => {
    const c = await startConversation(t, alice);
    for (const body of ['<b>'.repeat(6666), '<div>'.repeat(3999), `${'<blockquote>'.repeat(65)}deep`]) {
      for (const [path, payload] of [
        ['/conversations', { accountId: 'acme', subject: 'Deep', body }],
        [`/conversations/${c.id}/messages`, { body }],
      ] as const) {
        const started = performance.now();
        const res = await t.call(alice, 'POST', path, payload);
        expect(performance.now() - started, body.slice(0, 20)).toBeLessThan(1000);
        expectError(res, 422, 'invalid');
        expect(problemFields(res)).toEqual(['body']);
        expect(res.json.error.message).toContain('64');
        expect(res.json.error.details[0].message).toContain('64');
      }
    }
    expect((await t.call(sam, 'GET', '/me')).status).toBe(200);
    // 64 levels are fine.
    const deep = await postMessage(t, alice, c.id, { body: `${'<blockquote>'.repeat(64)}deep` });
    expect(deep.body).toBe(`${'<blockquote>'.repeat(64)}deep${'</blockquote>'.repeat(64)}`);
  });

  it('stores a body padded with 19,990 spaces as sent, with its text (cost: sanitizer.test.ts)', async () => {
    const c = await startConversation(t, alice);
    const message = await postMessage(t, alice, c.id, { body: `<p>a${' '.repeat(19990)}b</p>` });
    expect(message.body).toBe(`<p>a${' '.repeat(19990)}b</p>`);
    const summary = (await t.call(sam, 'GET', '/conversations')).json.items.find((item: { id: string }) => item.id === c.id);
    expect(summary.lastMessage.preview).toBe('a b');
  });

  it('refuses a body with nothing left after sanitizing', async () => {
    const res = await t.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: '<script>alert(1)</script>' });
    expectError(res, 422, 'invalid');
    expect(problemFields(res)).toEqual(['body']);
  });

  it('keeps the subject as plain text, exactly as written', async () => {
    const subject = '<b>Fees</b> & "charges" <script>x</script>';
    const c = await startConversation(t, alice, { subject });
    expect(c.subject).toBe(subject);
    expect((await t.call(sam, 'GET', `/conversations/${c.id}`)).json.conversation.subject).toBe(subject);
    expect((await t.call(sam, 'GET', '/conversations')).json.items[0].subject).toBe(subject);
    // Control characters and bidi overrides are removed.
    const odd = await startConversation(t, alice, { subject: 'Pay\u202Egnp.exe\u0007 now' });
    expect(odd.subject).toBe('Paygnp.exe now');
  });
});

describe('POST /conversations/:id/messages: the six actions', () => {
  it('answers each new message exactly as the author then reads it in the thread', async () => {
    const c = await startConversation(t, alice);
    const uploadFor = async (user: TestUser, text: string, name: string) => {
      const form = new FormData();
      form.append('file', new Blob([text], { type: 'text/plain' }), name);
      const res = await t.app.request('/api/v1/attachments', { method: 'POST', headers: { authorization: `Bearer ${await t.token(user)}` }, body: form });
      expect(res.status).toBe(201);
      return ((await res.json()) as { attachment: { id: string } }).attachment.id;
    };
    const first = (await t.call(alice, 'GET', `/conversations/${c.id}`)).json.messages[0].id as string;
    const posts: [TestUser, Record<string, unknown>][] = [
      [alice, { body: '<p>plain <b>reply</b></p>' }],
      [alice, { body: '<p>with files</p>', attachmentIds: [await uploadFor(alice, 'one', 'b.txt'), await uploadFor(alice, 'two', 'a.txt')] }],
      [alice, { body: '<p>quoting</p>', replyToId: first }],
      [sam, { body: '<p>sent</p>', action: 'send', tip: '  Check   the form ' }],
      [sam, { body: '<p>left open</p>', action: 'send_leave_open', tip: 'Line one\nline two' }],
      [sam, { body: '<p>hidden</p><script>alert(1)</script>', action: 'internal_note', replyToId: first }],
      [sam, { body: 'a status', action: 'status_update' }],
      [root, { body: '<p>resolved <a href="https://example.com">here</a></p>', action: 'resolve', notifyAdmins: true }],
    ];
    for (const [who, body] of posts) {
      const res = await t.call(who, 'POST', `/conversations/${c.id}/messages`, body);
      expect(res.status, res.text).toBe(201);
      const thread = await t.call(who, 'GET', `/conversations/${c.id}`);
      const read = (thread.json.messages as { id: string }[]).find((m) => m.id === res.json.message.id);
      expect(res.json.message, JSON.stringify(body)).toEqual(read);
      expect(JSON.stringify(res.json.message)).toBe(JSON.stringify(read));
    }
  });

  it('creates the documented kinds and statuses', async () => {
    const c = await startConversation(t, alice);
    expect(c.status).toBe('open');

    const steps: { who: TestUser; action?: string; kind: string; doNotReply: boolean; status: string }[] = [
      { who: sam, action: 'send', kind: 'resolve_note', doNotReply: false, status: 'answered' },
      { who: alice, kind: 'message', doNotReply: false, status: 'open' },
      { who: sam, action: 'send_leave_open', kind: 'public_note', doNotReply: false, status: 'open' },
      { who: sam, action: 'internal_note', kind: 'internal_note', doNotReply: true, status: 'open' },
      { who: sam, action: 'status_update', kind: 'status_update', doNotReply: false, status: 'open' },
      { who: sam, action: 'reply', kind: 'message', doNotReply: false, status: 'open' },
      { who: sam, action: 'resolve', kind: 'resolve_note', doNotReply: true, status: 'resolved' },
      { who: sam, action: 'reply', kind: 'message', doNotReply: false, status: 'resolved' },
      { who: alice, action: 'reply', kind: 'message', doNotReply: false, status: 'open' },
      { who: root, action: 'send', kind: 'resolve_note', doNotReply: false, status: 'answered' },
      { who: sam, action: 'send_leave_open', kind: 'public_note', doNotReply: false, status: 'answered' },
      { who: sam, action: 'internal_note', kind: 'internal_note', doNotReply: true, status: 'answered' },
      { who: sam, action: 'status_update', kind: 'status_update', doNotReply: false, status: 'answered' },
      { who: root, action: 'resolve', kind: 'resolve_note', doNotReply: true, status: 'resolved' },
    ];
    const ids: string[] = [];
    for (const [i, step] of steps.entries()) {
      const res = await t.call(step.who, 'POST', `/conversations/${c.id}/messages`, { body: `step ${i}`, ...(step.action ? { action: step.action } : {}) });
      expect(res.status, `step ${i}: ${res.text}`).toBe(201);
      const message = Message.parse(res.json.message);
      expect(message).toMatchObject({ kind: step.kind, doNotReply: step.doNotReply, conversationId: c.id, author: { id: step.who.sub } });
      expect(message.properties.doNotReply).toBe(step.doNotReply);
      expect(await statusOf(c.id), `status after step ${i}`).toBe(step.status);
      ids.push(message.id);
    }
    const staff = (await t.call(sam, 'GET', `/conversations/${c.id}`)).json;
    expect(staff.messages).toHaveLength(steps.length + 1);
    expect(staff.messages.slice(1).map((m: { id: string }) => m.id)).toEqual(ids);
    const customer = (await t.call(alice, 'GET', `/conversations/${c.id}`)).json;
    expect(customer.conversation.status).toBe('resolved');
    expect(customer.messages.slice(1).map((m: { id: string }) => m.id)).toEqual(ids.filter((_, i) => !steps[i]!.doNotReply));
  });

  it('keeps an attentive staff conversation attentive on a staff reply and opens it on a customer reply', async () => {
    const c = await startConversation(t, sam);
    expect(c.status).toBe('attentive');
    await postMessage(t, sam, c.id, { body: 'one more thing' });
    expect(await statusOf(c.id)).toBe('attentive');
    await postMessage(t, alice, c.id, { body: 'thanks' });
    expect(await statusOf(c.id)).toBe('open');
  });

  it('refuses every staff action to a customer with 403 and changes nothing', async () => {
    const c = await startConversation(t, alice);
    for (const action of ['send', 'send_leave_open', 'resolve', 'internal_note', 'status_update']) {
      const res = await t.call(alice, 'POST', `/conversations/${c.id}/messages`, { body: 'x', action });
      expectError(res, 403, 'forbidden');
      expect(res.json.error.message).toContain(action);
    }
    expectError(await t.call(alice, 'POST', `/conversations/${c.id}/messages`, { body: 'x', action: 'reply', tip: 't' }), 403, 'forbidden');
    const thread = (await t.call(sam, 'GET', `/conversations/${c.id}`)).json;
    expect(thread.messages).toHaveLength(1);
    expect(thread.conversation.status).toBe('open');
  });

  it('stores a staff tip as plain text and shows it to the customer', async () => {
    const c = await startConversation(t, alice);
    const sent = await postMessage(t, sam, c.id, { body: 'See the form', action: 'send', tip: 'Page 2, box <b>4</b>' });
    expect(sent.tip).toBe('Page 2, box <b>4</b>');
    const thread = (await t.call(alice, 'GET', `/conversations/${c.id}`)).json;
    expect(thread.messages[1].tip).toBe('Page 2, box <b>4</b>');
    expect(thread.messages[0].tip).toBeNull();
  });

  it('rejects an unknown action and bad bodies with 422', async () => {
    const c = await startConversation(t, alice);
    for (const body of [{ body: 'x', action: 'delete' }, { body: '' }, { text: 'x' }, { body: 'x', attachmentIds: 'a' }]) {
      expectError(await t.call(sam, 'POST', `/conversations/${c.id}/messages`, body), 422, 'invalid');
    }
  });

  it('lets a staff member who only sees the conversation through the account answer it', async () => {
    const c = await startConversation(t, bob);
    await postMessage(t, gina, c.id, { body: 'On it', action: 'send' });
    expect((await t.call(bob, 'GET', `/conversations/${c.id}`)).json.conversation.status).toBe('answered');
    expect((await t.call(gina, 'GET', `/conversations/${c.id}`)).json.conversation.participants.map((p: { id: string }) => p.id)).toEqual(['bob', 'gina']);
  });
});

describe('per-user state and folders', () => {
  it('brings a trashed conversation back to the Inbox, unread, when a message its owner may see arrives', async () => {
    const c = await startConversation(t, sam, { recipientIds: ['alice'] });
    await t.call(alice, 'POST', `/conversations/${c.id}/read`);
    await t.call(sam, 'POST', `/conversations/${c.id}/trash`);
    expect((await t.call(alice, 'POST', `/conversations/${c.id}/trash`)).status).toBe(204);
    // Kept pages and counts as the widget last asked for them.
    expect(await listIds(alice)).toEqual([]);
    expect(await listIds(alice, '?unread=true')).toEqual([]);
    expect(await unread(alice)).toBe(0);

    await postMessage(t, sam, c.id, { body: 'Your permit is ready' });
    expect(await listIds(alice)).toEqual([c.id]);
    expect(await listIds(alice, '?unread=true')).toEqual([c.id]);
    expect(await listIds(alice, '?folder=trash')).toEqual([]);
    expect(await unread(alice)).toBe(1);
    const me = (await t.call(alice, 'GET', '/me')).json;
    expect(me.folders.inbox).toEqual({ total: 1, unread: 1 });
    expect(me.folders.trash).toEqual({ total: 0, unread: 0 });
    const [summary] = (await t.call(alice, 'GET', '/conversations')).json.items as ConversationSummary[];
    expect(summary!.unreadCount).toBe(1);
    // The author's own Trash is theirs: writing does not undo it.
    expect(await listIds(sam, '?folder=trash')).toEqual([c.id]);

    // Staff see hidden notes, so one brings the conversation back for a staff member too.
    await t.call(gina, 'GET', '/me');
    const g = await startConversation(t, bob, {});
    await t.call(gina, 'POST', `/conversations/${g.id}/trash`);
    await t.call(bob, 'POST', `/conversations/${g.id}/trash`);
    await postMessage(t, sam, g.id, { body: 'note', action: 'internal_note' });
    expect(await listIds(gina)).toContain(g.id);
    expect(await listIds(bob, '?folder=trash')).toEqual([g.id]);
  });

  it('read, unread, trash, restore and leave move the conversation between folders and counts', async () => {
    const c = await startConversation(t, sam, { recipientIds: ['alice', 'adam'] });
    expect(await unread(alice)).toBe(1);
    expect(await listIds(alice)).toEqual([c.id]);
    expect(await listIds(alice, '?folder=sent')).toEqual([]);
    expect(await listIds(sam, '?folder=sent')).toEqual([c.id]);

    // GET never changes state.
    await t.call(alice, 'GET', `/conversations/${c.id}`);
    expect(await unread(alice)).toBe(1);

    expect((await t.call(alice, 'POST', `/conversations/${c.id}/read`)).status).toBe(204);
    expect(await unread(alice)).toBe(0);
    expect((await t.call(alice, 'GET', '/conversations')).json.items[0].unreadCount).toBe(0);
    expect(await listIds(alice, '?unread=true')).toEqual([]);

    const marked = await t.call(alice, 'POST', `/conversations/${c.id}/unread`);
    expect(marked.status).toBe(204);
    expect(marked.text).toBe('');
    expect(await unread(alice)).toBe(1);
    expect((await t.call(alice, 'GET', '/conversations')).json.items[0].unreadCount).toBe(1);
    expect(await listIds(alice, '?unread=true')).toEqual([c.id]);
    await t.call(alice, 'GET', `/conversations/${c.id}`);
    expect(await unread(alice)).toBe(1);
    await t.call(alice, 'POST', `/conversations/${c.id}/read`);
    expect(await unread(alice)).toBe(0);

    await postMessage(t, alice, c.id, { body: 'answer' });
    expect(await listIds(alice, '?folder=sent')).toEqual([c.id]);
    expect(await unread(alice)).toBe(0);

    expect((await t.call(alice, 'POST', `/conversations/${c.id}/trash`)).status).toBe(204);
    expect(await listIds(alice)).toEqual([]);
    expect(await listIds(alice, '?folder=sent')).toEqual([]);
    expect(await listIds(alice, '?folder=trash')).toEqual([c.id]);
    // Trash is per user.
    expect(await listIds(adam)).toEqual([c.id]);
    expect(await listIds(sam)).toEqual([c.id]);
    // A hidden note does not reach a customer, so it leaves their Trash as it is.
    await postMessage(t, sam, c.id, { body: 'internal', action: 'internal_note' });
    expect(await listIds(alice, '?folder=trash')).toEqual([c.id]);
    expect(await unread(alice)).toBe(0);

    expect((await t.call(alice, 'POST', `/conversations/${c.id}/restore`)).status).toBe(204);
    expect(await listIds(alice)).toEqual([c.id]);
    expect(await listIds(alice, '?folder=sent')).toEqual([c.id]);
    expect(await listIds(alice, '?folder=trash')).toEqual([]);
    expect(await unread(alice)).toBe(0);

    expect((await t.call(alice, 'POST', `/conversations/${c.id}/leave`)).status).toBe(204);
    for (const folder of ['inbox', 'sent', 'trash']) expect(await listIds(alice, `?folder=${folder}`)).toEqual([]);
    expect(await unread(alice)).toBe(0);
    expectError(await t.call(alice, 'GET', `/conversations/${c.id}`), 404, 'not_found');
    expectError(await t.call(alice, 'POST', `/conversations/${c.id}/read`), 404, 'not_found');
    const view = (await t.call(sam, 'GET', `/conversations/${c.id}`)).json.conversation;
    expect(view.participants.map((p: { id: string }) => p.id).sort()).toEqual(['adam', 'sam']);
  });

  it('lets staff leave a conversation of their account: it leaves their folders but stays reachable', async () => {
    const c = await startConversation(t, alice);
    await postMessage(t, sam, c.id, { body: 'ok', action: 'send' });
    expect(await listIds(sam, '?folder=sent')).toEqual([c.id]);
    expect((await t.call(sam, 'POST', `/conversations/${c.id}/leave`)).status).toBe(204);
    expect(await listIds(sam)).toEqual([]);
    expect(await listIds(sam, '?folder=sent')).toEqual([]);
    expect((await t.call(sam, 'GET', `/conversations/${c.id}`)).status).toBe(200);

    // Writing again brings it back to their folders; a hidden note does not make them a participant.
    const participantsSeenBy = async (user: TestUser) =>
      (await t.call(user, 'GET', `/conversations/${c.id}`)).json.conversation.participants.map((p: { id: string }) => p.id).sort();
    await postMessage(t, sam, c.id, { body: 'note', action: 'internal_note' });
    expect(await listIds(sam)).toEqual([c.id]);
    expect(await participantsSeenBy(alice)).toEqual(['alice']);
    await postMessage(t, sam, c.id, { body: 'back', action: 'send' });
    expect(await listIds(sam, '?folder=sent')).toEqual([c.id]);
    expect(await listIds(sam)).toEqual([c.id]);
    expect(await participantsSeenBy(alice)).toEqual(['alice', 'sam']);
  });

  it('shows the others who left and when, customers only what happened since they joined', async () => {
    const c = await startConversation(t, sam, { recipientIds: ['alice', 'adam'] });
    const departuresSeenBy = async (user: TestUser) => {
      const res = await t.call(user, 'GET', `/conversations/${c.id}`);
      expect(res.status, res.text).toBe(200);
      return Conversation.parse(res.json.conversation).departures.map((d) => d.user.name);
    };
    expect(await departuresSeenBy(alice)).toEqual([]);
    expect((await t.call(adam, 'POST', `/conversations/${c.id}/leave`)).status).toBe(204);
    expect(await departuresSeenBy(alice)).toEqual(['Adam Co-owner']);
    expect(await departuresSeenBy(sam)).toEqual(['Adam Co-owner']);
    const [departure] = Conversation.parse((await t.call(sam, 'GET', `/conversations/${c.id}`)).json.conversation).departures;
    expect(departure).toMatchObject({ user: { id: 'adam', name: 'Adam Co-owner', role: 'customer' } });
    expect(Date.parse(departure!.at)).toBeGreaterThan(Date.now() - 60_000);
    // The one who left gets the same 404 as for any conversation they cannot see.
    expectError(await t.call(adam, 'GET', `/conversations/${c.id}`), 404, 'not_found');

    // An admin who only looked at it leaves no trace: they never were a participant.
    expect((await t.call(root, 'POST', `/conversations/${c.id}/leave`)).status).toBe(204);
    expect(await departuresSeenBy(sam)).toEqual(['Adam Co-owner']);

    // Added again later, a customer sees departures from then on, not the one before they rejoined.
    expect((await t.call(alice, 'POST', `/conversations/${c.id}/leave`)).status).toBe(204);
    await execute(t.db, sql`UPDATE departures SET at = '2000-01-01T00:00:00.000Z'`);
    await execute(t.db, sql`UPDATE conversation_users SET joined_at = '2001-01-01T00:00:00.000Z' WHERE user_id = 'adam'`);
    await t.call(sam, 'POST', `/conversations/${c.id}/participants`, { userIds: ['adam'] });
    expect(await departuresSeenBy(adam)).toEqual([]);
    expect(await departuresSeenBy(sam)).toEqual(['Adam Co-owner', 'Alice Applicant']);
  });

  it('counts unread conversations in /me and messages in summaries, never hidden notes for customers', async () => {
    const c = await startConversation(t, alice);
    expect(await unread(alice)).toBe(0); // her own message
    expect(await unread(sam)).toBe(1);
    expect(await unread(gina)).toBe(0);

    await postMessage(t, sam, c.id, { body: 'hidden', action: 'internal_note' });
    await postMessage(t, root, c.id, { body: 'hidden 2', action: 'internal_note' });
    expect(await unread(alice)).toBe(0);
    expect((await t.call(alice, 'GET', '/conversations')).json.items[0].unreadCount).toBe(0);
    expect(await listIds(alice, '?unread=true')).toEqual([]);
    // Staff count the admin's note (their own message marks everything before it read).
    expect((await t.call(sam, 'GET', '/conversations')).json.items[0].unreadCount).toBe(1);

    await postMessage(t, sam, c.id, { body: 'one', action: 'send_leave_open' });
    await postMessage(t, sam, c.id, { body: 'two', action: 'send' });
    await postMessage(t, sam, c.id, { body: 'closing', action: 'resolve' });
    expect(await unread(alice)).toBe(1);
    const summary = ConversationSummary.parse((await t.call(alice, 'GET', '/conversations')).json.items[0]);
    expect(summary.unreadCount).toBe(2);
    expect(summary.lastMessage.preview).toBe('two');

    await t.call(alice, 'POST', `/conversations/${c.id}/read`);
    expect(await unread(alice)).toBe(0);
    await postMessage(t, sam, c.id, { body: 'after read', action: 'internal_note' });
    expect(await unread(alice)).toBe(0);
  });

  it('answers 404 for every change on an unknown conversation', async () => {
    for (const change of ['read', 'unread', 'trash', 'restore', 'leave']) {
      expectError(await t.call(alice, 'POST', `/conversations/c_nope/${change}`), 404, 'not_found');
    }
  });
});

describe('POST /conversations/:id/participants', () => {
  it('adds users of the account, and refuses anyone else with 422', async () => {
    const c = await startConversation(t, alice);
    expect(await listIds(adam)).toEqual([]);
    const res = await t.call(alice, 'POST', `/conversations/${c.id}/participants`, { userIds: ['adam'] });
    expect(res.status).toBe(200);
    expect(Conversation.parse(res.json.conversation).participants.map((p) => p.id)).toEqual(['alice', 'adam']);
    expect(await listIds(adam)).toEqual([c.id]);

    const foreign = await t.call(sam, 'POST', `/conversations/${c.id}/participants`, { userIds: ['bob'] });
    expectError(foreign, 422, 'invalid');
    expect(problemFields(foreign)).toEqual(['userIds']);
    expectError(await t.call(sam, 'POST', `/conversations/${c.id}/participants`, { userIds: ['ghost'] }), 422, 'invalid');
    expect(await listIds(bob)).toEqual([]);

    const staff = await t.call(sam, 'POST', `/conversations/${c.id}/participants`, { userIds: ['sam'] });
    expect(staff.json.conversation.participants.map((p: { id: string }) => p.id)).toEqual(['alice', 'adam', 'sam']);
    expectError(await t.call(alice, 'POST', `/conversations/${c.id}/participants`, { userIds: [] }), 422, 'invalid');
    expectError(await t.call(alice, 'POST', `/conversations/${c.id}/participants`, { users: ['adam'] }), 422, 'invalid');
  });
});

describe('PATCH /conversations/:id', () => {
  it('lets staff and admins change status and assignee, not customers', async () => {
    const c = await startConversation(t, alice);
    const res = await t.call(sam, 'PATCH', `/conversations/${c.id}`, { status: 'resolved', assigneeId: 'sam' });
    expect(res.status).toBe(200);
    expect(Conversation.parse(res.json.conversation)).toMatchObject({ status: 'resolved', assigneeId: 'sam' });
    expect((await t.call(alice, 'GET', `/conversations/${c.id}`)).json.conversation).toMatchObject({ status: 'resolved', assigneeId: 'sam' });

    const admin = await t.call(root, 'PATCH', `/conversations/${c.id}`, { assigneeId: null });
    expect(admin.json.conversation).toMatchObject({ status: 'resolved', assigneeId: null });

    const customer = await t.call(alice, 'PATCH', `/conversations/${c.id}`, { status: 'open' });
    expectError(customer, 403, 'forbidden');
    expect(await statusOf(c.id)).toBe('resolved');

    const notStaff = await t.call(sam, 'PATCH', `/conversations/${c.id}`, { assigneeId: 'adam' });
    expectError(notStaff, 422, 'invalid');
    expect(problemFields(notStaff)).toEqual(['assigneeId']);
    expectError(await t.call(sam, 'PATCH', `/conversations/${c.id}`, { assigneeId: 'gina' }), 422, 'invalid');
    expectError(await t.call(sam, 'PATCH', `/conversations/${c.id}`, {}), 422, 'invalid');
    expectError(await t.call(sam, 'PATCH', `/conversations/${c.id}`, { status: 'closed' }), 422, 'invalid');
    expectError(await t.call(sam, 'PATCH', `/conversations/${c.id}`, { status: 'open', subject: 'x' }), 422, 'invalid');
  });

  it('filters staff lists by assignee and status', async () => {
    const a = await startConversation(t, alice);
    const b = await startConversation(t, alice);
    await t.call(sam, 'PATCH', `/conversations/${a.id}`, { assigneeId: 'sam' });
    expect(await listIds(sam, '?assignee=me')).toEqual([a.id]);
    expect(await listIds(sam, '?assignee=none')).toEqual([b.id]);
    await t.call(sam, 'PATCH', `/conversations/${b.id}`, { status: 'answered' });
    expect(await listIds(sam, '?status=answered')).toEqual([b.id]);
    expect(await listIds(sam, '?status=open')).toEqual([a.id]);
    expectError(await t.call(alice, 'GET', '/conversations?assignee=me'), 403, 'forbidden');
  });
});

describe('GET /directory', () => {
  it('lists the people of an account the caller acts in', async () => {
    const res = await t.call(alice, 'GET', '/directory?accountId=acme');
    expect(res.status).toBe(200);
    expect(res.json.items).toEqual([
      { id: 'adam', name: 'Adam Co-owner', role: 'customer' },
      { id: 'sam', name: 'Sam Staff', role: 'staff' },
    ]);
    expect((await t.call(sam, 'GET', '/directory?accountId=globex')).json.items.map((u: { id: string }) => u.id)).toEqual(['bob', 'gina']);
    expect((await t.call(root, 'GET', '/directory?accountId=globex')).status).toBe(200);
    expectError(await t.call(alice, 'GET', '/directory?accountId=globex'), 403, 'forbidden');
    expectError(await t.call(gina, 'GET', '/directory?accountId=acme'), 403, 'forbidden');
    const missing = await t.call(alice, 'GET', '/directory');
    expectError(missing, 422, 'invalid');
    expect(problemFields(missing)).toEqual(['accountId']);
  });
});

describe('GET /status-updates', () => {
  it("lists the account's status updates, newest first, for its members", async () => {
    const c = await startConversation(t, alice);
    await postMessage(t, sam, c.id, { body: 'Office closed Friday', action: 'status_update' });
    await postMessage(t, sam, c.id, { body: 'Not a status update', action: 'send_leave_open' });
    await postMessage(t, sam, c.id, { body: 'Office open again', action: 'status_update' });
    const res = await t.call(alice, 'GET', '/status-updates?accountId=acme');
    expect(res.status).toBe(200);
    expect(res.json.items.map((m: { body: string }) => m.body)).toEqual(['Office open again', 'Office closed Friday']);
    for (const item of res.json.items) expect(Message.parse(item).kind).toBe('status_update');
    expect((await t.call(adam, 'GET', '/status-updates?accountId=acme')).json.items).toHaveLength(2);
    expect((await t.call(sam, 'GET', '/status-updates?accountId=globex')).json.items).toEqual([]);
    expectError(await t.call(bob, 'GET', '/status-updates?accountId=acme'), 403, 'forbidden');
    expectError(await t.call(gina, 'GET', '/status-updates?accountId=acme'), 403, 'forbidden');
    expectError(await t.call(alice, 'GET', '/status-updates'), 422, 'invalid');
  });
});

describe('PUT /accounts/:id', () => {
  it('lets an admin name an account, which /me then shows', async () => {
    const res = await t.call(root, 'PUT', '/accounts/acme', { name: 'Acme Holdings' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ account: { id: 'acme', name: 'Acme Holdings' } });
    expect((await t.call(alice, 'GET', '/me')).json.accounts).toEqual([{ id: 'acme', name: 'Acme Holdings' }]);
    expect((await t.call(root, 'PUT', '/accounts/initech', { name: 'Initech' })).status).toBe(200);
    const all = (await t.call(root, 'GET', '/me')).json.accounts;
    expect(all).toHaveLength(3);
    expect(all).toEqual(
      expect.arrayContaining([
        { id: 'acme', name: 'Acme Holdings' },
        { id: 'globex', name: 'globex' },
        { id: 'initech', name: 'Initech' },
      ]),
    );
  });

  it('lists the token’s accounts in the token’s order, named where they have a name', async () => {
    await t.call(root, 'PUT', '/accounts/acme', { name: 'Acme Holdings' });
    await t.call(root, 'PUT', '/accounts/globex', { name: 'Globex Corp' });
    const staff = { ...people.sam, accounts: ['globex', 'acme', 'newco'] };
    expect((await t.call(staff, 'GET', '/me')).json.accounts).toEqual([
      { id: 'globex', name: 'Globex Corp' },
      { id: 'acme', name: 'Acme Holdings' },
      { id: 'newco', name: 'newco' },
    ]);
  });

  it('refuses non-admins with 403 and bad names with 422', async () => {
    expectError(await t.call(sam, 'PUT', '/accounts/acme', { name: 'Mine' }), 403, 'forbidden');
    expectError(await t.call(alice, 'PUT', '/accounts/acme', { name: 'Mine' }), 403, 'forbidden');
    expect((await t.call(alice, 'GET', '/me')).json.accounts).toEqual([{ id: 'acme', name: 'acme' }]);
    for (const body of [{}, { name: '' }, { name: 'x'.repeat(201) }, { name: 'ok', extra: 1 }]) {
      expectError(await t.call(root, 'PUT', '/accounts/acme', body), 422, 'invalid');
    }
  });
});

describe('keyset pagination', () => {
  async function walk(user: TestUser, query: string, limit: number) {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.call(user, 'GET', `/conversations?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      expect(res.json.items.length).toBeLessThanOrEqual(limit);
      seen.push(...res.json.items.map((i: { id: string }) => i.id));
      cursor = res.json.nextCursor;
      if (cursor !== null) expect(res.json.items).toHaveLength(limit);
      pages += 1;
      expect(pages).toBeLessThan(50);
    } while (cursor !== null);
    return { seen, pages };
  }

  it('walks every conversation exactly once, newest activity first, ending with a null cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await startConversation(t, alice, { subject: `Question ${i}` })).id);
    // Activity reorders: the oldest conversation gets the newest message.
    await postMessage(t, sam, ids[0]!, { body: 'bump', action: 'send' });
    const expected = [ids[0]!, ...ids.slice(1).reverse()];

    for (const limit of [1, 2, 3, 7, 100]) {
      const { seen, pages } = await walk(alice, 'folder=inbox', limit);
      expect(seen).toEqual(expected);
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages).toBe(Math.max(1, Math.ceil(7 / limit)));
    }
    expect((await walk(sam, 'folder=inbox', 3)).seen).toEqual(expected);
    expect((await walk(alice, 'folder=sent', 2)).seen).toEqual([...ids].reverse());
    expect((await walk(sam, 'folder=inbox&sort=oldest', 3)).seen).toEqual(ids);
    expect((await walk(alice, 'q=question', 2)).seen).toEqual(expected);

    const first = await t.call(alice, 'GET', '/conversations?limit=7');
    expect(first.json.nextCursor).toBeNull();
    expect((await t.call(alice, 'GET', '/conversations')).json.items).toHaveLength(7);
  });

  it('defaults to 25 and bounds limit to 1..100', async () => {
    for (let i = 0; i < 26; i++) await startConversation(t, alice);
    const page = await t.call(alice, 'GET', '/conversations');
    expect(page.json.items).toHaveLength(25);
    expect(page.json.nextCursor).toEqual(expect.any(String));
    expect((await t.call(alice, 'GET', '/conversations?limit=100')).json.items).toHaveLength(26);
    for (const limit of ['0', '101', '-1', 'abc', '1.5', '']) {
      const res = await t.call(alice, 'GET', `/conversations?limit=${limit}`);
      expectError(res, 422, 'invalid');
      expect(problemFields(res)).toEqual(['limit']);
    }
    const badCursor = await t.call(alice, 'GET', '/conversations?cursor=garbage');
    expectError(badCursor, 422, 'invalid');
    expect(problemFields(badCursor)).toEqual(['cursor']);
  });

  it('pages a thread from the newest messages back, oldest first within a page', async () => {
    const c = await startConversation(t, alice, { body: 'm0' });
    for (let i = 1; i < 8; i++) await postMessage(t, i % 2 ? sam : alice, c.id, { body: `m${i}` });
    const all = Array.from({ length: 8 }, (_, i) => `m${i}`);

    const whole = await t.call(alice, 'GET', `/conversations/${c.id}`);
    expect(whole.json.messages.map((m: { body: string }) => m.body)).toEqual(all);
    expect(whole.json.nextCursor).toBeNull();

    for (const limit of [1, 3, 8]) {
      const pages: string[][] = [];
      let before: string | null = null;
      do {
        const res = await t.call(alice, 'GET', `/conversations/${c.id}?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
        expect(res.status, res.text).toBe(200);
        pages.push(res.json.messages.map((m: { body: string }) => m.body));
        before = res.json.nextCursor;
      } while (before !== null);
      expect(pages[0]).toEqual(all.slice(-limit));
      expect(pages.reverse().flat()).toEqual(all);
    }
    for (const limit of ['0', '201', 'x']) expectError(await t.call(alice, 'GET', `/conversations/${c.id}?limit=${limit}`), 422, 'invalid');
    expect((await t.call(alice, 'GET', `/conversations/${c.id}?limit=200`)).status).toBe(200);
    expectError(await t.call(alice, 'GET', `/conversations/${c.id}?before=nope`), 422, 'invalid');
  });

  it('pages a customer thread over visible messages only', async () => {
    const c = await startConversation(t, alice, { body: 'm0' });
    await postMessage(t, sam, c.id, { body: 'hidden a', action: 'internal_note' });
    await postMessage(t, sam, c.id, { body: 'm1', action: 'send_leave_open' });
    await postMessage(t, sam, c.id, { body: 'hidden b', action: 'internal_note' });
    await postMessage(t, alice, c.id, { body: 'm2' });
    const first = await t.call(alice, 'GET', `/conversations/${c.id}?limit=2`);
    expect(first.json.messages.map((m: { body: string }) => m.body)).toEqual(['m1', 'm2']);
    const second = await t.call(alice, 'GET', `/conversations/${c.id}?limit=2&before=${first.json.nextCursor}`);
    expect(second.json.messages.map((m: { body: string }) => m.body)).toEqual(['m0']);
    expect(second.json.nextCursor).toBeNull();
  });
});

describe('search', () => {
  let permit: string, invoice: string, globexPermit: string;
  beforeEach(async () => {
    permit = (await startConversation(t, alice, { subject: 'Building permit', body: 'When is the Inspection of the garage?' })).id;
    invoice = (await startConversation(t, alice, { subject: 'Invoice', body: 'The fee seems high for the garage' })).id;
    globexPermit = (await startConversation(t, bob, { subject: 'Permit renewal', body: 'Kumquat orchard permit' })).id;
    await postMessage(t, sam, invoice, { body: 'Customer is quarrelsome', action: 'internal_note' });
    await postMessage(t, sam, invoice, { body: 'closing remark wombat', action: 'resolve' });
  });
  const search = (user: TestUser, q: string) => listIds(user, `?q=${encodeURIComponent(q)}`);

  it('lists everything for % alone', async () => {
    expect((await search(alice, '%')).sort()).toEqual([permit, invoice].sort());
    expect((await search(sam, '%')).sort()).toEqual([permit, invoice, globexPermit].sort());
    expect(await search(bob, '%')).toEqual([globexPermit]);
  });

  it('matches words and, from 3 characters, their beginnings; prefixes with %; case-insensitively, in subjects and bodies', async () => {
    expect(await search(alice, 'inspection')).toEqual([permit]);
    expect(await search(alice, 'INSPECTION')).toEqual([permit]);
    expect(await search(alice, 'inspect')).toEqual([permit]);
    expect(await search(alice, 'Insp')).toEqual([permit]);
    expect(await search(alice, 'ins')).toEqual([permit]);
    expect(await search(alice, 'inspections')).toEqual([]);
    expect(await search(alice, 'inspect%')).toEqual([permit]);
    expect(await search(alice, 'InSpEc%')).toEqual([permit]);
    expect(await search(alice, 'perm%')).toEqual([permit]);
    expect(await search(alice, 'permit')).toEqual([permit]);
    expect((await search(alice, 'garage')).sort()).toEqual([permit, invoice].sort());
  });

  it('ANDs several words', async () => {
    expect(await search(alice, 'garage fee')).toEqual([invoice]);
    expect(await search(alice, 'garage insp%')).toEqual([permit]);
    expect(await search(alice, 'garage kumquat')).toEqual([]);
    expect(await search(sam, 'permit kumquat')).toEqual([globexPermit]);
  });

  it("never matches another account's words or a hidden note's words for a customer", async () => {
    expect(await search(alice, 'kumquat')).toEqual([]);
    expect(await search(alice, 'kum%')).toEqual([]);
    expect(await search(alice, 'renewal')).toEqual([]);
    expect(await search(alice, 'quarrelsome')).toEqual([]);
    expect(await search(alice, 'quarrel%')).toEqual([]);
    expect(await search(alice, 'wombat')).toEqual([]);
    expect(await search(alice, 'garage quarrelsome')).toEqual([]);
    expect(await search(bob, 'garage')).toEqual([]);
    expect(await search(adam, 'garage')).toEqual([]);
    // Staff of the account see their notes; staff of another account do not.
    expect(await search(sam, 'quarrelsome')).toEqual([invoice]);
    expect(await search(sam, 'wom%')).toEqual([invoice]);
    expect(await search(gina, 'quarrelsome')).toEqual([]);
    expect(await search(gina, 'kumquat')).toEqual([globexPermit]);
    expect(await search(root, 'wombat')).toEqual([invoice]);
  });

  it('bounds a search: at most 8 different words, repeats counted once, and prefixes of 3 characters or more, else 422 naming the bound', async () => {
    // 39 different prefixes in the 200 characters `q` may have.
    const many = Array.from({ length: 39 }, (_, i) => `${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}x%`).join(' ');
    const tooMany = await t.call(alice, 'GET', `/conversations?q=${encodeURIComponent(many)}`);
    expectError(tooMany, 422, 'invalid');
    expect(tooMany.json.error.details).toEqual([{ field: 'q', message: 'search for at most 8 different words at once' }]);
    expectError(await t.call(alice, 'GET', `/conversations?q=${encodeURIComponent('one two three four five six seven eight nine')}`), 422, 'invalid');
    expect(await search(alice, 'garage fee seems high for the garage fee')).toEqual([invoice]);
    expect((await search(alice, Array(20).fill('garage%').join(' '))).sort()).toEqual([permit, invoice].sort());
    for (const q of ['a%', 'in%', 'garage pe%']) {
      const res = await t.call(alice, 'GET', `/conversations?q=${encodeURIComponent(q)}`);
      expectError(res, 422, 'invalid');
      expect(res.json.error.details[0].field, q).toBe('q');
      expect(res.json.error.message, q).toContain('at least 3 characters');
    }
  });

  it('treats search syntax in the query as plain text', async () => {
    for (const q of ['"', 'NEAR(a b)', 'subject:permit', 'a OR b', '*', '^permit', 'permit AND', '(', '%%', '-', 'NOT garage']) {
      const res = await t.call(alice, 'GET', `/conversations?q=${encodeURIComponent(q)}`);
      expect(res.status, `${q}: ${res.text}`).toBe(200);
    }
    expect(await search(alice, 'garage OR kumquat')).toEqual([]);
    expectError(await t.call(alice, 'GET', `/conversations?q=${'a'.repeat(201)}`), 422, 'invalid');
  });
});

describe('list filters', () => {
  it('filters by account for staff who act in several', async () => {
    const a = await startConversation(t, alice);
    const b = await startConversation(t, bob);
    expect(await listIds(sam, '?accountId=acme')).toEqual([a.id]);
    expect(await listIds(sam, '?accountId=globex')).toEqual([b.id]);
    expect(await listIds(alice, '?accountId=globex')).toEqual([]);
  });
});

describe('transport', () => {
  it('answers /healthz to any origin, with the server version', async () => {
    const res = await t.app.request('/healthz', { headers: { origin: 'https://not-allowed.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await res.json()).toEqual({ ok: true, version });
  });

  it('logs, once per origin, a browser request from an origin outside SECURE_INBOX_ALLOWED_ORIGINS', async () => {
    const allowing = makeTestApp({ SECURE_INBOX_ALLOWED_ORIGINS: 'https://portal.example' });
    {
      const preflight = { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' };
      const refused = await allowing.app.request('/api/v1/me', { method: 'OPTIONS', headers: preflight });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      await allowing.app.request('/api/v1/me', { headers: { origin: 'https://elsewhere.example' } });
      await allowing.app.request('/api/v1/me', { headers: { origin: 'https://portal.example' } });
      await allowing.app.request('/api/v1/me');
      const lines = allowing.logs.filter((line) => line.level === 'warn');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.origin).toBe('https://elsewhere.example');
      expect(lines[0]!.msg).toContain('SECURE_INBOX_ALLOWED_ORIGINS (now https://portal.example)');
    }
  });

  it('serves the widget bundle publicly with CORS *, and a JSON 404 before it is built', async () => {
    const missing = await t.app.request('/secure-inbox.js');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    writeFileSync(join(t.dir, 'missing-bundle.js'), 'export const loaded = true;\n');
    const res = await t.app.request('/secure-inbox.js', { headers: { origin: 'https://anywhere.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await res.text()).toContain('loaded');
  });

  it('serves the widget bundle compressed as the browser accepts, each encoding with its own ETag', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { brotliDecompressSync, gunzipSync } = await import('node:zlib');
    const source = `export const words = ${JSON.stringify('secure inbox '.repeat(500))};\n`;
    writeFileSync(join(t.dir, 'missing-bundle.js'), source);
    const get = (headers: Record<string, string>) => t.app.request('/secure-inbox.js', { headers });
    const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

    const br = await get({ 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    const brBody = await bytes(br);
    expect(brBody.length).toBeLessThan(source.length / 10);
    expect(brotliDecompressSync(brBody).toString()).toBe(source);

    const gzip = await get({ 'accept-encoding': 'gzip' });
    expect(gzip.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(await bytes(gzip)).toString()).toBe(source);

    for (const refusing of ['', 'identity', 'br;q=0, gzip;q=0']) {
      const plain = await get(refusing ? { 'accept-encoding': refusing } : {});
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(await plain.text()).toBe(source);
    }

    const etags = new Set([br, gzip].map((res) => res.headers.get('etag')));
    expect(etags.size).toBe(2);
    const revalidated = await get({ 'accept-encoding': 'br', 'if-none-match': br.headers.get('etag')! });
    expect(revalidated.status).toBe(304);
    // A validator of the gzip bytes does not match the brotli variant.
    expect((await get({ 'accept-encoding': 'br', 'if-none-match': gzip.headers.get('etag')! })).status).toBe(200);
  });

  it('serves the shipped translations beside the bundle, compressed and public, and no other file name', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { gunzipSync } = await import('node:zlib');
    expect((await t.app.request('/secure-inbox/locales/de.js')).status).toBe(404);
    mkdirSync(join(t.dir, 'secure-inbox/locales'), { recursive: true });
    const source = `export default ${JSON.stringify({ inbox: 'Posteingang'.repeat(50) })};\n`;
    writeFileSync(join(t.dir, 'secure-inbox/locales/de.js'), source);
    writeFileSync(join(t.dir, 'secure-inbox/locales/xx.js'), source);
    const res = await t.app.request('/secure-inbox/locales/de.js', { headers: { origin: 'https://anywhere.example', 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await res.arrayBuffer())).toString()).toBe(source);
    for (const path of [
      '/secure-inbox/locales/xx.js',
      '/secure-inbox/locales/..%2Fmissing-bundle.js',
      '/secure-inbox/locales/de.ts',
      '/secure-inbox/locales/',
    ]) {
      const refused = await t.app.request(path);
      expect(refused.status, path).toBe(404);
      expect(refused.headers.get('content-type'), path).toMatch(/json/);
    }
  });

  it('serves the modules the entry loads on demand under /secure-inbox/: public, compressed, hashed names cached for good', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { brotliDecompressSync, gunzipSync } = await import('node:zlib');
    writeFileSync(join(t.dir, 'missing-bundle.js'), 'export const entry = true;\n');
    mkdirSync(join(t.dir, 'secure-inbox'));
    const source = `export const staff = ${JSON.stringify('answer panel '.repeat(400))};\n`;
    writeFileSync(join(t.dir, 'secure-inbox', 'staff-Ab3_x-9Z.js'), source);
    const get = (path: string, headers: Record<string, string> = {}) => t.app.request(path, { headers: { origin: 'https://portal.example', ...headers } });

    const br = await get('/secure-inbox/staff-Ab3_x-9Z.js', { 'accept-encoding': 'gzip, br' });
    expect(br.status).toBe(200);
    expect(br.headers.get('access-control-allow-origin')).toBe('*');
    expect(br.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(br.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString()).toBe(source);
    const gzip = await get('/secure-inbox/staff-Ab3_x-9Z.js', { 'accept-encoding': 'gzip' });
    expect(gzip.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gzip.arrayBuffer())).toString()).toBe(source);
    expect(await (await get('/secure-inbox/staff-Ab3_x-9Z.js')).text()).toBe(source);
    expect((await get('/secure-inbox/staff-Ab3_x-9Z.js', { 'accept-encoding': 'br', 'if-none-match': br.headers.get('etag')! })).status).toBe(304);
    // The entry keeps its short, revalidated caching: its name stays while its content changes.
    expect((await get('/secure-inbox.js')).headers.get('cache-control')).toBe('public, max-age=300, must-revalidate');
  });

  it('answers a JSON 404 for unknown modules and for any path that leaves /secure-inbox/', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    writeFileSync(join(t.dir, 'missing-bundle.js'), 'export const entry = true;\n');
    writeFileSync(join(t.dir, 'secret.js'), 'export const secret = "beside the bundle";\n');
    writeFileSync(join(t.dir, 'secret.json'), '{"secret":"beside the bundle"}\n');
    mkdirSync(join(t.dir, 'secure-inbox', 'nested'), { recursive: true });
    writeFileSync(join(t.dir, 'secure-inbox', 'nested', 'deep-Ab3_x-9Z.js'), 'export {};\n');
    writeFileSync(join(t.dir, 'secure-inbox', 'notes.txt'), 'not a module\n');
    for (const path of [
      '/secure-inbox/staff-00000000.js',
      '/secure-inbox/nested',
      '/secure-inbox/notes.txt',
      '/secure-inbox/..%2Fsecret.js',
      '/secure-inbox/%2e%2e%2fsecret.js',
      '/secure-inbox/..%5Csecret.js',
      '/secure-inbox/%2E%2E',
      '/secure-inbox/nested%2Fdeep-Ab3_x-9Z.js',
      '/secure-inbox/nested/deep-Ab3_x-9Z.js',
      '/secure-inbox/../secret.json',
      '/secure-inbox/.%2e/secret.js',
      '/secure-inbox/',
    ]) {
      const res = await t.app.request(`http://localhost${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
      const body = await res.text();
      expect(JSON.parse(body).error.code, path).toBe('not_found');
      expect(body, path).not.toContain('beside the bundle');
    }
  });

  it('answers CORS only for the configured origins', async () => {
    const app = makeTestApp({ SECURE_INBOX_ALLOWED_ORIGINS: 'https://portal.example' });
    await signInAll(app);
    const preflight = (origin: string) =>
      app.app.request('/api/v1/conversations', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    const allowed = await preflight('https://portal.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://portal.example');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    // A write from a page of another origin is refused before it does anything.
    const fromEvil = await app.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b' }, { origin: 'https://evil.example' });
    expectError(fromEvil, 403, 'forbidden');
    expect((await app.call(alice, 'GET', '/conversations')).json.items).toEqual([]);
    const fromPortal = await app.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b' }, { origin: 'https://portal.example' });
    expect(fromPortal.status).toBe(201);
    expect(fromPortal.headers.get('access-control-allow-origin')).toBe('https://portal.example');
  });

  it('answers 413 for a JSON body over the limit', async () => {
    const res = await t.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'x'.repeat(2 * 1024 * 1024) });
    expectError(res, 413, 'too_large');
  });

  it('answers JSON 404 for an unknown route', async () => {
    expectError(await t.call(alice, 'GET', '/nothing-here'), 404, 'not_found');
    expectError(await t.call(alice, 'DELETE', '/conversations'), 404, 'not_found');
  });

  it('limits writes per user with 429 and Retry-After', async () => {
    const limited = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '3' });
    await signInAll(limited);
    const c = await startConversation(limited, alice);
    await postMessage(limited, alice, c.id, { body: 'two' });
    await postMessage(limited, alice, c.id, { body: 'three' });
    const refused = await limited.call(alice, 'POST', `/conversations/${c.id}/messages`, { body: 'four' });
    expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Reads and other users are not limited.
    expect((await limited.call(alice, 'GET', `/conversations/${c.id}`)).json.messages).toHaveLength(3);
    expect((await limited.call(adam, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b' })).status).toBe(201);
  });
});

describe('last visible activity, and Sent beside Inbox', () => {
  const pause = () => new Promise((resolve) => setTimeout(resolve, 15));
  const summaries = async (user: TestUser, query = '') => (await t.call(user, 'GET', `/conversations${query}`)).json.items as ConversationSummary[];

  it("gives a customer the time of the last message they may see, not a hidden note's, in lists (kept or not) and threads", async () => {
    const c = await startConversation(t, alice, { body: 'When is the inspection?' });
    await pause();
    const visible = (await postMessage(t, sam, c.id, { body: 'Tuesday at ten.' })) as Message;
    await pause();
    const other = await startConversation(t, alice, { subject: 'Another question' });
    expect((await summaries(alice))[1]).toMatchObject({ id: c.id, updatedAt: visible.createdAt }); // kept page
    await pause();
    const hidden = (await postMessage(t, sam, c.id, { body: 'Closing it.', action: 'resolve' })) as Message;
    expect(hidden.createdAt > visible.createdAt).toBe(true);

    const listed = await summaries(alice);
    expect(listed.map((item) => item.id)).toEqual([other.id, c.id]);
    expect(listed[1]).toMatchObject({ status: 'resolved', updatedAt: visible.createdAt, lastMessage: { id: visible.id } });
    expect((await t.call(alice, 'GET', `/conversations/${c.id}`)).json.conversation.updatedAt).toBe(visible.createdAt);
    // Staff see the hidden note's time.
    expect((await summaries(sam)).find((item) => item.id === c.id)!.updatedAt).toBe(hidden.createdAt);
  });

  it("lists in Sent the caller's own last message and its time, ordered by it; Inbox by the last visible message", async () => {
    const first = await startConversation(t, alice, { subject: 'Fence', body: 'About the fence' });
    const [mine] = (await t.call(alice, 'GET', `/conversations/${first.id}`)).json.messages as Message[];
    await pause();
    const second = await startConversation(t, alice, { subject: 'Roof', body: 'About the roof' });
    await pause();
    const answer = (await postMessage(t, sam, first.id, { body: 'The fence is fine.' })) as Message;

    const inbox = await summaries(alice);
    expect(inbox.map((item) => item.id)).toEqual([first.id, second.id]);
    expect(inbox[0]).toMatchObject({ updatedAt: answer.createdAt, lastMessage: { id: answer.id, authorName: 'Sam Staff' } });

    const sent = await summaries(alice, '?folder=sent');
    expect(sent.map((item) => item.id)).toEqual([second.id, first.id]);
    expect(sent[1]).toMatchObject({ updatedAt: mine!.createdAt, lastMessage: { id: mine!.id, authorName: 'Alice Applicant' } });
    expect(sent[1]!.lastMessage.preview).toContain('About the fence');
    expect(sent[1]!.unreadCount).toBe(1);
  });
});
