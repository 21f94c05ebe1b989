import type { Statement } from 'better-sqlite3';
import { fillPlaceholders, type SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client.js';

const caches = new WeakMap<object, Map<string, Statement>>();

/**
 * A prepared statement, prepared once per connection. The per-message fan-out and the event streams
 * run the same few queries thousands of times a second, where preparing each time costs more than
 * running them.
 */
export function statement(db: Db, source: string): Statement {
  let cache = caches.get(db.$client);
  if (!cache) caches.set(db.$client, (cache = new Map()));
  let prepared = cache.get(source);
  if (!prepared) cache.set(source, (prepared = db.$client.prepare(source)));
  return prepared;
}

const dialect = new SQLiteSyncDialect();

/**
 * Compiles a drizzle `sql` query once and returns a function that runs it with the given placeholder values. For
 * queries built per stream (for one viewer), run on every event: building the SQL text each time cost more than
 * running it.
 */
export function compileCached<T>(db: Db, query: SQL): (values: Record<string, unknown>) => T[] {
  const { sql: source, params } = dialect.sqlToQuery(query);
  const prepared = statement(db, source);
  return (values) => prepared.all(...fillPlaceholders(params, values)) as T[];
}
