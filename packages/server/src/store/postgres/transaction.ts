/**
 * Transactions on the PostgreSQL store, with the meaning store/sqlite/client.ts `transaction` gives them on SQLite:
 * one outermost transaction per async work, a savepoint for one begun inside it (rolled back alone with the work
 * after commit registered in it), and work after the commit that runs only once the data is there for everyone.
 * The transaction the current async work runs in is found through AsyncLocalStorage, so a body that calls domain
 * code which begins a transaction of its own nests instead of taking a second connection from the pool.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { TransactionOptions } from '../types.js';
import { runHooks } from '../hooks.js';
import { onOneConnection, type PgDb } from './db.js';

type PgLike = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

interface Hooks {
  commit: (() => void)[];
  end: (() => void)[];
  /** Rows kept for one write at the end of the transaction, by the function that writes them (`lastWrite`). */
  last: Map<LastWrite, unknown[]>;
}

/** A writer of kept rows, as `lastWrite` keeps it: each is called back with the rows kept for it, which it gave. */
type LastWrite = (tx: PgLike, rows: unknown[]) => Promise<void>;

/** One transaction or savepoint, while it is open. */
interface Frame {
  /** The database the outermost transaction was begun on (its pool). */
  root: PgLike;
  tx: PgLike;
  hooks: Hooks;
  /** Whether this transaction or savepoint is still open. */
  open: boolean;
  /** The outermost transaction's frame (itself for the outermost). */
  outer: { open: boolean };
}

/** The frame of the current async work, while it and the transaction around it are open. */
function openFrame(): Frame | undefined {
  const frame = current.getStore();
  return frame?.open && frame.outer.open ? frame : undefined;
}

const current = new AsyncLocalStorage<Frame>();

/** The database each transaction and savepoint of this module was begun on; kept after it ends (work after commit). */
const roots = new WeakMap<PgLike, PgLike>();

/** The Drizzle over the one connection each transaction and savepoint of this module runs on. */
const connections = new WeakMap<PgLike, PgLike>();

/**
 * The Drizzle whose queries run where `db`'s do, for queries built once and run many times (store/prepared.ts): the
 * connection of a transaction of this module (a query run on it runs inside the transaction, which is that
 * connection's), or `db` itself when it is a database of its own (a pool, or one client); undefined for a
 * transaction begun elsewhere.
 */
export function connectionOf(db: PgLike): PgLike | undefined {
  const connection = connections.get(db);
  if (connection) return connection;
  const client = (db as unknown as { $client?: unknown }).$client;
  return client instanceof pg.Pool || client instanceof pg.Client ? db : undefined;
}

/** The database (pool) of `db`: itself, or for a transaction of this module, the one it was begun on. */
export function rootOf(db: PgLike): PgLike {
  return roots.get(db) ?? db;
}

/** See store/sqlite/client.ts `transaction`: the same, on PostgreSQL (READ COMMITTED, one pooled connection). */
export async function transaction<T>(db: PgLike, fn: (tx: PgLike) => Promise<T> | T, options: TransactionOptions = {}): Promise<T> {
  const frame = openFrame();
  if (frame) return savepoint(frame, fn, options);
  const hooks: Hooks = { commit: [], end: [], last: new Map() };
  let opened: Frame | undefined;
  let committed = false;
  try {
    const value = await onOneConnection(db as PgDb, (one) =>
      one.transaction((tx) => {
        const outer = { open: true };
        roots.set(tx, rootOf(db));
        connections.set(tx, one as unknown as PgLike);
        opened = { root: rootOf(db), tx, hooks, open: true, outer };
        return current.run(opened, async () => {
          const value = await fn(tx);
          for (const [write, rows] of hooks.last) await write(tx, rows);
          return value;
        });
      }),
    );
    committed = true;
    if (options.afterCommit) hooks.commit.push(options.afterCommit);
    return value;
  } finally {
    if (opened) opened.outer.open = opened.open = false;
    if (committed) runHooks(hooks.commit);
    runHooks(hooks.end);
  }
}

async function savepoint<T>(frame: Frame, fn: (tx: PgLike) => Promise<T> | T, options: TransactionOptions): Promise<T> {
  const mark = frame.hooks.commit.length;
  const lastMarks = new Map([...frame.hooks.last].map(([write, rows]) => [write, rows.length]));
  const inner: Frame = { ...frame, open: true };
  try {
    const value = await frame.tx.transaction((tx) => {
      roots.set(tx, frame.root);
      const connection = connections.get(frame.tx);
      if (connection) connections.set(tx, connection);
      return current.run(Object.assign(inner, { tx }), () => Promise.resolve(fn(tx)));
    });
    if (options.afterCommit) frame.hooks.commit.push(options.afterCommit);
    return value;
  } catch (error) {
    frame.hooks.commit.length = mark;
    for (const [write, rows] of frame.hooks.last) rows.length = lastMarks.get(write) ?? 0;
    throw error;
  } finally {
    inner.open = false;
  }
}

/** See store/sqlite/client.ts `afterCommit`. */
export function afterCommit(fn: () => void): void {
  const frame = openFrame();
  if (frame) frame.hooks.commit.push(fn);
  else fn();
}

/**
 * Keeps `rows` to be written by `write` as the last write of the transaction open here, together with every other
 * row kept for the same `write` in it (those of a savepoint rolled back are dropped); writes them at once when no
 * transaction is open. For writes that must happen once per transaction, such as the event feed's (cluster/feed.ts).
 */
export async function lastWrite<D extends PgLike, R>(db: D, write: (tx: D, rows: R[]) => Promise<void>, rows: R[]): Promise<void> {
  const frame = openFrame();
  if (!frame || db === frame.root) return write(db, rows);
  // The transaction's `tx` is of the same kind as `db`, which was handed it (or is it).
  const key = write as unknown as LastWrite;
  const kept = frame.hooks.last.get(key);
  if (kept) kept.push(...rows);
  else frame.hooks.last.set(key, [...rows]);
}

/** See store/sqlite/client.ts `transactionAfter`: a transaction of its own once the one open here has ended. */
export function transactionAfter<T>(db: PgLike, fn: (tx: PgLike) => Promise<T> | T): Promise<T> {
  const frame = openFrame();
  if (!frame) return transaction(rootOf(db), fn);
  const root = frame.root;
  return new Promise<T>((resolve, reject) => frame.hooks.end.push(() => void transaction(root, fn).then(resolve, reject)));
}
