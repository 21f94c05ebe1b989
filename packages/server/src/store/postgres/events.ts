/**
 * The event feed on PostgreSQL: store/sqlite/events.ts, the same three calls, with appends under their users' locks
 * (cluster/feed.ts) so that a reader's `id > lastId` never skips an event that commits late.
 */
import { eq, max } from 'drizzle-orm';
import type { NewEvent } from '../sqlite/events.js';
import type { PgDb } from './db.js';
import { appendEvents, readEventsAfter } from './cluster/feed.js';
import { events } from './schema.js';
import { lastWrite } from './transaction.js';

/**
 * Appends `rows` to their users' logs, in order, as the last write of the caller's transaction: the rows of every
 * append in one transaction are written together, at its end, so the users' event locks are taken once, in one
 * order (cluster/feed.ts). A message's notices and its events, appended one after the other, each taking their own
 * locks, deadlocked two messages written at once.
 */
export async function appendEventRows(db: PgDb, rows: NewEvent[], createdAt: string): Promise<void> {
  if (rows.length === 0) return;
  await lastWrite(
    db,
    writeEvents,
    rows.map((row) => ({ ...row, createdAt })),
  );
}

async function writeEvents(tx: PgDb, rows: (NewEvent & { createdAt: string })[]): Promise<void> {
  await appendEvents(tx, rows);
}

/** A user's events after `after`, oldest first, at most `limit`. */
export async function eventsAfter(db: PgDb, userId: string, after: number, limit: number): Promise<{ id: number; type: string; data: string }[]> {
  return (await readEventsAfter(db, userId, after, limit)).map(({ id, type, data }) => ({ id, type, data }));
}

/** The newest event id of a user (0 for none). */
export async function latestEventId(db: PgDb, userId: string): Promise<number> {
  const [row] = await db
    .select({ id: max(events.id) })
    .from(events)
    .where(eq(events.userId, userId));
  return row?.id ?? 0;
}
