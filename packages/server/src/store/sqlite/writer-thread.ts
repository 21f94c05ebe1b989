/**
 * The writer thread: sends (new conversations and messages) and sign-in rows written on a thread of
 * their own.
 *
 * A send spends more than half of its time in SQLite: its statements, and the group commit that
 * appends its pages to the WAL. On the event loop that is time no other request is served. The server
 * on a database file therefore hands each send, once authenticated, validated and its body sanitized
 * (domain/writes.ts), to a worker thread with a connection of its own, which runs the same code
 * (domain/write-jobs.ts, group commits included) while this thread parses, routes and answers the
 * next requests; this thread's connection keeps serving every read and the other writes. The e-mail
 * delivery worker's claims and outcomes are committed there too (it reads, renders and talks SMTP
 * here): its writes would otherwise wait on this thread's event loop for the lock the sends hold.
 *
 * What this thread keeps in memory about writes it learns from the writer's reports, before any
 * caller of the group is answered: the users whose events a group commit wrote (their kept pages and
 * counts expire, their open event streams wake), that a commit happened, and whether other connections
 * wrote since the previous report (so that data_version is not taken for an outside write, nor an outside
 * write missed, domain/change-versions.ts).
 *
 * An error crosses as data: an ApiError is rebuilt as itself, any other error keeps its message, its
 * code (SQLITE_FULL becomes a 507 as on this thread) and its stack. If the thread ever stops, the
 * writes waiting for it fail (nothing of theirs was acknowledged) and later ones are written on this
 * thread again.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../../config.js';
import { noteThreadWrites, writeCounters } from '../../domain/change-versions.js';
import { runHere, writeJobs, type JobName, type JobRunner } from '../../domain/write-jobs.js';
import { writesThrough, type Writes } from '../../domain/writes.js';
import { notifyEffects } from '../../notify/effects.js';
import { eventBus } from '../../realtime/bus.js';
import type { Db } from './client.js';
import { rebuildError, type WriterData, type WriterReport, type WriterRequest } from './writer-messages.js';

export interface WriterThread extends Writes {
  /** Writes what was handed over, then stops the thread and closes its connection. */
  stop(): Promise<void>;
  /** Writes handed over and not yet reported committed (for metrics). */
  queued(): number;
}

export interface WriterThreadOptions {
  log?: (line: string) => void;
}

/** Starts the writer thread for `db`, which the server's thread opened (and migrated) on `config.dbFile`. */
export function startWriterThread(db: Db, config: Config, options: WriterThreadOptions = {}): WriterThread {
  const log = options.log ?? console.error;
  const workerData: WriterData = {
    config,
    walAutocheckpoint: db.$client.pragma('wal_autocheckpoint', { simple: true }) as number,
    counters: writeCounters(db),
  };
  // From the sources (tests, the demo) the thread loads TypeScript through tsx; the build runs its compiled module.
  const entry = import.meta.url.endsWith('.ts') ? './writer-thread-start.mjs' : './writer-worker.js';
  const worker = new Worker(new URL(entry, import.meta.url), { workerData });
  worker.unref();
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  let nextId = 1;
  let running = true;
  let stopping = false;

  worker.on('message', (report: WriterReport) => {
    noteThreadWrites(db, report.users, report.check);
    if (report.users.length > 0) eventBus(db).wake(report.users);
    for (const outcome of report.outcomes) {
      const caller = waiting.get(outcome.id);
      if (!caller) continue;
      waiting.delete(outcome.id);
      if ('error' in outcome) caller.reject(rebuildError(outcome.error));
      else caller.resolve(outcome.value);
    }
  });
  const stopped = (why: string) => {
    if (!running) return;
    running = false;
    for (const caller of waiting.values()) caller.reject(new Error(`The writer thread stopped before the write was committed (${why}).`));
    waiting.clear();
    if (stopping) return;
    log(`the writer thread stopped (${why}); sends are written on the server's own thread from now on`);
  };
  worker.on('error', (error) => stopped(error.message));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      stopped(`exit code ${code}`);
      resolve();
    }),
  );

  // A job waits for the thread's report of its group; once the thread is stopping or gone, it runs here.
  const here = runHere(writeJobs(db, notifyEffects(config))) as (job: JobName, ...args: unknown[]) => Promise<unknown>;
  const run = ((job: JobName, ...args: unknown[]): Promise<unknown> => {
    if (!running || stopping) return here(job, ...args);
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const request: WriterRequest = { id, job, args };
      worker.postMessage(request);
      waiting.set(id, { resolve, reject });
    });
  }) as JobRunner;

  return {
    ...writesThrough(run),
    queued: () => waiting.size,
    async stop() {
      if (running && !stopping) {
        stopping = true;
        // The thread is unref'd so that it never keeps a finished process alive; while it finishes its last
        // writes it must, or the process could end before them.
        worker.ref();
        worker.postMessage('stop');
      }
      await exited;
    },
  };
}
