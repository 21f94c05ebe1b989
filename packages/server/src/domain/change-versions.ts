/**
 * Versions of "what a user could see has changed", kept in memory for caches of derived pages
 * (list-cache.ts). Three things move them:
 *
 * - an event appended to a user's log (realtime/fanout.ts), which every change a user may see writes
 *   in its own transaction. The user's counter moves when the event is written, before the commit:
 *   writes run in one synchronous transaction, so no read comes between, and a transaction that
 *   rolls back only costs a recomputation;
 * - sign-in updating names, roles and memberships from a token (domain/users.ts);
 * - a write by another connection to the database file (an operator's sqlite3 session), seen through
 *   SQLite's data_version, which is read at most every OTHER_WRITES_CHECK_MS rather than per request.
 */
import { prepared } from '../db/cached.js';
import type { Db } from '../db/client.js';

/** How stale a kept page may be after a write from outside the server's own connection. */
export const OTHER_WRITES_CHECK_MS = 100;

interface Versions {
  sequence: number;
  users: Map<string, number>;
  directory: number;
  otherWrites: number;
  otherWritesCheckedAt: number;
}

const all = new WeakMap<object, Versions>();

function versions(db: Db): Versions {
  let v = all.get(db.$client);
  if (!v) all.set(db.$client, (v = { sequence: 0, users: new Map(), directory: 0, otherWrites: 0, otherWritesCheckedAt: -Infinity }));
  return v;
}

/** Something these users may see was written (called where their events are appended). */
export function noteUserChanges(db: Db, userIds: readonly string[]): void {
  const v = versions(db);
  const sequence = ++v.sequence;
  for (const id of userIds) v.users.set(id, sequence);
}

/** Sign-in changed a user's name, role or memberships. */
export function noteDirectoryChange(db: Db): void {
  versions(db).directory++;
}

/** The version of everything `userId` could see; it differs from before whenever any of it may have changed. */
export function changeVersion(db: Db, userId: string): string {
  const v = versions(db);
  const now = performance.now();
  if (now - v.otherWritesCheckedAt >= OTHER_WRITES_CHECK_MS) {
    v.otherWrites = (prepared(db, 'SELECT data_version AS d FROM pragma_data_version').get() as { d: number }).d;
    v.otherWritesCheckedAt = now;
  }
  return `${v.users.get(userId) ?? 0}:${v.directory}:${v.otherWrites}`;
}
