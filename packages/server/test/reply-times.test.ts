/**
 * Expected reply times: set per account and per topic by staff and admins, read by everyone in the account, shown in
 * the conversation; a new question in an account that states one gets an acknowledgement line in its thread, written
 * with the question (also on the writer thread, vitest.config.ts).
 */
import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectError, makeTestApp, onPostgres, people, problemFields, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { execute, firstRow, rows as allRows } from '../src/store/sql.js';

const { alice, adam, bob, sam, gina, root } = people;

let t: TestApp;
beforeEach(async () => {
  t = makeTestApp();
  await signInAll(t);
  await execute(t.db, sql`INSERT INTO topics (id, name, description, position) VALUES ('t-permits', 'Permits', 'Building permits', 1)`);
  await execute(t.db, sql`INSERT INTO topics (id, name, description, position, account_id) VALUES ('t-globex', 'Globex only', '', 2, 'globex')`);
});

const put = (user: TestUser, body: unknown) => t.call(user, 'PUT', '/reply-times', body);

describe('setting and reading expected reply times', () => {
  it('lets staff set the account time and a topic time, and everyone in the account read them', async () => {
    const res = await put(sam, { accountId: 'acme', replyTime: { amount: 2, unit: 'working_days' } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ accountId: 'acme', replyTime: { amount: 2, unit: 'working_days' }, topics: [] });
    await put(root, { accountId: 'acme', topicId: 't-permits', replyTime: { amount: 4, unit: 'hours' } });
    const read = await t.call(alice, 'GET', '/reply-times?accountId=acme');
    expect(read.json).toEqual({
      accountId: 'acme',
      replyTime: { amount: 2, unit: 'working_days' },
      topics: [{ topicId: 't-permits', replyTime: { amount: 4, unit: 'hours' } }],
    });
    await put(sam, { accountId: 'acme', topicId: 't-permits', replyTime: null });
    await put(sam, { accountId: 'acme', replyTime: null });
    expect((await t.call(adam, 'GET', '/reply-times?accountId=acme')).json).toEqual({ accountId: 'acme', replyTime: null, topics: [] });
  });

  it('refuses customers, and everyone outside the account, with 403', async () => {
    expectError(await put(alice, { accountId: 'acme', replyTime: { amount: 1, unit: 'days' } }), 403, 'forbidden');
    expectError(await put(gina, { accountId: 'acme', replyTime: { amount: 1, unit: 'days' } }), 403, 'forbidden');
    expectError(await t.call(bob, 'GET', '/reply-times?accountId=acme'), 403, 'forbidden');
    expect(await allRows(t.db, sql`SELECT * FROM account_settings`)).toEqual([]);
  });

  it('refuses bad input naming the field', async () => {
    for (const [body, field] of [
      [{ accountId: 'acme', replyTime: { amount: 0, unit: 'days' } }, 'replyTime.amount'],
      [{ accountId: 'acme', replyTime: { amount: 101, unit: 'days' } }, 'replyTime.amount'],
      [{ accountId: 'acme', replyTime: { amount: 1.5, unit: 'days' } }, 'replyTime.amount'],
      [{ accountId: 'acme', replyTime: { amount: 1, unit: 'weeks' } }, 'replyTime.unit'],
      [{ accountId: 'acme' }, 'replyTime'],
      [{ accountId: 'acme', replyTime: { amount: 1, unit: 'days', text: 'soon' } }, 'replyTime.text'],
      [{ accountId: 'acme', topicId: 'no-such-topic', replyTime: { amount: 1, unit: 'days' } }, 'topicId'],
      [{ accountId: 'acme', topicId: 't-globex', replyTime: { amount: 1, unit: 'days' } }, 'topicId'],
    ] as const) {
      const res = await put(sam, body);
      expectError(res, 422, 'invalid');
      expect(problemFields(res), JSON.stringify(body)).toContain(field);
    }
    expectError(await put(root, { accountId: 'no-such-account', replyTime: { amount: 1, unit: 'days' } }), 422, 'invalid');
    expect(problemFields(await put(sam, { replyTime: null }))).toEqual(['accountId']);
    for (const query of ['', 'accountId=', 'accountId=acme&topicId=t-permits']) {
      const res = await t.call(alice, 'GET', `/reply-times?${query}`);
      expectError(res, 422, 'invalid');
      expect(problemFields(res), query).toEqual([query.includes('topicId') ? 'topicId' : 'accountId']);
    }
  });
});

describe('the expected reply time in a conversation and the acknowledgement line', () => {
  it('writes no acknowledgement while the account states no time', async () => {
    const c = await startConversation(t, alice);
    const res = await t.call(alice, 'GET', `/conversations/${c.id}`);
    expect(res.json.conversation.expectedReply).toBeNull();
    expect(res.json.messages.map((m: { kind: string }) => m.kind)).toEqual(['message']);
  });

  it("acknowledges a customer's question naming the account and the time, the topic's over the account's", async () => {
    await t.call(root, 'PUT', '/accounts/acme', { name: 'Hartley & <Co>' });
    await put(sam, { accountId: 'acme', replyTime: { amount: 2, unit: 'working_days' } });
    await put(sam, { accountId: 'acme', topicId: 't-permits', replyTime: { amount: 1, unit: 'hours' } });

    const plain = await startConversation(t, alice);
    const view = await t.call(alice, 'GET', `/conversations/${plain.id}`);
    expect(view.json.conversation.expectedReply).toEqual({ amount: 2, unit: 'working_days' });
    const [question, ack] = view.json.messages;
    expect(question.kind).toBe('message');
    expect(ack).toMatchObject({
      kind: 'acknowledgement',
      body: '<p>Your question went to Hartley &#38; &#60;Co&#62;. We usually answer within 2 working days.</p>',
      doNotReply: false,
      properties: { doNotReply: false, sentTo: 'Hartley & <Co>', replyAmount: '2', replyUnit: 'working_days' },
    });
    expect(Date.parse(ack.createdAt)).toBe(Date.parse(question.createdAt));

    const onTopic = await startConversation(t, alice, { topicId: 't-permits' });
    const topicView = await t.call(alice, 'GET', `/conversations/${onTopic.id}`);
    expect(topicView.json.conversation.expectedReply).toEqual({ amount: 1, unit: 'hours' });
    expect(topicView.json.messages[1].body).toContain('within 1 hour.');

    // Staff see the same line; the customer has nothing unread, and Sent still shows their own question.
    expect((await t.call(sam, 'GET', `/conversations/${plain.id}`)).json.messages.map((m: { kind: string }) => m.kind)).toEqual(['message', 'acknowledgement']);
    const inbox = await t.call(alice, 'GET', '/conversations');
    expect(inbox.json.items.find((i: { id: string }) => i.id === plain.id).unreadCount).toBe(0);
    const sent = await t.call(alice, 'GET', '/conversations?folder=sent');
    expect(sent.json.items.find((i: { id: string }) => i.id === plain.id).lastMessage.id).toBe(question.id);
    // The list names the acknowledgement's parts, so a widget words it in its reader's language; other rows have none.
    const ackRow = inbox.json.items.find((i: { id: string }) => i.id === plain.id).lastMessage;
    expect(ackRow).toMatchObject({ id: ack.id, acknowledgement: { sentTo: 'Hartley & <Co>', replyTime: { amount: 2, unit: 'working_days' } } });
    expect((await t.call(sam, 'GET', '/conversations')).json.items.find((i: { id: string }) => i.id === onTopic.id).lastMessage.acknowledgement).toEqual({
      sentTo: 'Hartley & <Co>',
      replyTime: { amount: 1, unit: 'hours' },
    });
    expect(sent.json.items.find((i: { id: string }) => i.id === plain.id).lastMessage).not.toHaveProperty('acknowledgement');
    expect((await t.call(alice, 'GET', '/me')).json.unread.inbox).toBe(0);
  });

  it('does not acknowledge what staff start', async () => {
    await put(sam, { accountId: 'acme', replyTime: { amount: 3, unit: 'days' } });
    const c = await startConversation(t, sam);
    const view = await t.call(alice, 'GET', `/conversations/${c.id}`);
    expect(view.json.messages.map((m: { kind: string }) => m.kind)).toEqual(['message']);
    expect(view.json.conversation.expectedReply).toEqual({ amount: 3, unit: 'days' });
  });

  it('writes the acknowledgement in the same transaction as the question: when it fails, neither is kept', async () => {
    await put(sam, { accountId: 'acme', replyTime: { amount: 3, unit: 'days' } });
    // A trigger that refuses the acknowledgement, in each store's own words.
    if (onPostgres) {
      await execute(
        t.db,
        sql`CREATE FUNCTION refuse_acknowledgements() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'acknowledgement refused'; END $$`,
      );
      await execute(
        t.db,
        sql`CREATE TRIGGER refuse_acknowledgements BEFORE INSERT ON messages FOR EACH ROW WHEN (NEW.kind = 'acknowledgement')
                   EXECUTE FUNCTION refuse_acknowledgements()`,
      );
    } else {
      await execute(
        t.db,
        sql`CREATE TRIGGER refuse_acknowledgements BEFORE INSERT ON messages WHEN NEW.kind = 'acknowledgement'
                   BEGIN SELECT RAISE(ABORT, 'acknowledgement refused'); END`,
      );
    }
    const count = () => firstRow<{ c: number; m: number }>(t.db, sql`SELECT (SELECT count(*) FROM conversations) AS c, (SELECT count(*) FROM messages) AS m`);
    const before = await count();
    const res = await t.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Hi', body: 'Hello' });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await count()).toEqual(before);
    await execute(t.db, onPostgres ? sql`DROP TRIGGER refuse_acknowledgements ON messages` : sql`DROP TRIGGER refuse_acknowledgements`);
    expect((await t.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Hi', body: 'Hello' })).status).toBe(201);
    expect(await count()).toEqual({ c: before!.c + 1, m: before!.m + 2 });
  });
});
