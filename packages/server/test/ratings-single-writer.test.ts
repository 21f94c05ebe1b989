/**
 * A rating on SQLite, where one write transaction holds the whole database: given while another write is open, it
 * waits its turn and is answered when that one commits, not after the busy timeout. (PostgreSQL locks rows, so the
 * two need not take turns there; that both are kept on either store: ratings.test.ts.)
 */
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { transaction } from '../src/store/runtime.js';
import { execute, firstRow } from '../src/store/sql.js';
import { makeTestApp, people, postMessage, signInAll, startConversation } from './helpers.js';

const { alice, sam } = people;

it('given while another write holds the database, waits its turn and is kept', async () => {
  const t = makeTestApp();
  await signInAll(t);
  const { id } = await startConversation(t, alice);
  await postMessage(t, sam, id, { body: 'Here is your answer', action: 'send' });
  const order: string[] = [];
  const held = transaction(t.db, async (tx) => {
    await execute(tx, sql`UPDATE conversations SET subject = 'Held' WHERE id = ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('held');
  });
  const started = Date.now();
  const rated = t.call(alice, 'PUT', `/conversations/${id}/rating`, { score: 5 }).then((res) => {
    order.push('rated');
    return res;
  });
  await held;
  expect((await rated).status).toBe(200);
  expect(order).toEqual(['held', 'rated']);
  // Its turn came when the other write committed, not after the busy timeout.
  expect(Date.now() - started).toBeLessThan(2000);
  expect(await firstRow(t.db, sql`SELECT score FROM ratings WHERE conversation_id = ${id}`)).toEqual({ score: 5 });
});
