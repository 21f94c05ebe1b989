/**
 * Versions of "what a user could see has changed", kept in memory for caches of derived pages
 * (list-cache.ts). Three things move them:
 *
 * - an event appended to a user's log (realtime/fanout.ts), which every change a user may see writes
 *   in its own transaction. The user's counter moves once that transaction has committed (the store's
 *   `afterCommit`): a page computed from the data before the commit is kept under the version before,
 *   never under the new one, and a transaction that rolls back moves nothing;
 * - sign-in updating names, roles and memberships from a token (domain/users.ts);
 * - a write by another connection to the database file (an operator's sqlite3 session), seen through
 *   SQLite's data_version, which is read at most every OTHER_WRITES_CHECK_MS rather than per request.
 *
 * Sends are written by the writer thread (store/sqlite/writer-thread.ts) on a connection of its own: it reports
 * the users of each group commit's events, which move here before any of its callers is answered. Its
 * commits also move data_version; while it keeps writing, data_version cannot tell its commits from
 * an operator's, so a change seen there then expires every kept page at most every
 * THREAD_WRITES_CHECK_MS instead.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';

/** How stale a kept page may be after a write from outside the server's own connection. */
export const OTHER_WRITES_CHECK_MS = 100;
/** How stale a kept page may be after a write from outside while the writer thread keeps writing. */
export const THREAD_WRITES_CHECK_MS = 1_000;

interface Versions {
  sequence: number;
  users: Map<string, number>;
  directory: number;
  /** Moves when data_version shows a write this connection did not make and cannot account for. */
  otherWrites: number;
  otherWritesCheckedAt: number;
  dataVersion: number | null;
  /** The writer thread reported a commit since data_version was last read. */
  threadWrote: boolean;
  /** data_version moved while the writer thread wrote too: an outside write may be among its changes. */
  unsure: boolean;
  otherWritesAssumedAt: number;
}

const watchers = new WeakMap<object, (userIds: readonly string[]) => void>();

const all = new WeakMap<object, Versions>();

function versions(db: Db): Versions {
  let v = all.get(db.$client);
  if (!v) all.set(db.$client, (v = { sequence: 0, users: new Map(), directory: 0, otherWrites: 0, otherWritesCheckedAt: -Infinity, dataVersion: null, threadWrote: false, unsure: false, otherWritesAssumedAt: -Infinity }));
  return v;
}

/** Something these users may see was written (called where their events are appended). */
export function noteUserChanges(db: Db, userIds: readonly string[]): void {
  const v = versions(db);
  const sequence = ++v.sequence;
  for (const id of userIds) v.users.set(id, sequence);
  watchers.get(db.$client)?.(userIds);
}

/** Calls `fn` with the users of every change noted on this connection (the writer thread reports them). */
export function watchUserChanges(db: Db, fn: (userIds: readonly string[]) => void): void {
  watchers.set(db.$client, fn);
}

/** The writer thread committed changes whose users were noted here (noteUserChanges): not an outside write. */
export function noteThreadWrites(db: Db): void {
  versions(db).threadWrote = true;
}

/** Sign-in changed a user's name, role or memberships. */
export function noteDirectoryChange(db: Db): void {
  versions(db).directory++;
}

function expireAll(v: Versions, now: number): void {
  v.otherWrites++;
  v.unsure = false;
  v.otherWritesAssumedAt = now;
}

/** The version of everything `userId` could see; it differs from before whenever any of it may have changed. */
export function changeVersion(db: Db, userId: string): string {
  const v = versions(db);
  const now = performance.now();
  if (now - v.otherWritesCheckedAt >= OTHER_WRITES_CHECK_MS) {
    const d = db.get<{ d: number }>(sql`SELECT data_version AS d FROM pragma_data_version`)!.d;
    if (v.dataVersion !== null && d !== v.dataVersion) {
      if (v.threadWrote) v.unsure = true;
      else expireAll(v, now);
    }
    if (v.unsure && now - v.otherWritesAssumedAt >= THREAD_WRITES_CHECK_MS) expireAll(v, now);
    v.dataVersion = d;
    v.threadWrote = false;
    v.otherWritesCheckedAt = now;
  }
  return `${v.users.get(userId) ?? 0}:${v.directory}:${v.otherWrites}`;
}
