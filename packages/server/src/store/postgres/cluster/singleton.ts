/**
 * Work that one instance at a time must do (pruners and other periodic jobs): `runAsSingleton` runs `fn` only if
 * no other instance is running the work named `key`, and otherwise returns at once without running it.
 *
 * The guard is a session-level advisory lock (`pg_try_advisory_lock`) on a connection held for the whole run, kept
 * apart from the connections `fn` queries with. It is released when `fn` ends, whether it returned or threw, and by
 * PostgreSQL itself when the session ends, so an instance that dies frees it too. If the lock's connection is lost
 * while `fn` runs, the lock is gone with it: `fn`'s signal aborts, and `fn` should stop soon.
 */
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { homeOf, isPostgres } from '../../runtime.js';
import type { Db } from '../../sqlite/client.js';

/** The first half of every singleton's lock key (the second is `hashtext(key)`), apart from other advisory locks. */
export const SINGLETON_LOCK_SPACE = 0x5ec0_0051;

export type SingletonRun<T> = { ran: true; value: T } | { ran: false };

export async function runAsSingleton<T>(pool: pg.Pool, key: string, fn: (signal: AbortSignal) => Promise<T>): Promise<SingletonRun<T>> {
  const client = await pool.connect();
  const db = drizzle({ client });
  const controller = new AbortController();
  const onError = (error: Error) => controller.abort(error);
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    const { rows } = await db.execute<{ locked: boolean }>(sql`SELECT pg_try_advisory_lock(${SINGLETON_LOCK_SPACE}, hashtext(${key})) AS locked`);
    if (!rows[0]?.locked) return { ran: false };
    try {
      return { ran: true, value: await fn(controller.signal) };
    } finally {
      await db.execute(sql`SELECT pg_advisory_unlock(${SINGLETON_LOCK_SPACE}, hashtext(${key}))`).catch((error: Error) => {
        // The session is dropped below, which releases the lock all the same.
        broken = error;
      });
    }
  } catch (error) {
    broken ??= error as Error;
    throw error;
  } finally {
    client.off('error', onError);
    // A connection that failed is closed rather than returned to the pool still holding the lock.
    client.release(broken ?? (controller.signal.aborted ? new Error('the lock connection was lost') : undefined));
  }
}

/** Per pool, the singleton jobs of this process, run one after another. */
const queues = new WeakMap<object, Promise<unknown>>();

/**
 * Runs a periodic job's `fn` on `db`: on PostgreSQL under runAsSingleton (skipped, resolving to undefined, while
 * another instance runs the job named `key`); on SQLite, where one process holds the database, simply. On
 * PostgreSQL this process's jobs take turns: each holds a connection of the pool for its lock while `fn` queries on
 * another, and jobs started together could otherwise hold every connection of a small pool with their locks and
 * wait for ever for one more.
 */
export function oneInstanceAtATime<T>(db: Db, key: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (!isPostgres(db)) return fn();
  const pool = homeOf(db) as pg.Pool;
  const run = (queues.get(pool) ?? Promise.resolve()).then(async () => {
    const result = await runAsSingleton(pool, key, () => fn());
    return result.ran ? result.value : undefined;
  });
  queues.set(
    pool,
    run.catch(() => undefined),
  );
  return run;
}
