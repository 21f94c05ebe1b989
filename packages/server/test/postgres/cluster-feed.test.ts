/**
 * The event feed on PostgreSQL with transactions that commit out of id order: a reader never returns an event
 * while an earlier one may still commit, and never moves past it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { EVENTS_XID_DDL, readEventsAfter } from '../../src/store/postgres/cluster/feed.js';
import { useTestDatabase } from './database.js';

const database = useTestDatabase();
let db: PgDb;
const clients: pg.Client[] = [];

async function connection(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database.url() });
  await client.connect();
  clients.push(client);
  return client;
}

async function insert(client: pg.Client, userId: string, type: string): Promise<number> {
  const { rows } = await client.query<{ id: string }>(`INSERT INTO events (user_id, type, data) VALUES ($1, $2, '{}') RETURNING id`, [userId, type]);
  return Number(rows[0]!.id);
}

const ids = async (userId: string, lastId: number | null) => (await readEventsAfter(db, userId, lastId)).map((e) => e.id);

beforeAll(async () => {
  // This database's events table gets the column and index the feed needs (EVENTS_XID_DDL).
  for (const statement of EVENTS_XID_DDL) await database.pool().query(statement);
  db = openPostgres(database.url(), { max: 2 });
});

afterAll(async () => {
  for (const client of clients) await client.end();
  await db.$client.end();
});

describe('readEventsAfter', () => {
  it('holds back an event committed first while an earlier id is still in flight, then returns both', async () => {
    const t1 = await connection();
    const t2 = await connection();
    await t1.query('BEGIN');
    await t2.query('BEGIN');
    const first = await insert(t1, 'u1', 'first');
    const second = await insert(t2, 'u1', 'second');
    expect(second).toBeGreaterThan(first);
    await t2.query('COMMIT');

    // What a plain `id > lastId` reader would do: see the later id alone and move past the earlier one.
    const naive = await database.pool().query(`SELECT id FROM events WHERE user_id = 'u1' AND id > 0 ORDER BY id`);
    expect(naive.rows.map((r) => Number(r.id))).toEqual([second]);
    expect(await ids('u1', null)).toEqual([]);

    await t1.query('COMMIT');
    expect(await ids('u1', null)).toEqual([first, second]);
    expect(await ids('u1', second)).toEqual([]);
  });

  it('resumes after an id that came in (xid, id) order rather than id order', async () => {
    const a = await connection();
    const b = await connection();
    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query('SELECT pg_current_xact_id()'); // a has the older transaction...
    const fromB = await insert(b, 'u2', 'b'); // ...b draws the lower id...
    const fromA = await insert(a, 'u2', 'a');
    expect(fromA).toBeGreaterThan(fromB);
    await b.query('COMMIT'); // ...and commits first.
    expect(await ids('u2', null)).toEqual([]);

    await a.query('COMMIT');
    expect(await ids('u2', null)).toEqual([fromA, fromB]);
    expect(await ids('u2', fromA)).toEqual([fromB]);
    expect(await ids('u2', fromB)).toEqual([]);
  });

  it('is not held up by a transaction that rolled back, and reads only the user’s own events', async () => {
    const t = await connection();
    await t.query('BEGIN');
    await insert(t, 'u3', 'dropped');
    await t.query('ROLLBACK');
    const kept = await insert(t, 'u3', 'kept');
    await insert(t, 'someone-else', 'other');
    expect(await ids('u3', null)).toEqual([kept]);
  });

  it('falls back to ids after lastId when its row is not the user’s', async () => {
    const t = await connection();
    const other = await insert(t, 'u4-other', 'x');
    const mine = await insert(t, 'u4', 'y');
    expect(await ids('u4', other)).toEqual([mine]);
    expect(await ids('u4', mine)).toEqual([]);
  });

  it('bounds the page', async () => {
    await expect(readEventsAfter(db, 'u1', null, 0)).rejects.toThrow(RangeError);
    await expect(readEventsAfter(db, 'u1', null, 1001)).rejects.toThrow(RangeError);
  });
});
