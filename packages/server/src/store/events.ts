/**
 * The event feed (the per-user durable log that live streams read and replay with Last-Event-ID), from the store
 * `db` belongs to: store/sqlite/events.ts or store/postgres/events.ts, the same three calls.
 */
import type { PgDb } from './postgres/db.js';
import * as postgres from './postgres/events.js';
import { isPostgres } from './runtime.js';
import type { Db } from './sqlite/client.js';
import * as sqlite from './sqlite/events.js';

export type { NewEvent } from './sqlite/events.js';

const pg = (db: Db) => db as unknown as PgDb;

/** Appends `rows` to their users' logs, in order, in the caller's transaction (its last write). */
export function appendEventRows(db: Db, rows: sqlite.NewEvent[], createdAt: string): Promise<void> {
  return isPostgres(db) ? postgres.appendEventRows(pg(db), rows, createdAt) : sqlite.appendEventRows(db, rows, createdAt);
}

/** A user's events after `after`, oldest first, at most `limit`. */
export function eventsAfter(db: Db, userId: string, after: number, limit: number): Promise<{ id: number; type: string; data: string }[]> {
  return isPostgres(db) ? postgres.eventsAfter(pg(db), userId, after, limit) : sqlite.eventsAfter(db, userId, after, limit);
}

/** The newest event id of a user (0 for none): where a stream without Last-Event-ID starts. */
export function latestEventId(db: Db, userId: string): Promise<number> {
  return isPostgres(db) ? postgres.latestEventId(pg(db), userId) : sqlite.latestEventId(db, userId);
}
