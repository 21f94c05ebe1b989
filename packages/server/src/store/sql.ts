/**
 * Raw SQL, for what the query builder cannot say (aggregates over visibility fragments, window
 * functions): the domain awaits it the same way whatever the store. Each store runs it through its
 * own Drizzle driver; on SQLite (better-sqlite3) the statement runs at once and the promise settles
 * with its rows.
 */
import type { SQL } from 'drizzle-orm';
import type { Db } from './sqlite/client.js';
import { isPostgres } from './runtime.js';
import { namedStatementRows } from './postgres/named.js';
import { keptStatementRows } from './sqlite/statements.js';

interface PgResult<T> {
  rows: T[];
  rowCount: number | null;
}
const onPostgres = <T>(db: Db, query: SQL) => (db as unknown as { execute: (q: SQL) => Promise<PgResult<T>> }).execute(query);

/** The rows of `query`. */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  if (isPostgres(db)) return (await onPostgres<T>(db, query)).rows;
  return db.all<T>(query);
}

/**
 * The rows of `query`, for a hot read whose text repeats with other values: its statement is kept prepared (per
 * SQLite connection and text; a named statement per pooled PostgreSQL connection) instead of being compiled on every
 * call. Only for texts of bounded variety: values go in as parameters, never into the text.
 */
export async function rowsOfKeptStatement<T>(db: Db, query: SQL): Promise<T[]> {
  if (isPostgres(db)) return (await namedStatementRows<T>(db, query)) ?? (await onPostgres<T>(db, query)).rows;
  return keptStatementRows<T>(db, query);
}

/** The first row of `query`, or undefined when it has none. */
export async function firstRow<T>(db: Db, query: SQL): Promise<T | undefined> {
  if (isPostgres(db)) return (await onPostgres<T>(db, query)).rows[0];
  return db.get<T>(query);
}

/** Runs a statement that returns no rows; the number of rows it changed. */
export async function execute(db: Db, query: SQL): Promise<number> {
  if (isPostgres(db)) return (await onPostgres<never>(db, query)).rowCount ?? 0;
  return db.run(query).changes;
}
