/**
 * A user's events after `lastId`, safe although sequence values commit out of order.
 *
 * The problem: T1 draws event id 1, T2 draws id 2 and commits first. A reader that asks for `id > 0` then sees 2,
 * moves its cursor to 2, and never sees 1 once T1 commits. On SQLite one writer commits in id order; here it does not.
 *
 * The scheme: events are appended only through `appendEvents`, which first takes a transaction-level advisory lock
 * per recipient (`pg_advisory_xact_lock`, in a fixed order), and only then inserts, so the ids are drawn under the
 * locks, which PostgreSQL releases only once the transaction has ended (its commit already visible). For one user:
 * an event with id q < r was drawn before r, so its transaction held the user's lock before r's did, and ended before
 * r's could draw r or commit. So whenever a reader's snapshot shows r, every earlier event of that user is committed
 * (and shown) or rolled back: `id > lastId` never skips one. Ids per user are delivered ascending, in commit order,
 * on the existing (user_id, id) index; the events table needs no new column.
 *
 * Conditions it rests on:
 * - every insert into `events` goes through appendEvents (or takes the same locks first);
 * - the id sequence hands out values in time order across sessions (an identity's default `CACHE 1`);
 * - appendEvents runs once per transaction, as its last write, so the locks are held only for the commit and are
 *   always taken in one order (two calls in one transaction could take them out of order and deadlock): the store's
 *   appends (events.ts) keep their rows and write them together at the end of the transaction (`lastWrite`).
 * Appends for one user wait for each other's commit; appends for different users do not.
 *
 * Rejected: reading only below the oldest transaction in flight (`pg_snapshot_xmin(pg_current_snapshot())`, rows
 * stamped with their xid and read in (xid, id) order). That bound counts every transaction on the server, in every
 * database: a long upload, a migration or another application's batch job holds every stream back for as long as it
 * runs. Its test here failed exactly so when other test files ran beside it on the same server.
 */
import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { postgresDialect } from '../dialect.js';
import { wakeQuery } from './wakeups.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor = Pick<NodePgDatabase<any>, 'execute'>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Writer = Pick<NodePgDatabase<any>, 'execute' | 'insert'>;

/** The first half of every user's event lock (the second is `hashtext(user_id)`), apart from other advisory locks. */
export const EVENT_LOCK_SPACE = 0x5ec0_00e7;

/**
 * Takes the users' event locks until the transaction ends, in ascending key order (so two appends never deadlock).
 * appendEvents takes them in its one statement instead; this is for a caller that must hold them before other work.
 */
export async function lockUsersForEvents(tx: Executor, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  await tx.execute(sql`SELECT count(*) FROM (${lockedKeys(userIds)}) locked`);
}

/**
 * A query that takes the event lock of each of `userIds`, one row per lock, in ascending key order: the keys are
 * sorted in a subquery the planner cannot flatten (OFFSET 0), and the locks taken one row at a time above it.
 */
function lockedKeys(userIds: string[]) {
  return sql`SELECT pg_advisory_xact_lock(${EVENT_LOCK_SPACE}, key) FROM (
      SELECT DISTINCT hashtext(value) AS key FROM ${postgresDialect.jsonEach(sql`${JSON.stringify(userIds)}`)} ORDER BY key OFFSET 0
    ) keys`;
}

/** What the events table's created_at defaults to (schema.ts), for rows appended without one. */
const NOW_TEXT = sql`to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Appends events in the caller's transaction, under their users' locks, and wakes their users' streams on every
 * instance once it commits (wakeups.ts). Returns the new ids, in the order of `rows`. Call it once per transaction,
 * as its last write.
 *
 * One statement, one round trip: the locks (in key order), the insert and the notifications. The locks are taken
 * before any id is drawn: the inserted rows are joined with the count of locks taken, an aggregate that yields its
 * one row only after every lock is held, and the ids (the column's default) are drawn for the joined rows, in the
 * order of `rows`. The notifications are sent by a subquery of the same statement; they are delivered at commit
 * like any other. Four statements and more before (the keys, one per lock, the insert, one per notification), each
 * a round trip made while the locks were held.
 */
export async function appendEvents(tx: Writer, rows: { userId: string; type: string; data: string; createdAt?: string }[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const users = rows.map((r) => r.userId);
  const values = JSON.stringify(rows.map((r) => [r.userId, r.type, r.data, r.createdAt ?? null]));
  const { rows: ids } = await tx.execute<{ id: number }>(sql`
    WITH locked AS MATERIALIZED (${lockedKeys(users)}),
    appended AS (
      INSERT INTO events (user_id, type, data, created_at)
      SELECT e.value->>0, e.value->>1, e.value->>2, coalesce(e.value->>3, ${NOW_TEXT})
      FROM json_array_elements(${values}::json) WITH ORDINALITY AS e(value, n)
      CROSS JOIN (SELECT count(*) AS held FROM locked) l
      ORDER BY e.n
      RETURNING id
    ),
    woken AS MATERIALIZED (${wakeQuery(users)})
    SELECT id FROM appended WHERE (SELECT count(*) FROM woken) >= 0 ORDER BY id`);
  return ids.map((r) => Number(r.id));
}

export interface FeedEvent {
  id: number;
  type: string;
  data: string;
  createdAt: string;
}

/** The bound on a page of the feed. */
export const FEED_PAGE_MAX = 1000;

/**
 * Up to `limit` of `userId`'s events after the one with id `lastId` (from the first with null), ascending. Ask again
 * with the last id returned.
 */
export async function readEventsAfter(db: Executor, userId: string, lastId: number | null, limit = 100): Promise<FeedEvent[]> {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > FEED_PAGE_MAX) throw new RangeError(`limit must be 1..${FEED_PAGE_MAX}`);
  const result = await db.execute<{ id: string; type: string; data: string; created_at: string }>(sql`
    SELECT id, type, data, created_at FROM events
    WHERE user_id = ${userId} AND id > ${lastId ?? 0}
    ORDER BY id
    LIMIT ${limit}`);
  return result.rows.map((r) => ({ id: Number(r.id), type: r.type, data: r.data, createdAt: r.created_at }));
}
