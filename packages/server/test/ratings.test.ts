/**
 * A customer's own workflow: solving and reopening their conversation, rating it once it is answered or solved
 * (changeable for 7 days), the folders' status filter; staff see the ratings and an account's summary, customers
 * never see another customer's rating, on any channel.
 */
import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { transaction } from '../src/store/runtime.js';
import { expectError, makeTestApp, people, postMessage, problemFields, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { execute, firstRow, rows as allRows } from '../src/store/sql.js';

const { alice, adam, bob, sam, gina, root } = people;

let t: TestApp;
beforeEach(async () => {
  t = makeTestApp();
  await signInAll(t);
});

/** A conversation of Alice's that Sam answered, with Adam taking part. */
async function answered() {
  const c = await startConversation(t, alice, { recipientIds: ['adam'] });
  await postMessage(t, sam, c.id, { body: 'Here is your answer', action: 'send' });
  return c.id;
}

const thread = async (user: TestUser, id: string) => (await t.call(user, 'GET', `/conversations/${id}`)).json.conversation;

describe('solve and reopen', () => {
  it('lets a customer mark their conversation solved and open it again; everyone sees the status', async () => {
    const id = await answered();
    const solved = await t.call(alice, 'POST', `/conversations/${id}/solve`);
    expect(solved.status).toBe(200);
    expect(solved.json.conversation.status).toBe('resolved');
    expect((await thread(sam, id)).status).toBe('resolved');
    expect((await t.call(alice, 'POST', `/conversations/${id}/solve`)).json.conversation.status).toBe('resolved');
    const reopened = await t.call(alice, 'POST', `/conversations/${id}/reopen`);
    expect(reopened.json.conversation.status).toBe('open');
    expect((await thread(adam, id)).status).toBe('open');
  });

  it('tells the others with conversation.updated', async () => {
    const id = await answered();
    const before = (await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM events WHERE user_id = 'sam' AND type = 'conversation.updated'`))!.n;
    await t.call(alice, 'POST', `/conversations/${id}/solve`);
    expect((await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM events WHERE user_id = 'sam' AND type = 'conversation.updated'`))!.n).toBe(
      before + 1,
    );
  });

  it('answers the same 404 for conversations the caller may not see', async () => {
    const mine = await startConversation(t, adam);
    const unknown = await t.call(alice, 'POST', '/conversations/c_nothing/solve');
    expectError(unknown, 404, 'not_found');
    const foreign = await t.call(alice, 'POST', `/conversations/${mine.id}/solve`);
    expect(foreign.text).toBe(unknown.text);
    expect((await thread(adam, mine.id)).status).toBe('open');
  });
});

describe('rating a conversation', () => {
  it('is refused before the conversation is answered or solved, naming why', async () => {
    const c = await startConversation(t, alice);
    const res = await t.call(alice, 'PUT', `/conversations/${c.id}/rating`, { score: 5 });
    expect(expectError(res, 409, 'conflict').message).toMatch(/answered or solved.*open/);
  });

  it('takes a score and a comment once answered, and may be changed', async () => {
    const id = await answered();
    const first = await t.call(alice, 'PUT', `/conversations/${id}/rating`, { score: 4, comment: '  Quick and clear.  ' });
    expect(first.status).toBe(200);
    expect(first.json.rating).toMatchObject({ score: 4, comment: 'Quick and clear.', author: { id: 'alice', role: 'customer' } });
    const until = Date.parse(first.json.rating.changeableUntil) - Date.parse(first.json.rating.createdAt);
    expect(until).toBe(7 * 24 * 3600 * 1000);
    const changed = await t.call(alice, 'PUT', `/conversations/${id}/rating`, { score: 2 });
    expect(changed.json.rating).toMatchObject({ score: 2, comment: null, createdAt: first.json.rating.createdAt });
    expect(await allRows(t.db, sql`SELECT score FROM ratings WHERE conversation_id = ${id}`)).toEqual([{ score: 2 }]);
  });

  it('may be given after the conversation was solved by the customer, and changed after it was reopened', async () => {
    const c = await startConversation(t, alice);
    await t.call(alice, 'POST', `/conversations/${c.id}/solve`);
    expect((await t.call(alice, 'PUT', `/conversations/${c.id}/rating`, { score: 5 })).status).toBe(200);
    await t.call(alice, 'POST', `/conversations/${c.id}/reopen`);
    expect((await t.call(alice, 'PUT', `/conversations/${c.id}/rating`, { score: 3 })).json.rating.score).toBe(3);
  });

  it('given while another write is open, is kept, and so is the other write', async () => {
    const id = await answered();
    const held = transaction(t.db, async (tx) => {
      await execute(tx, sql`UPDATE conversations SET subject = 'Held' WHERE id = ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    const rated = t.call(alice, 'PUT', `/conversations/${id}/rating`, { score: 5 });
    await held;
    expect((await rated).status).toBe(200);
    // (That it waits its turn behind SQLite's single writer: ratings-single-writer.test.ts.)
    expect(await firstRow(t.db, sql`SELECT score FROM ratings WHERE conversation_id = ${id}`)).toEqual({ score: 5 });
    expect((await thread(alice, id)).subject).toBe('Held');
  });

  it('cannot be changed 7 days after it was given', async () => {
    const id = await answered();
    await t.call(alice, 'PUT', `/conversations/${id}/rating`, { score: 4 });
    const longAgo = new Date(Date.now() - 7 * 24 * 3600 * 1000 - 1000).toISOString();
    await execute(t.db, sql`UPDATE ratings SET created_at = ${longAgo} WHERE conversation_id = ${id}`);
    const res = await t.call(alice, 'PUT', `/conversations/${id}/rating`, { score: 1 });
    expect(expectError(res, 409, 'conflict').message).toMatch(/7 days/);
    expect(await firstRow(t.db, sql`SELECT score FROM ratings WHERE conversation_id = ${id}`)).toEqual({ score: 4 });
  });

  it('refuses bad input naming the field', async () => {
    const id = await answered();
    for (const [body, field] of [
      [{ score: 0 }, 'score'],
      [{ score: 6 }, 'score'],
      [{ score: 3.5 }, 'score'],
      [{ score: '5' }, 'score'],
      [{}, 'score'],
      [{ score: 5, comment: 'x'.repeat(1001) }, 'comment'],
      [{ score: 5, stars: 5 }, 'stars'],
    ] as const) {
      const res = await t.call(alice, 'PUT', `/conversations/${id}/rating`, body);
      expectError(res, 422, 'invalid');
      expect(problemFields(res), JSON.stringify(body)).toContain(field);
    }
    expect((await t.call(alice, 'PUT', `/conversations/${id}/rating`, { score: 5, comment: 'x'.repeat(1000) })).status).toBe(200);
  });

  it('is for customers: staff and admins get 403', async () => {
    const id = await answered();
    for (const user of [sam, root]) expectError(await t.call(user, 'PUT', `/conversations/${id}/rating`, { score: 5 }), 403, 'forbidden');
  });

  it('answers the same 404 for conversations the customer may not see, and rates nothing', async () => {
    const theirs = await startConversation(t, bob);
    const unknown = await t.call(adam, 'PUT', '/conversations/c_nothing/rating', { score: 1 });
    expectError(unknown, 404, 'not_found');
    const mine = await startConversation(t, alice);
    await postMessage(t, sam, mine.id, { body: 'Answer', action: 'send' });
    expect((await t.call(adam, 'PUT', `/conversations/${mine.id}/rating`, { score: 1 })).text).toBe(unknown.text);
    expect((await t.call(alice, 'PUT', `/conversations/${theirs.id}/rating`, { score: 1 })).text).toBe(unknown.text);
    expect(await allRows(t.db, sql`SELECT conversation_id FROM ratings`)).toEqual([]);
  });
});

describe('who sees a rating', () => {
  it('shows staff and admins every rating; a customer only their own, never a co-participant’s', async () => {
    const id = await answered();
    await t.call(alice, 'PUT', `/conversations/${id}/rating`, { score: 1, comment: 'Too slow' });
    for (const user of [sam, root]) {
      const ratings = (await thread(user, id)).ratings;
      expect(ratings.map((r: { author: { id: string }; score: number }) => [r.author.id, r.score])).toEqual([['alice', 1]]);
    }
    expect((await thread(alice, id)).ratings.map((r: { score: number }) => r.score)).toEqual([1]);
    expect((await thread(adam, id)).ratings).toEqual([]);
    await t.call(adam, 'PUT', `/conversations/${id}/rating`, { score: 5 });
    expect((await thread(alice, id)).ratings.map((r: { author: { id: string } }) => r.author.id)).toEqual(['alice']);
    expect((await thread(adam, id)).ratings.map((r: { author: { id: string } }) => r.author.id)).toEqual(['adam']);
    expect((await thread(sam, id)).ratings.map((r: { author: { id: string } }) => r.author.id).sort()).toEqual(['adam', 'alice']);
  });

  it('never reaches another customer: no event, no notice, nothing in lists or threads', async () => {
    const id = await answered();
    const events = () => allRows<{ userId: string; type: string }>(t.db, sql`SELECT user_id AS "userId", type FROM events ORDER BY id`);
    const notices = () => allRows(t.db, sql`SELECT id FROM notifications`);
    const before = { events: (await events()).length, notices: (await notices()).length };
    const adamBefore = JSON.stringify([await t.call(adam, 'GET', '/conversations'), await thread(adam, id)]);
    await t.call(alice, 'PUT', `/conversations/${id}/rating`, { score: 2, comment: 'Secret opinion' });
    const after = (await events()).slice(before.events);
    expect(after.map((e) => e.userId).sort()).toEqual(['root', 'sam']);
    expect((await notices()).length).toBe(before.notices);
    expect(JSON.stringify([await t.call(adam, 'GET', '/conversations'), await thread(adam, id)])).toBe(adamBefore);
    const list = await t.call(adam, 'GET', '/conversations');
    expect(list.text).not.toContain('Secret opinion');
  });
});

describe('GET /ratings', () => {
  it('gives staff counts per score and the mean over a period', async () => {
    for (const score of [5, 4, 4]) {
      const id = await answered();
      await t.call(alice, 'PUT', `/conversations/${id}/rating`, { score });
    }
    const res = await t.call(sam, 'GET', '/ratings?accountId=acme');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accountId: 'acme', count: 3, mean: 4.33, counts: { '1': 0, '2': 0, '3': 0, '4': 2, '5': 1 } });
    expect(Date.parse(res.json.to) - Date.parse(res.json.from)).toBe(30 * 24 * 3600 * 1000);
    const past = await t.call(root, 'GET', '/ratings?accountId=acme&from=2020-01-01&to=2020-12-31');
    expect(past.json).toMatchObject({ count: 0, mean: null, from: '2020-01-01T00:00:00.000Z', to: '2020-12-31T00:00:00.000Z' });
    expect((await t.call(gina, 'GET', '/ratings?accountId=globex')).json.count).toBe(0);
  });

  it('refuses customers and staff of other accounts with 403', async () => {
    expectError(await t.call(alice, 'GET', '/ratings?accountId=acme'), 403, 'forbidden');
    expectError(await t.call(gina, 'GET', '/ratings?accountId=acme'), 403, 'forbidden');
    expectError(await t.call(bob, 'GET', '/ratings?accountId=acme'), 403, 'forbidden');
  });

  it('refuses a bad or unbounded period naming the field', async () => {
    for (const [query, field] of [
      ['', 'accountId'],
      ['accountId=acme&from=yesterday', 'from'],
      ['accountId=acme&to=2026-13-45', 'to'],
      ['accountId=acme&from=2026-02-01&to=2026-01-01', 'from'],
      ['accountId=acme&from=2024-01-01&to=2026-01-01', 'to'],
      ['accountId=acme&period=week', 'period'],
    ] as const) {
      const res = await t.call(sam, 'GET', `/ratings?${query}`);
      expectError(res, 422, 'invalid');
      expect(problemFields(res), query).toContain(field);
    }
  });
});

describe("the customer folders' status filter", () => {
  it('lists open, waiting for me, answered and solved conversations by the names the folders use', async () => {
    const open = await startConversation(t, alice, { subject: 'Still open' });
    const waiting = await startConversation(t, sam, { subject: 'Waiting for Alice' });
    const answer = await startConversation(t, alice, { subject: 'Answered' });
    await postMessage(t, sam, answer.id, { body: 'Done', action: 'send' });
    const solved = await startConversation(t, alice, { subject: 'Solved' });
    await t.call(alice, 'POST', `/conversations/${solved.id}/solve`);
    const ids = async (status: string) => (await t.call(alice, 'GET', `/conversations?status=${status}`)).json.items.map((c: { id: string }) => c.id);
    expect(await ids('open')).toEqual([open.id]);
    expect(await ids('waiting_for_me')).toEqual([waiting.id]);
    expect(await ids('attentive')).toEqual([waiting.id]);
    expect(await ids('answered')).toEqual([answer.id]);
    expect(await ids('solved')).toEqual([solved.id]);
    expect(await ids('resolved')).toEqual([solved.id]);
  });

  it('answers 422 naming status for a value it does not know', async () => {
    for (const status of ['closed', 'Solved', '', 'open,answered']) {
      const res = await t.call(alice, 'GET', `/conversations?status=${encodeURIComponent(status)}`);
      expectError(res, 422, 'invalid');
      expect(problemFields(res)).toEqual(['status']);
    }
  });
});
