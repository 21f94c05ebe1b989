/**
 * The event feed on PostgreSQL with transactions that commit out of id order: a reader never returns an event
 * while an earlier one of the same user may still commit, and never moves past it.
 */
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { appendEvents, readEventsAfter } from '../../src/store/postgres/cluster/feed.js';
import { appendEventRows } from '../../src/store/postgres/events.js';
import { transaction } from '../../src/store/postgres/transaction.js';
import { useTestDatabase } from './database.js';

const database = useTestDatabase();
let db: PgDb;
const clients: pg.Client[] = [];

/** A connection of its own, on which a test opens a transaction and leaves it open. */
async function session(): Promise<{ client: pg.Client; tx: NodePgDatabase }> {
  const client = new pg.Client({ connectionString: database.url() });
  await client.connect();
  clients.push(client);
  return { client, tx: drizzle({ client }) };
}

const event = (userId: string, type = 'message.created') => ({ userId, type, data: '{}' });
const ids = async (userId: string, lastId: number | null) => (await readEventsAfter(db, userId, lastId)).map((e) => e.id);

/** Whether `promise` is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([promise, new Promise((r) => setTimeout(() => r(marker), ms))])) === marker;
}

beforeAll(() => {
  db = openPostgres(database.url(), { max: 2 });
});

afterAll(async () => {
  for (const client of clients) await client.end();
  await db.$client.end();
});

describe('the hazard', () => {
  it('is real for inserts made without the locks: a later id commits first and `id > lastId` skips the earlier one', async () => {
    const t1 = await session();
    const t2 = await session();
    await t1.client.query('BEGIN');
    await t2.client.query('BEGIN');
    const insert = (c: pg.Client) => c.query(`INSERT INTO events (user_id, type, data) VALUES ('raw', 'x', '{}') RETURNING id`);
    const first = Number((await insert(t1.client)).rows[0].id);
    const second = Number((await insert(t2.client)).rows[0].id);
    await t2.client.query('COMMIT');
    expect(await ids('raw', null)).toEqual([second]); // a reader moves to `second`...
    await t1.client.query('COMMIT');
    expect(await ids('raw', second)).toEqual([]); // ...and `first` is never read
    expect(first).toBeLessThan(second);
  });
});

describe('appendEvents and readEventsAfter', () => {
  it('makes a second append for the same user wait for the first to commit, so its id and commit come after', async () => {
    const t1 = await session();
    const t2 = await session();
    await t1.client.query('BEGIN');
    await t2.client.query('BEGIN');
    const [first] = await appendEvents(t1.tx, [event('u1')]);
    const second = appendEvents(t2.tx, [event('u1')]);
    expect(await pendingAfter(second, 200)).toBe(true);
    expect(await ids('u1', null)).toEqual([]);

    await t1.client.query('COMMIT');
    const [secondId] = await second;
    expect(secondId).toBeGreaterThan(first!);
    expect(await ids('u1', null)).toEqual([first]);
    await t2.client.query('COMMIT');
    expect(await ids('u1', first!)).toEqual([secondId]);
  });

  it('lets another user’s later event commit first without holding either feed back', async () => {
    const t1 = await session();
    const t2 = await session();
    await t1.client.query('BEGIN');
    await t2.client.query('BEGIN');
    const [late] = await appendEvents(t1.tx, [event('u2')]);
    const [early] = await appendEvents(t2.tx, [event('u3')]);
    await t2.client.query('COMMIT');
    expect(early).toBeGreaterThan(late!);
    expect(await ids('u3', null)).toEqual([early]);
    expect(await ids('u2', null)).toEqual([]);
    await t1.client.query('COMMIT');
    expect(await ids('u2', null)).toEqual([late]);
  });

  it('is not held back by a long transaction that writes no events', async () => {
    const long = await session();
    await long.client.query('BEGIN');
    await long.client.query(`INSERT INTO accounts (id) VALUES ('busy')`);
    const [id] = await db.transaction((tx) => appendEvents(tx, [event('u4')]));
    expect(await ids('u4', null)).toEqual([id]);
    await long.client.query('ROLLBACK');
  });

  it('takes several users’ locks in one order: two appends naming them in opposite orders both commit', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction((tx) => appendEvents(tx, i % 2 ? [event('v1'), event('v2'), event('v3')] : [event('v3'), event('v2'), event('v1')])),
      ),
    );
    expect(results.flat()).toHaveLength(60);
    for (const user of ['v1', 'v2', 'v3']) expect(await ids(user, null)).toHaveLength(20);
  });

  it('writes the appends of one transaction together at its end: appends one after the other, for users in opposite orders, never deadlock', async () => {
    // A message's notices and then its events, each for users of their own, as notify/effects.ts appends them.
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        transaction(db, async (tx) => {
          for (const user of i % 2 ? ['d1', 'd2', 'd3'] : ['d3', 'd2', 'd1']) {
            await appendEventRows(tx as PgDb, [event(user)], new Date().toISOString());
            await new Promise((r) => setTimeout(r, 5));
          }
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const user of ['d1', 'd2', 'd3']) expect(await ids(user, null)).toHaveLength(20);
  });

  it('drops the appends of a savepoint that rolls back, and keeps the others of its transaction', async () => {
    await transaction(db, async (tx) => {
      await appendEventRows(tx as PgDb, [event('s1', 'kept')], new Date().toISOString());
      await expect(
        transaction(db, async (inner) => {
          await appendEventRows(inner as PgDb, [event('s1', 'dropped')], new Date().toISOString());
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
    });
    expect((await readEventsAfter(db, 's1', null)).map((e) => e.type)).toEqual(['kept']);
  });

  it('reads only the user’s own events, after lastId, a bounded page at a time', async () => {
    const appended = await db.transaction((tx) => appendEvents(tx, [event('w1'), event('w2'), event('w1'), event('w1')]));
    const mine = [appended[0]!, appended[2]!, appended[3]!];
    expect(await ids('w1', null)).toEqual(mine);
    expect(await ids('w1', mine[0]!)).toEqual(mine.slice(1));
    expect((await readEventsAfter(db, 'w1', null, 2)).map((e) => e.id)).toEqual(mine.slice(0, 2));
    await expect(readEventsAfter(db, 'w1', null, 0)).rejects.toThrow(RangeError);
    await expect(readEventsAfter(db, 'w1', null, 1001)).rejects.toThrow(RangeError);
    expect(await db.transaction((tx) => appendEvents(tx, []))).toEqual([]);
  });
});
