/**
 * Prepared statements, prepared once per connection and SQL text.
 *
 * Drizzle prepares every `db.get(sql…)` / `db.run(sql…)` anew; for the short statements of a send or
 * an inbox page, preparing costs more than running. These helpers turn the same `sql` templates into
 * the same text and parameters drizzle would, and keep the prepared statement. The text of a query
 * only varies with its shape (filters, the number of ids in an IN list), never with its values, so
 * the cache holds a few dozen entries; it is bounded all the same.
 */
import type { RunResult, Statement } from 'better-sqlite3';
import { SQL, StringChunk } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { Db } from './client.js';

const MAX_STATEMENTS = 512;
const dialect = new SQLiteSyncDialect();
const caches = new WeakMap<object, Map<string, Statement>>();

/** The prepared statement for `text` on this connection. */
export function prepared(db: Db, text: string): Statement {
  let cache = caches.get(db.$client);
  if (!cache) caches.set(db.$client, (cache = new Map()));
  let statement = cache.get(text);
  if (!statement) {
    // The oldest entry goes first; a statement in use elsewhere stays valid (it is only forgotten here).
    if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
    statement = db.$client.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

type Compiled = { sql: string; params: unknown[] };

/**
 * The text and parameters of `query` for the shapes our templates use (text, nested `sql`, `sql.raw`,
 * `sql.join`, values that are strings, numbers, big integers or null), or null for anything else.
 * drizzle's own builder gives the same for these (the test suite checks every query against it) but
 * took ~70 µs of a ~0.9 ms send in a profile, walking each fragment through its entity checks.
 */
function compile(query: SQL, out: Compiled): Compiled | null {
  if ((query as unknown as { shouldInlineParams: boolean }).shouldInlineParams) return null;
  for (const chunk of query.queryChunks as unknown[]) {
    if (chunk instanceof StringChunk) out.sql += chunk.value.join('');
    else if (chunk instanceof SQL) {
      if (!compile(chunk, out)) return null;
    } else if (chunk === null || typeof chunk === 'string' || typeof chunk === 'number' || typeof chunk === 'bigint') {
      out.sql += '?';
      out.params.push(chunk);
    } else if (chunk !== undefined) return null;
  }
  return out;
}

/** Under test, every query compiled here is held to drizzle's text and parameters (the whole suite checks it). */
const checkAgainstDrizzle = process.env.NODE_ENV === 'test';

/** The text and parameters to prepare and bind for `query`. */
export function toQuery(query: SQL): Compiled {
  const compiled = compile(query, { sql: '', params: [] });
  if (!compiled) return dialect.sqlToQuery(query);
  if (checkAgainstDrizzle) {
    const expected = dialect.sqlToQuery(query);
    if (expected.sql !== compiled.sql || expected.params.length !== compiled.params.length || expected.params.some((p, i) => !Object.is(p, compiled.params[i]))) {
      throw new Error(`compiled query differs from drizzle's: ${compiled.sql} / ${expected.sql}`);
    }
  }
  return compiled;
}

function bind(db: Db, query: SQL): { statement: Statement; params: unknown[] } {
  const { sql: text, params } = toQuery(query);
  return { statement: prepared(db, text), params };
}

export function cachedAll<T>(db: Db, query: SQL): T[] {
  const { statement, params } = bind(db, query);
  return statement.all(...params) as T[];
}

export function cachedGet<T>(db: Db, query: SQL): T | undefined {
  const { statement, params } = bind(db, query);
  return statement.get(...params) as T | undefined;
}

export function cachedRun(db: Db, query: SQL): RunResult {
  const { statement, params } = bind(db, query);
  return statement.run(...params);
}

/**
 * Changes whenever anything is written to the database: by this connection (every row changed, even
 * when rolled back, counts in total_changes()) or by another one (data_version). For caches of
 * derived data that must never be older than the last write.
 */
export function writeVersion(db: Db): string {
  const row = prepared(db, 'SELECT total_changes() AS t, data_version AS d FROM pragma_data_version').get() as { t: number; d: number };
  return `${row.t}:${row.d}`;
}
