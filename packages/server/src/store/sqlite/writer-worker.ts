/**
 * Runs in the writer thread (store/sqlite/writer-thread.ts): takes writes, commits them in groups on a
 * connection of its own, and reports each group once it has committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { othersChecker, watchUserChanges } from '../../domain/change-versions.js';
import { runHere, writeJobs, type JobName } from '../../domain/write-jobs.js';
import { notifyEffects } from '../../notify/effects.js';
import { openDb } from './client.js';
import { ownConnection } from './group-commit.js';
import { describeError, type WriterData, type WriterOutcome, type WriterReport, type WriterRequest } from './writer-messages.js';

const port = parentPort!;
const data = workerData as WriterData;
// The server's thread opened the file and migrated it before starting this thread.
const db = openDb(data.config.dbFile, { synchronous: data.config.dbSynchronous, migrate: false });
db.$client.pragma(`wal_autocheckpoint = ${data.walAutocheckpoint}`);
// Only the group commits write through this connection: they run on it directly.
ownConnection(db);
const run = runHere(writeJobs(db, notifyEffects(data.config))) as (job: JobName, ...args: unknown[]) => Promise<unknown>;

const checkOthers = othersChecker(db, data.counters);
let users = new Set<string>();
watchUserChanges(db, (ids) => {
  for (const id of ids) users.add(id);
});

// A group's callers settle together, one after the other, once it committed (store/sqlite/group-commit.ts); the
// report goes out after the last of them.
let outcomes: WriterOutcome[] = [];
function settle(outcome: WriterOutcome) {
  if (outcomes.length === 0) queueMicrotask(report);
  outcomes.push(outcome);
}
function report() {
  const sent: WriterReport = { outcomes, users: [...users], check: checkOthers() };
  outcomes = [];
  users = new Set();
  port.postMessage(sent);
}

port.on('message', (request: WriterRequest | 'stop') => {
  if (request === 'stop') {
    // After the groups already scheduled (setImmediate runs callbacks in order).
    setImmediate(() => {
      db.$client.close();
      port.close();
    });
    return;
  }
  run(request.job, ...request.args).then(
    (value) => settle({ id: request.id, value }),
    (error: unknown) => settle({ id: request.id, error: describeError(error) }),
  );
});
