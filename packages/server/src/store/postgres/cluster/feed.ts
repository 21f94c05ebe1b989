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
import { events } from '../schema.js';
import { notifyUsers } from './wakeups.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor = Pick<NodePgDatabase<any>, 'execute'>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Writer = Pick<NodePgDatabase<any>, 'execute' | 'insert'>;

/** The first half of every user's event lock (the second is `hashtext(user_id)`), apart from other advisory locks. */
export const EVENT_LOCK_SPACE = 0x5ec0_00e7;

/** Takes the users' event locks until the transaction ends, in ascending key order (so two appends never deadlock). */
export async function lockUsersForEvents(tx: Executor, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  const { rows } = await tx.execute<{ key: number }>(sql`
    SELECT DISTINCT hashtext(value) AS key FROM ${postgresDialect.jsonEach(sql`${JSON.stringify(userIds)}`)} ORDER BY key`);
  for (const { key } of rows) await tx.execute(sql`SELECT pg_advisory_xact_lock(${EVENT_LOCK_SPACE}, ${key})`);
}

/**
 * Appends events in the caller's transaction, under their users' locks, and wakes their users' streams on every
 * instance once it commits (wakeups.ts). Returns the new ids. Call it once per transaction, as its last write.
 */
export async function appendEvents(tx: Writer, rows: { userId: string; type: string; data: string; createdAt?: string }[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const users = rows.map((r) => r.userId);
  await lockUsersForEvents(tx, users);
  const ids = await tx.insert(events).values(rows).returning({ id: events.id });
  await notifyUsers(tx, users);
  return ids.map((r) => r.id);
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
