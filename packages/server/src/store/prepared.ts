/**
 * Drizzle prepared queries (`.prepare()` with `sql.placeholder`) for the busy paths, kept per
 * SQLite connection: a send and a stream's per-event read run the same few statements thousands of times a
 * second, and preparing them each time (Drizzle builds the text, SQLite compiles it) cost more than
 * running them (docs/performance.md). Everything else runs through `db.get/all/run` or the builder
 * as is. Entries are named by their callers (a name per query shape), so the cache holds a few dozen;
 * it is bounded all the same.
 */
import { isPostgres } from './runtime.js';
import type { Db } from './sqlite/client.js';

const MAX_QUERIES = 256;
const caches = new WeakMap<object, Map<string, unknown>>();

/**
 * The prepared query named `key` on this connection, built by `build` the first time. On PostgreSQL, built each
 * time: a query prepared on the pool would not run in the transaction `db` may be, and node-postgres prepares
 * a statement per connection anyway.
 */
export function prepareOnce<T>(db: Db, key: string, build: (db: Db) => T): T {
  if (isPostgres(db)) return build(db);
  let cache = caches.get(db.$client);
  if (!cache) caches.set(db.$client, (cache = new Map()));
  let query = cache.get(key) as T | undefined;
  if (query === undefined) {
    // The oldest entry goes first; a query still held elsewhere stays valid (it is only forgotten here).
    if (cache.size >= MAX_QUERIES) cache.delete(cache.keys().next().value!);
    query = build(db);
    cache.set(key, query);
  }
  return query;
}
