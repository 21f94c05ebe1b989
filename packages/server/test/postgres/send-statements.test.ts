/**
 * What one send costs PostgreSQL in statements, each a round trip made inside the send's transaction
 * (docs/performance.md, change 46): a reply by a customer and by staff, counted at node-postgres' client.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

process.env.SECURE_INBOX_TEST_STORE = 'postgres';
const { makeTestApp, people, postMessage, signInAll, startConversation } = await import('../helpers.js');

const original = pg.Client.prototype.query;
afterEach(() => {
  pg.Client.prototype.query = original;
});

/** The statements run while `fn` runs, in order. */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const query = args[0] as string | { text?: string };
    seen.push((typeof query === 'string' ? query : (query.text ?? '')).trim().split(/\s+/).slice(0, 3).join(' '));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await fn();
  } finally {
    pg.Client.prototype.query = original;
  }
  return seen;
}

describe('a send on PostgreSQL', () => {
  it('takes one transaction of at most 13 statements for a customer’s reply and 14 for staff’s, events and notices included', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const conversation = await startConversation(t, people.alice);
    await postMessage(t, people.sam, conversation.id, { body: '<p>First answer</p>' });

    const customer = await statementsOf(() => postMessage(t, people.alice, conversation.id, { body: '<p>Thanks</p>' }));
    const staff = await statementsOf(() => postMessage(t, people.sam, conversation.id, { body: '<p>You are welcome</p>' }));
    for (const statements of [customer, staff]) {
      expect(statements[0]).toBe('begin');
      expect(statements.at(-1)).toBe('commit');
      expect(statements.filter((s) => s === 'begin')).toHaveLength(1);
      // The event locks, the events and their wake-up notification: one statement.
      expect(statements.filter((s) => /^(SELECT pg_advisory|SELECT pg_notify|SELECT DISTINCT)/i.test(s))).toEqual([]);
      expect(statements.filter((s) => /^WITH locked/i.test(s))).toHaveLength(1);
    }
    expect(customer.length).toBeLessThanOrEqual(13);
    expect(staff.length).toBeLessThanOrEqual(14);

    // What the writes did is all there: the thread, the events of the stream, the notices.
    const thread = await t.call(people.alice, 'GET', `/conversations/${conversation.id}`);
    expect(thread.json.messages.map((m: { body: string }) => m.body)).toEqual([
      '<p>Hello</p>',
      '<p>First answer</p>',
      '<p>Thanks</p>',
      '<p>You are welcome</p>',
    ]);
  });
});
