/**
 * A user's events after `lastId`, safe although sequence values commit out of order.
 *
 * The problem: T1 draws event id 1, T2 draws id 2 and commits first. A reader that asks for `id > 0` then sees 2,
 * moves its cursor to 2, and never sees 1 once T1 commits. On SQLite one writer commits in id order; here it does not.
 *
 * The scheme: every event row carries the id of the transaction that wrote it (`xid xid8 DEFAULT
 * pg_current_xact_id()`, EVENTS_XID_DDL), and the feed is read in (xid, id) order and only below the oldest
 * transaction still in flight, `pg_snapshot_xmin(pg_current_snapshot())`, taken from the snapshot the query itself
 * reads with. Every transaction with an xid below that bound has ended (committed, and so visible to the query, or
 * rolled back), and every transaction still running or yet to start has an xid at or above it. So the rows below the
 * bound are final: none can appear later between two rows already read, and a cursor (xid, id) never moves past a
 * row that has yet to commit. Rows of a transaction still in flight wait until it ends, however their ids compare.
 *
 * What this costs:
 * - Ids are delivered in commit-safe order, not always ascending: in the example above 1 may come before or after 2,
 *   depending on which transaction got its xid first. API.md only asks that `Last-Event-ID` resumes after the
 *   event it names; `lastId` is turned back into its (xid, id) position by looking up its row. When that row is gone
 *   (pruned, or not the user's), the feed falls back to `id > lastId`.
 * - A long write transaction anywhere on the server holds the bound back and delays (never loses) every feed until
 *   it ends; keep write transactions short (`idle_in_transaction_session_timeout`).
 * - Read outside a transaction that has written: a transaction's own xid does not hold its snapshot's xmin back.
 * - xid8 is 64 bits with the epoch, so it does not wrap around.
 */
import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { events } from '../schema.js';
import { notifyUsers } from './wakeups.js';

/** What the events table needs for this feed (the statements a migration of drizzle-pg/ would run). */
export const EVENTS_XID_DDL = [
  'ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()',
  'CREATE INDEX events_user_xid_idx ON events (user_id, xid, id)',
] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor = Pick<NodePgDatabase<any>, 'execute'>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Writer = Pick<NodePgDatabase<any>, 'execute' | 'insert'>;

/**
 * Appends events in the caller's transaction and wakes their users' streams on every instance once it commits
 * (wakeups.ts). Returns the new ids.
 */
export async function appendEvents(tx: Writer, rows: { userId: string; type: string; data: string }[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const ids = await tx.insert(events).values(rows).returning({ id: events.id });
  await notifyUsers(tx, rows.map((r) => r.userId));
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
 * Up to `limit` of `userId`'s events after the one with id `lastId` (from the first with null), in (xid, id) order,
 * none of them written by a transaction that might still be followed by an earlier one. Ask again with the last id
 * returned; an empty page means nothing is final yet, not that nothing was written.
 */
export async function readEventsAfter(db: Executor, userId: string, lastId: number | null, limit = 100): Promise<FeedEvent[]> {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > FEED_PAGE_MAX) throw new RangeError(`limit must be 1..${FEED_PAGE_MAX}`);
  // The position of `lastId` in the feed's order, looked up apart:
  // the read below is then bounded on the (user_id, xid, id) index alone.
  let after = sql`true`;
  if (lastId !== null) {
    const { rows } = await db.execute<{ xid: string }>(sql`SELECT xid::text FROM events WHERE id = ${lastId} AND user_id = ${userId}`);
    after = rows[0] ? sql`(e.xid, e.id) > (${rows[0].xid}::xid8, ${lastId})` : sql`e.id > ${lastId}`;
  }
  const result = await db.execute<{ id: string; type: string; data: string; created_at: string }>(sql`
    SELECT e.id, e.type, e.data, e.created_at FROM events e
    WHERE e.user_id = ${userId}
      AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
      AND ${after}
    ORDER BY e.xid, e.id
    LIMIT ${limit}`);
  return result.rows.map((r) => ({ id: Number(r.id), type: r.type, data: r.data, createdAt: r.created_at }));
}
