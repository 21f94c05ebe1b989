/**
 * Group commit for the busiest writes (sends).
 *
 * Every commit costs more than the few rows of a message: the pages it touched (the message, its
 * indexes, a new segment of the full-text index, the outbox and the event log) are appended to the
 * WAL once per commit, and the WAL is checkpointed into the database every thousand pages. Writes that
 * arrive within one turn of the event loop are therefore run together in one IMMEDIATE transaction,
 * each in a savepoint of its own:
 *
 * - each write sees the ones before it, exactly as if they had committed one after the other;
 * - a write that throws is rolled back alone (its savepoint) and its caller gets the error;
 * - every caller is answered only after the one commit, with its own result; when the commit itself
 *   fails, or an error makes SQLite abandon the whole transaction (disk full, I/O error), every write
 *   of the group fails with that error and nothing of it was saved.
 *
 * Work queued after the group started waits for the next one; a group holds at most MAX_GROUP writes.
 *
 * Rows of the full-text index are written last (`deferToGroupEnd`), after every savepoint of the group
 * is released. FTS5 writes the rows it holds for a transaction out as a segment of its own at every
 * savepoint and release (and at every statement that runs under a statement savepoint), and merges
 * segments as they pile up: written during the jobs, each message became a segment of its own; written
 * at the end, the group's messages become one segment at the commit.
 */
import { transactionOf, withHooks, type Db } from './client.js';

const MAX_GROUP = 64;

interface Job {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** The group still taking writes, per connection. */
const open = new WeakMap<object, Job[]>();

/** Work deferred to the end of the group running on a connection (only while one runs). */
const deferred = new WeakMap<object, (() => void)[]>();

/**
 * Runs `fn` at the end of the group commit running on `db`, after its writes and in its transaction,
 * if the write that calls this succeeds; without a group running, runs it now. When `fn` throws, the
 * whole group fails. For writes no later write of the group reads back (rows of the full-text index).
 */
export function deferToGroupEnd(db: Db, fn: () => void): void {
  const list = deferred.get(db.$client);
  if (list) list.push(fn);
  else fn();
}

/** Runs `fn` (synchronous, writing through `db`) in the next group commit; resolves after the commit. */
export function groupWrite<T>(db: Db, fn: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const client = db.$client;
    let group = open.get(client);
    if (!group) {
      const created: Job[] = [];
      open.set(client, (group = created));
      setImmediate(() => {
        if (open.get(client) === created) open.delete(client);
        run(db, created);
      });
    }
    group.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    if (group.length >= MAX_GROUP) open.delete(client);
  });
}

function run(db: Db, jobs: Job[]): void {
  if (jobs.length === 0) return;
  const client = db.$client;
  const outcomes: { ok: boolean; value?: unknown; error?: unknown }[] = [];
  const atEnd: (() => void)[] = [];
  try {
    const transaction = transactionOf(client);
    // Work after the commit (stream wake-ups, change versions, refusals' audit rows) runs once the
    // group has committed; that of a job rolled back alone is dropped with it.
    withHooks(client, (hooks) =>
      transaction.immediate(() => {
        deferred.set(client, atEnd);
        try {
          for (const job of jobs) {
            const mark = atEnd.length;
            const commitMark = hooks.commit.length;
            try {
              // Nested: a savepoint, rolled back alone when the job throws.
              outcomes.push({ ok: true, value: transaction(job.fn) });
            } catch (error) {
              // Some errors (a full disk, an I/O error) make SQLite roll back the whole transaction, the
              // group's earlier writes included: then the group fails as a whole, with that error.
              if (!client.inTransaction) throw error;
              atEnd.length = mark;
              hooks.commit.length = commitMark;
              outcomes.push({ ok: false, error });
            }
          }
        } finally {
          deferred.delete(client);
        }
        for (const fn of atEnd) fn();
      }),
    );
  } catch (error) {
    for (const job of jobs) job.reject(error);
    return;
  }
  jobs.forEach((job, i) => {
    const outcome = outcomes[i]!;
    if (outcome.ok) job.resolve(outcome.value);
    else job.reject(outcome.error);
  });
}
