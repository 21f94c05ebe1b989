/**
 * The event feed on SQLite: the per-user durable log (`events`) that live streams read and replay
 * (`Last-Event-ID`). Appending is one prepared statement for all of a change's events, whatever their
 * number (a new message's reach ten or so users twice): a statement per event cost a send ~25% more
 * of the writer thread's time (docs/performance.md, change 39).
 */
import { and, asc, eq, gt, max, sql } from 'drizzle-orm';
import { prepareOnce } from '../prepared.js';
import type { Db } from './client.js';
import { events } from './schema.js';

export interface NewEvent {
  userId: string;
  type: string;
  /** The event's data, as JSON. */
  data: string;
}

/** Appends `rows` to their users' logs, in order, in the caller's transaction. */
export async function appendEventRows(db: Db, rows: NewEvent[], createdAt: string): Promise<void> {
  if (rows.length === 0) return;
  const append = prepareOnce(db, 'events.append', (db) =>
    db
      .insert(events)
      // Every column in the table's order (Drizzle's INSERT … SELECT), the id left to SQLite.
      .select(sql`SELECT NULL, value ->> 0, value ->> 1, value ->> 2, ${sql.placeholder('createdAt')} FROM json_each(${sql.placeholder('rows')})`)
      .prepare(),
  );
  await append.execute({ rows: JSON.stringify(rows.map((r) => [r.userId, r.type, r.data])), createdAt });
}

/** A user's events after `after`, oldest first, at most `limit`: every stream's read on every wake-up. */
export async function eventsAfter(db: Db, userId: string, after: number, limit: number): Promise<{ id: number; type: string; data: string }[]> {
  return prepareOnce(db, 'events.after', (db) =>
    db
      .select({ id: events.id, type: events.type, data: events.data })
      .from(events)
      .where(and(eq(events.userId, sql.placeholder('userId')), gt(events.id, sql.placeholder('after'))))
      .orderBy(asc(events.id))
      .limit(sql.placeholder('limit'))
      .prepare(),
  ).execute({ userId, after, limit });
}

/** The newest event id of a user (0 for none): where a stream without Last-Event-ID starts. */
export async function latestEventId(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ id: max(events.id) })
    .from(events)
    .where(eq(events.userId, userId));
  return row?.id ?? 0;
}
