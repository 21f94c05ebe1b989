import { startUploadPruner } from '../attachments/service.js';
import type { Config } from '../config.js';
import { startPeriodic } from '../periodic.js';
import { startEventPruner } from '../realtime/prune.js';
import { pruneCounters } from '../store/postgres/cluster/counters.js';
import { oneInstanceAtATime } from '../store/postgres/cluster/singleton.js';
import type { PgDb } from '../store/postgres/db.js';
import { isPostgres } from '../store/runtime.js';
import type { Db } from '../store/sqlite/client.js';
import { DeliveryWorker, type WorkerOptions } from './worker.js';

/** On PostgreSQL, rate-limit windows that ended this long ago are deleted, this often. */
const COUNTERS_KEEP_MS = 5 * 60_000;
const COUNTERS_PRUNE_MS = 5 * 60_000;

/**
 * The server's background work: the e-mail delivery worker, the event-log pruner and the removal of
 * unsent uploads; on PostgreSQL also the pruning of the shared rate-limit counters. The server passes the
 * writer thread's `writes` for the delivery worker's own. With several instances on one PostgreSQL each runs
 * them all: the worker's claims never overlap (store/postgres/cluster/outbox.ts), and the pruners run on one
 * instance at a time (store/postgres/cluster/singleton.ts).
 */
export function startBackgroundJobs(db: Db, config: Config, options: WorkerOptions & { jobLog?: (line: string) => void } = {}) {
  const { jobLog, ...workerOptions } = options;
  const log = jobLog ?? console.warn;
  const worker = new DeliveryWorker(db, config, workerOptions).start();
  const stopPruner = startEventPruner(db, undefined, jobLog);
  const stopUploadPruner = startUploadPruner(db, config, undefined, jobLog);
  const stopCountersPruner = isPostgres(db)
    ? startPeriodic(
        () => oneInstanceAtATime(db, 'counters-pruner', () => pruneCounters(db as unknown as PgDb, COUNTERS_KEEP_MS)),
        COUNTERS_PRUNE_MS,
        (error) => log(`pruning the rate-limit counters failed: ${error.message}`),
      )
    : async () => undefined;
  return {
    worker,
    async stop() {
      await Promise.all([stopPruner(), stopUploadPruner(), stopCountersPruner(), worker.stop()]);
    },
  };
}
