import { startUploadPruner } from '../attachments/service.js';
import type { Config } from '../config.js';
import type { Db } from '../store/sqlite/client.js';
import { startEventPruner } from '../realtime/prune.js';
import { DeliveryWorker, type WorkerOptions } from './worker.js';

/**
 * The server's background work: the e-mail delivery worker, the event-log pruner and the removal of
 * unsent uploads. The server passes the writer thread's `writes` for the delivery worker's own.
 */
export function startBackgroundJobs(db: Db, config: Config, options: WorkerOptions & { jobLog?: (line: string) => void } = {}) {
  const { jobLog, ...workerOptions } = options;
  const worker = new DeliveryWorker(db, config, workerOptions).start();
  const stopPruner = startEventPruner(db, undefined, jobLog);
  const stopUploadPruner = startUploadPruner(db, config, undefined, jobLog);
  return {
    worker,
    async stop() {
      await Promise.all([stopPruner(), stopUploadPruner(), worker.stop()]);
    },
  };
}
