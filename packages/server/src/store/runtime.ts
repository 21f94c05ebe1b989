/**
 * What the domain asks of the store its database belongs to, answered by that store: the domain is written once
 * against the `Db` type (Drizzle, typed by the SQLite schema; store/types.ts) and calls these, which run on the
 * SQLite store (store/sqlite/client.ts) or the PostgreSQL store (store/postgres/) as the database is one or the other.
 */
import { is, sql } from 'drizzle-orm';
import { PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Dialect } from './dialect.js';
import { postgresDialect } from './postgres/dialect.js';
import * as postgres from './postgres/transaction.js';
import * as sqlite from './sqlite/client.js';
import type { Db } from './sqlite/client.js';
import type { TransactionOptions } from './types.js';

type PgLike = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

/** Whether `db` is a PostgreSQL database (or one of its transactions). */
export function isPostgres(db: Db): boolean {
  return is(db, PgDatabase);
}

const pg = (db: Db) => db as unknown as PgLike;

/**
 * Runs `fn` in one write transaction (a savepoint inside one already open in the same async work) and settles
 * after its commit, then `options.afterCommit`; after its rollback when `fn` throws or rejects.
 */
export function transaction<T>(db: Db, fn: (tx: Db) => Promise<T> | T, options: TransactionOptions = {}): Promise<T> {
  if (isPostgres(db)) return postgres.transaction(pg(db), fn as unknown as (tx: PgLike) => Promise<T> | T, options);
  return sqlite.transaction(db, fn, options);
}

/** Runs `fn` in a transaction of its own once the one open here has ended (refusals' audit rows). */
export function transactionAfter<T>(db: Db, fn: (tx: Db) => Promise<T> | T): Promise<T> {
  if (isPostgres(db)) return postgres.transactionAfter(pg(db), fn as unknown as (tx: PgLike) => Promise<T> | T);
  return sqlite.transactionAfter(db, fn as (tx: Db) => T);
}

/** Runs `fn` once the transaction open on `db` has committed (never when it rolls back); at once when none is open. */
export function afterCommit(db: Db, fn: () => void): void {
  if (isPostgres(db)) postgres.afterCommit(fn);
  else sqlite.afterCommit(db, fn);
}

/** The object that stands for `db`'s database in this process, whichever connection or transaction `db` is. */
export function homeOf(db: Db): object {
  if (isPostgres(db)) return (postgres.rootOf(pg(db)) as unknown as { $client: object }).$client;
  return sqlite.homeOf(db);
}

/** The SQL fragments of `db`'s store that differ between stores. */
export function dialectOf(db: Db): Dialect {
  return isPostgres(db) ? postgresDialect : sqlite.dialect;
}

/**
 * A version of everything in `db`'s database, for caches of derived data that must never be older than the last write:
 * SQLite's (store/sqlite/client.ts `writeVersion`); null on PostgreSQL, which has no cheap one, so nothing is kept by it.
 */
export function writeVersion(db: Db): string | null {
  return isPostgres(db) ? null : sqlite.writeVersion(db);
}

/** The first half of the locks `serializeFor` takes (the second is `hashtext(key)`), apart from other advisory locks. */
const SERIALIZE_LOCK_SPACE = 0x5ec0_0a7c;

/**
 * Makes the transaction open on `db` the only one working on `key` until it ends (a check then a write that must not
 * interleave with another's, such as an uploader's quota). On SQLite one transaction writes at a time already; on
 * PostgreSQL, where transactions run side by side on every instance, a transaction-level advisory lock.
 */
export async function serializeFor(db: Db, key: string): Promise<void> {
  if (isPostgres(db)) await pg(db).execute(sql`SELECT pg_advisory_xact_lock(${SERIALIZE_LOCK_SPACE}, hashtext(${key}))`);
}
