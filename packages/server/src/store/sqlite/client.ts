import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dialect } from '../store/dialect.js';
import { sqliteDialect } from '../store/sqlite/dialect.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** The SQL fragments of this store that differ between stores (store/dialect.ts). */
export const dialect: Dialect = sqliteDialect;

const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/**
 * Opens the one writer connection, set up for a server: WAL, foreign keys, a busy timeout, and
 * migrations applied. In WAL mode `synchronous=NORMAL` keeps every commit through a crash of the
 * process (kill -9): the commit is in the WAL file before the write returns; only a power cut can
 * lose the last commits, which `FULL` prevents at the price of a disk flush per transaction.
 */
export function openDb(file: string, options: { synchronous?: 'normal' | 'full'; migrate?: boolean } = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('cache_size = -32000');
  sqlite.pragma('temp_store = MEMORY');
  const db = drizzle(sqlite, { schema, casing: 'snake_case' }) as Db;
  if (options.migrate !== false) migrate(db, { migrationsFolder });
  return db;
}

const runners = new WeakMap<Database.Database, Database.Transaction<(fn: () => unknown) => unknown>>();

/**
 * Runs `fn` in a transaction on `client`, or in a savepoint when one is open (rolled back alone when
 * `fn` throws); `.immediate(fn)` takes the write lock up front. One wrapper per connection:
 * better-sqlite3's `transaction(fn)` builds four functions and defines their properties on every call,
 * ~5% of the writer thread's time when it ran twice per send.
 */
export function transactionOf(client: Database.Database): Database.Transaction<(fn: () => unknown) => unknown> {
  let runner = runners.get(client);
  if (!runner) runners.set(client, (runner = client.transaction((fn: () => unknown) => fn())));
  return runner;
}

/**
 * Changes whenever anything is written to the database: by this connection (every row changed, even
 * when rolled back, counts in total_changes()) or by another one (data_version). For caches of
 * derived data that must never be older than the last write.
 */
export function writeVersion(db: Db): string {
  const row = db.get<{ t: number; d: number }>(sql`SELECT total_changes() AS t, data_version AS d FROM pragma_data_version`)!;
  return `${row.t}:${row.d}`;
}

/**
 * Runs fn in one IMMEDIATE transaction: the write lock is taken up front, so two writers never
 * deadlock on a lock upgrade and no SQLITE_BUSY reaches a client.
 */
export function writeTx<T>(db: Db, fn: () => T): T {
  return transactionOf(db.$client).immediate(fn) as T;
}
