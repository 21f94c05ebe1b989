/**
 * Statements of raw SQL kept prepared per SQLite connection and text, for the few hot reads whose text repeats with
 * other values (the inbox page). `db.all(sql…)` builds the text and has SQLite compile it on every call; for the
 * inbox page, compiling cost more than running it (docs/performance.md, change 46). Bounded: the oldest text
 * is forgotten first.
 */
import type { SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type Database from 'better-sqlite3';
import type { Db } from './client.js';

const MAX_STATEMENTS = 256;
const dialect = new SQLiteSyncDialect({ casing: 'snake_case' });
const kept = new WeakMap<object, Map<string, Database.Statement>>();

/** The rows of `query`, as `db.all(query)` gives them, its statement prepared once per connection and text. */
export function keptStatementRows<T>(db: Db, query: SQL): T[] {
  const client = db.$client;
  const { sql: text, params } = dialect.sqlToQuery(query);
  let statements = kept.get(client);
  if (!statements) kept.set(client, (statements = new Map()));
  let statement = statements.get(text);
  if (statement) {
    // Most recently used last: the map's first entries are the ones to forget first.
    statements.delete(text);
  } else {
    if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value!);
    statement = client.prepare(text);
  }
  statements.set(text, statement);
  return statement.all(...params) as T[];
}
