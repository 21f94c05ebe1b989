import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { startEventPruner } from '../realtime/prune.js';
import { DeliveryWorker, type WorkerOptions } from './worker.js';

/** The server's background work: the e-mail delivery worker and the event-log pruner. */
export function startBackgroundJobs(db: Db, config: Config, options: WorkerOptions = {}) {
  const worker = new DeliveryWorker(db, config, options).start();
  const stopPruner = startEventPruner(db);
  return {
    worker,
    async stop() {
      stopPruner();
      await worker.stop();
    },
  };
}
