import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dialect } from '../dialect.js';
import { sqliteDialect } from './dialect.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** The SQL fragments of this store that differ between stores (store/dialect.ts). */
export const dialect: Dialect = sqliteDialect;

const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../../drizzle');

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

/** Work to run once the transaction open on a connection ends: on commit only, or in any case. */
export interface TransactionHooks {
  commit: (() => void)[];
  end: (() => void)[];
}

const hooks = new WeakMap<object, TransactionHooks>();

/**
 * Runs `fn` once the transaction open on `db` has committed, and never when it rolls back (nor when
 * the savepoint it was registered in rolls back); at once when none is open. For what must not be
 * seen before the data is (stream wake-ups, change versions of kept pages).
 */
export function afterCommit(db: Db, fn: () => void): void {
  const open = hooks.get(db.$client);
  if (open) open.commit.push(fn);
  else fn();
}

/** Runs `fn` once the transaction open on `db` has ended, committed or rolled back; at once when none is open. */
export function afterTransaction(db: Db, fn: () => void): void {
  const open = hooks.get(db.$client);
  if (open) open.end.push(fn);
  else fn();
}

/** Runs `fn` as the outermost transaction on `client`, then its hooks: commit hooks only when it committed. */
export function withHooks<T>(client: Database.Database, fn: (registered: TransactionHooks) => T): T {
  const registered: TransactionHooks = { commit: [], end: [] };
  hooks.set(client, registered);
  let committed = false;
  try {
    const value = fn(registered);
    committed = true;
    return value;
  } finally {
    hooks.delete(client);
    if (committed) runHooks(registered.commit);
    runHooks(registered.end);
  }
}

function runHooks(list: (() => void)[]): void {
  for (const hook of list) {
    try {
      hook();
    } catch (error) {
      // The transaction is over: a hook that fails must not turn a committed write into an error.
      console.error(`Work after a commit failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/**
 * Runs fn in one IMMEDIATE transaction: the write lock is taken up front, so two writers never
 * deadlock on a lock upgrade and no SQLITE_BUSY reaches a client. Inside a transaction already open,
 * a savepoint, rolled back alone (with the commit hooks registered in it) when fn throws.
 */
export function writeTx<T>(db: Db, fn: () => T): T {
  const client = db.$client;
  if (client.inTransaction) {
    const open = hooks.get(client);
    const mark = open?.commit.length ?? 0;
    try {
      return transactionOf(client)(fn) as T;
    } catch (error) {
      if (open) open.commit.length = mark;
      throw error;
    }
  }
  return withHooks(client, () => transactionOf(client).immediate(fn) as T);
}
