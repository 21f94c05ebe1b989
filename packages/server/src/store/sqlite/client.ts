import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dialect } from '../dialect.js';
import type { TransactionOptions } from '../types.js';
import { sqliteDialect } from './dialect.js';
import * as schema from './schema.js';
import { runHooks } from '../hooks.js';

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
  const db = connect(file, options.synchronous);
  if (options.migrate !== false) migrate(db, { migrationsFolder });
  return db;
}

function connect(file: string, synchronous: 'normal' | 'full' | undefined): Db {
  const sqlite = new Database(file);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('cache_size = -32000');
    sqlite.pragma('temp_store = MEMORY');
  } catch (error) {
    sqlite.close();
    throw error;
  }
  return drizzle(sqlite, { schema, casing: 'snake_case' }) as Db;
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

/**
 * Runs `fn`, which opens and ends the outermost transaction on `client` itself (a group commit on a connection
 * of its own, group-commit.ts), then the work registered for after it: after the commit only when `fn` settled.
 */
export async function withHooks<T>(client: Database.Database, fn: (registered: TransactionHooks) => Promise<T>): Promise<T> {
  const registered: TransactionHooks = { commit: [], end: [] };
  hooks.set(client, registered);
  let committed = false;
  try {
    const value = await fn(registered);
    committed = true;
    return value;
  } finally {
    hooks.delete(client);
    if (committed) runHooks(registered.commit);
    runHooks(registered.end);
  }
}

// ------------------------------------------------------------------ async transactions

/**
 * Where the async transactions of a database run (`transaction`): for a database file, a connection of
 * their own beside the one that serves reads, so that nothing read outside a transaction ever sees rows
 * of one still open (WAL: each connection reads the last commit); for an in-memory database, which has
 * one connection, that connection. One transaction at a time holds the lane; the others wait their turn
 * in order of arrival.
 */
interface Lane {
  /** The connection serving reads. */
  home: Database.Database;
  tx: Db;
  held: boolean;
  waiting: (() => void)[];
}

/** One outermost transaction, while it is open. */
interface Frame {
  lane: Lane;
  open: boolean;
}

const lanes = new WeakMap<Database.Database, Lane>();
/** The connection serving reads that a transaction connection belongs to. */
const homes = new WeakMap<Database.Database, Database.Database>();
/** The transaction the current async work runs in. */
const current = new AsyncLocalStorage<Frame>();

/**
 * The connection that identifies `db`'s database in this process: itself, or for the connection async
 * transactions run on, the one beside it that serves reads. Per-database state (event buses, change
 * versions, kept pages) is keyed by it, so that it is the same whichever connection wrote.
 */
export function homeOf(db: Db): Database.Database {
  return homes.get(db.$client) ?? db.$client;
}

function laneOf(db: Db): Lane {
  const home = homeOf(db);
  let lane = lanes.get(home);
  if (!lane) {
    let tx = db;
    if (!home.memory) {
      tx = connect(home.name, home.pragma('synchronous', { simple: true }) === 2 ? 'full' : 'normal');
      // A file opened read-only here is written through neither connection.
      if (home.readonly) tx.$client.pragma('query_only = ON');
      homes.set(tx.$client, home);
    }
    lanes.set(home, (lane = { home, tx, held: false, waiting: [] }));
  }
  return lane;
}

/** The connections of `db`'s database in this process: the one serving reads and, for a file, the transactions' own (opened here if need be). */
export function connectionsOf(db: Db): Database.Database[] {
  const home = homeOf(db);
  const lane = laneOf(db);
  return lane.tx.$client !== home ? [home, lane.tx.$client] : [home];
}

/** Closes the connection `db`'s async transactions ran on, when it has one of its own (the store closes it with `db`). */
export function closeLane(db: Db): void {
  const home = homeOf(db);
  const lane = lanes.get(home);
  lanes.delete(home);
  if (lane && lane.tx.$client !== home) lane.tx.$client.close();
}

/** Told of each commit of an async transaction on a connection of its own (domain/change-versions.ts). */
export interface LaneCommits {
  /** Just before the COMMIT: the transaction holds the write lock, nothing else commits before it. */
  before(home: Database.Database): void;
  /** Just after the COMMIT. */
  after(home: Database.Database): void;
}

let laneCommits: LaneCommits | null = null;

export function observeLaneCommits(observer: LaneCommits): void {
  laneCommits = observer;
}

let savepoints = 0;

/**
 * Runs `fn` in one IMMEDIATE write transaction of `db`'s database and settles after its COMMIT (then
 * `options.afterCommit` and the work `afterCommit` registered in it), or after its ROLLBACK when `fn`
 * throws or rejects. Inside a transaction already open (in the same async work), a savepoint, rolled
 * back alone with the work after commit registered in it.
 *
 * Transactions hold their lane one at a time, in order of arrival, on a connection of their own for a
 * database file (`Lane`): reads outside them never see their rows before the commit, nor ever rows
 * rolled back. A body that returns without awaiting runs and commits before this returns when nothing
 * holds the lane. A body awaits only its own queries: while it awaits, it holds the write lock, and a
 * write of this thread outside `transaction` would wait for it, blocking the thread for up to the busy
 * timeout. So every write of this thread goes through `transaction`, the sends' group commits included
 * (group-commit.ts); only the writer thread, which nothing else writes on, runs its groups on its own
 * connection directly.
 */
export function transaction<T>(db: Db, fn: (tx: Db) => Promise<T> | T, options: TransactionOptions = {}): Promise<T> {
  const frame = current.getStore();
  let lane: Lane;
  try {
    lane = laneOf(db);
  } catch (error) {
    // A database file this process cannot open again (removed, read-only): the caller's error, as from the commit.
    return Promise.reject(error);
  }
  if (frame?.open && frame.lane === lane) return savepoint(lane, frame, fn, options);
  if (!lane.held) {
    lane.held = true;
    return run(lane, fn, options);
  }
  return new Promise<void>((resolve) => lane.waiting.push(resolve)).then(() => run(lane, fn, options));
}

/**
 * Runs `fn` in a transaction of its own (`transaction`), never inside one open here: once the transaction
 * open in this async work on `db`'s lane, or the synchronous one open on `db`'s connection, has ended,
 * committed or rolled back; at once when none is open (before this returns when nothing holds the lane).
 * For rows that must be written whatever becomes of the work that asked for them (refusals' audit rows).
 */
export function transactionAfter<T>(db: Db, fn: (tx: Db) => Promise<T> | T): Promise<T> {
  let lane: Lane;
  try {
    lane = laneOf(db);
  } catch (error) {
    return Promise.reject(error);
  }
  const frame = current.getStore();
  const open = frame?.open && frame.lane === lane ? hooks.get(lane.tx.$client) : db.$client.inTransaction ? hooks.get(db.$client) : undefined;
  if (!open) return transaction(db, fn);
  return new Promise<T>((resolve, reject) => open.end.push(() => void transaction(db, fn).then(resolve, reject)));
}

/** Settles once every transaction of `db`'s database waiting for the lane when called has ended. */
export function laneDrained(db: Db): Promise<void> {
  return transaction(db, () => undefined).catch(() => undefined);
}

/** Hands the lane to the next transaction waiting, or frees it. */
function release(lane: Lane): void {
  const next = lane.waiting.shift();
  if (next) next();
  else lane.held = false;
}

/** Runs the outermost transaction; the lane is held. */
function run<T>(lane: Lane, fn: (tx: Db) => Promise<T> | T, options: TransactionOptions): Promise<T> {
  const client = lane.tx.$client;
  const registered: TransactionHooks = { commit: [], end: [] };
  const frame: Frame = { lane, open: true };
  let committed = false;
  const end = () => {
    frame.open = false;
    if (client.inTransaction) client.exec('ROLLBACK');
    hooks.delete(client);
    if (committed) runHooks(registered.commit);
    runHooks(registered.end);
    release(lane);
  };
  const commit = (value: T): T => {
    if (options.afterCommit) registered.commit.push(options.afterCommit);
    const observed = client !== lane.home ? laneCommits : null;
    observed?.before(lane.home);
    client.exec('COMMIT');
    committed = true;
    observed?.after(lane.home);
    return value;
  };
  let result: Promise<T> | T;
  try {
    client.exec('BEGIN IMMEDIATE');
    hooks.set(client, registered);
    result = current.run(frame, () => fn(lane.tx));
    if (!isThenable(result)) result = commit(result);
  } catch (error) {
    end();
    return Promise.reject(error);
  }
  if (!isThenable(result)) {
    end();
    return Promise.resolve(result);
  }
  return Promise.resolve(result).then(commit).finally(end);
}

async function savepoint<T>(lane: Lane, frame: Frame, fn: (tx: Db) => Promise<T> | T, options: TransactionOptions): Promise<T> {
  const client = lane.tx.$client;
  const registered = hooks.get(client)!;
  const mark = registered.commit.length;
  const name = `nested_${++savepoints}`;
  client.exec(`SAVEPOINT ${name}`);
  try {
    const value = await current.run(frame, () => fn(lane.tx));
    client.exec(`RELEASE ${name}`);
    if (options.afterCommit) registered.commit.push(options.afterCommit);
    return value;
  } catch (error) {
    if (client.inTransaction) {
      client.exec(`ROLLBACK TO ${name}`);
      client.exec(`RELEASE ${name}`);
    }
    registered.commit.length = mark;
    throw error;
  }
}

function isThenable<T>(value: Promise<T> | T): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
