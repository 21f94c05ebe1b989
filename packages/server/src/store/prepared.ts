/**
 * Drizzle prepared queries (`.prepare()` with `sql.placeholder`) for the busy paths, kept per
 * SQLite connection: a send and a stream's per-event read run the same few statements thousands of times a
 * second, and preparing them each time (Drizzle builds the text, SQLite compiles it) cost more than
 * running them (docs/performance.md). Everything else runs through `db.get/all/run` or the builder
 * as is. Entries are named by their callers (a name per query shape), so the cache holds a few dozen;
 * it is bounded all the same.
 */
import { connectionOf } from './postgres/transaction.js';
import { isPostgres } from './runtime.js';
import type { Db } from './sqlite/client.js';

const MAX_QUERIES = 256;
const caches = new WeakMap<object, Map<string, unknown>>();

/**
 * The prepared query named `key` on this connection, built by `build` the first time. On PostgreSQL, kept per
 * pooled connection (store/postgres/transaction.ts `connectionOf`): a query built on a connection runs there, inside
 * the transaction open on it, so it is built on that connection, never on the pool. Built each time for a
 * transaction begun elsewhere. Building Drizzle queries cost a send on PostgreSQL more of the server's CPU than any
 * statement it ran (docs/performance.md, change 48).
 */
export function prepareOnce<T>(db: Db, key: string, build: (db: Db) => T): T {
  let home: Db = db;
  if (isPostgres(db)) {
    const connection = connectionOf(db as unknown as Parameters<typeof connectionOf>[0]);
    if (!connection) return build(db);
    home = connection as unknown as Db;
  }
  const owner: object = isPostgres(home) ? home : home.$client;
  let cache = caches.get(owner);
  if (!cache) caches.set(owner, (cache = new Map()));
  let query = cache.get(key) as T | undefined;
  if (query === undefined) {
    // The oldest entry goes first; a query still held elsewhere stays valid (it is only forgotten here).
    if (cache.size >= MAX_QUERIES) cache.delete(cache.keys().next().value!);
    query = build(home);
    cache.set(key, query);
  }
  return query;
}
