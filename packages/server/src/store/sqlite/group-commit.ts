/**
 * Group commit for the busiest writes (sends).
 *
 * Every commit costs more than the few rows of a message: the pages it touched (the message, its
 * indexes, a new segment of the full-text index, the outbox and the event log) are appended to the
 * WAL once per commit, and the WAL is checkpointed into the database every thousand pages. Writes that
 * arrive within one turn of the event loop are therefore run together in one IMMEDIATE transaction,
 * one after the other, each in a savepoint of its own:
 *
 * - each write sees the ones before it, exactly as if they had committed one after the other;
 * - a write that throws (or rejects) is rolled back alone (its savepoint) and its caller gets the error;
 * - every caller is answered only after the one commit, with its own result; when the commit itself
 *   fails, or an error makes SQLite abandon the whole transaction (disk full, I/O error), every write
 *   of the group fails with that error and nothing of it was saved.
 *
 * Work queued after the group started waits for the next one; a group holds at most MAX_GROUP writes.
 * A write is async and awaits only its own queries (through the `tx` it is given): while it awaits, the
 * group holds the write lock.
 *
 * On the server's thread a group is a transaction of the database's lane (client.ts `transaction`, each
 * write a nested one, i.e. a savepoint), so it never takes the write lock while another transaction of
 * the lane holds it. On a connection that nothing else writes through (`ownConnection`: the writer
 * thread's) a group runs on it directly.
 *
 * Rows of the full-text index are written last (`deferToGroupEnd`), after every savepoint of the group
 * is released. FTS5 writes the rows it holds for a transaction out as a segment of its own at every
 * savepoint and release (and at every statement that runs under a statement savepoint), and merges
 * segments as they pile up: written during the jobs, each message became a segment of its own; written
 * at the end, the group's messages become one segment at the commit.
 */
import type Database from 'better-sqlite3';
import { transaction, withHooks, type Db, type TransactionHooks } from './client.js';

const MAX_GROUP = 64;

interface Job {
  fn: (tx: Db) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Outcome {
  ok: boolean;
  value?: unknown;
  error?: unknown;
}

/** The group still taking writes, per connection. */
const open = new WeakMap<object, Job[]>();

/** Work deferred to the end of the group running on a connection (only while one runs). */
const deferred = new WeakMap<object, (() => unknown)[]>();

/** Connections whose groups run on them directly (`ownConnection`), with whether one is running and the groups waiting. */
const owned = new WeakMap<Database.Database, { running: boolean; waiting: (() => void)[] }>();

/**
 * Declares that nothing but group commits writes through `db`'s connection (the writer thread's): its groups
 * run on it directly (BEGIN IMMEDIATE … COMMIT), without the lane's second connection.
 */
export function ownConnection(db: Db): void {
  if (!owned.has(db.$client)) owned.set(db.$client, { running: false, waiting: [] });
}

/**
 * Runs `fn` at the end of the group commit running on `db`, after its writes and in its transaction,
 * if the write that calls this succeeds; without a group running, runs it now (and settles when it has).
 * When `fn` throws, the whole group fails. For writes no later write of the group reads back (rows of
 * the full-text index).
 */
export async function deferToGroupEnd(db: Db, fn: () => unknown): Promise<void> {
  const list = deferred.get(db.$client);
  if (list) list.push(fn);
  else await fn();
}

/** Runs `fn` (async, writing through the `tx` it is given) in the next group commit on `db`; resolves after the commit. */
export function groupWrite<T>(db: Db, fn: (tx: Db) => Promise<T> | T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const client = db.$client;
    let group = open.get(client);
    if (!group) {
      const created: Job[] = [];
      open.set(client, (group = created));
      setImmediate(() => {
        if (open.get(client) === created) open.delete(client);
        start(db, created);
      });
    }
    group.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    if (group.length >= MAX_GROUP) open.delete(client);
  });
}

function start(db: Db, jobs: Job[]): void {
  if (jobs.length === 0) return;
  const own = owned.get(db.$client);
  if (!own) {
    void transaction(db, (tx) => runJobs(tx, jobs, (fn) => transaction(tx, fn))).then(
      (outcomes) => answer(jobs, outcomes),
      (error: unknown) => jobs.forEach((job) => job.reject(error)),
    );
    return;
  }
  if (own.running) {
    own.waiting.push(() => start(db, jobs));
    return;
  }
  own.running = true;
  void runDirect(db, jobs).finally(() => {
    own.running = false;
    // The next group starts on a turn of its own, never in the middle of the work after this one's commit.
    const next = own.waiting.shift();
    if (next) setImmediate(next);
  });
}

/** Runs the group's jobs one after the other, each through `nested` (a savepoint), then the deferred work. */
async function runJobs(tx: Db, jobs: Job[], nested: (fn: (tx: Db) => unknown) => Promise<unknown>): Promise<Outcome[]> {
  const client = tx.$client;
  const outcomes: Outcome[] = [];
  const atEnd: (() => unknown)[] = [];
  deferred.set(client, atEnd);
  try {
    for (const job of jobs) {
      const mark = atEnd.length;
      try {
        outcomes.push({ ok: true, value: await nested(job.fn) });
      } catch (error) {
        // Some errors (a full disk, an I/O error) make SQLite roll back the whole transaction, the
        // group's earlier writes included: then the group fails as a whole, with that error.
        if (!client.inTransaction) throw error;
        atEnd.length = mark;
        outcomes.push({ ok: false, error });
      }
    }
  } finally {
    deferred.delete(client);
  }
  for (const fn of atEnd) await fn();
  return outcomes;
}

/**
 * A group on a connection of its own (`ownConnection`): BEGIN IMMEDIATE, a savepoint per job, COMMIT. Work
 * after the commit (stream wake-ups, change versions, refusals' audit rows) runs once the group has committed;
 * that of a job rolled back alone is dropped with it.
 */
async function runDirect(db: Db, jobs: Job[]): Promise<void> {
  const client = db.$client;
  let outcomes: Outcome[];
  try {
    outcomes = await withHooks(client, async (hooks) => {
      client.exec('BEGIN IMMEDIATE');
      try {
        const done = await runJobs(db, jobs, (fn) => savepoint(db, hooks, fn));
        client.exec('COMMIT');
        return done;
      } finally {
        if (client.inTransaction) client.exec('ROLLBACK');
      }
    });
  } catch (error) {
    for (const job of jobs) job.reject(error);
    return;
  }
  answer(jobs, outcomes);
}

let savepoints = 0;

async function savepoint(db: Db, hooks: TransactionHooks, fn: (tx: Db) => unknown): Promise<unknown> {
  const client = db.$client;
  const name = `job_${++savepoints}`;
  const mark = hooks.commit.length;
  client.exec(`SAVEPOINT ${name}`);
  try {
    const value = await fn(db);
    client.exec(`RELEASE ${name}`);
    return value;
  } catch (error) {
    if (client.inTransaction) {
      client.exec(`ROLLBACK TO ${name}`);
      client.exec(`RELEASE ${name}`);
    }
    hooks.commit.length = mark;
    throw error;
  }
}

function answer(jobs: Job[], outcomes: Outcome[]): void {
  jobs.forEach((job, i) => {
    const outcome = outcomes[i]!;
    if (outcome.ok) job.resolve(outcome.value);
    else job.reject(outcome.error);
  });
}
