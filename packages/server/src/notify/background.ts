import { startUploadPruner } from '../attachments/service.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { startEventPruner } from '../realtime/prune.js';
import { DeliveryWorker, type WorkerOptions } from './worker.js';

/**
 * The server's background work: the e-mail delivery worker, the event-log pruner and the removal of
 * unsent uploads. With `delivery: false` the delivery worker is left out: the writer thread runs it
 * beside the sends whose notifications it delivers (db/writer-thread.ts).
 */
export function startBackgroundJobs(db: Db, config: Config, options: WorkerOptions & { delivery?: boolean } = {}) {
  let worker = options.delivery === false ? null : new DeliveryWorker(db, config, options).start();
  const stopPruner = startEventPruner(db);
  const stopUploadPruner = startUploadPruner(db, config);
  return {
    get worker() {
      return worker;
    },
    /** Starts the delivery worker here when it was left out (the writer thread that ran it stopped). */
    startDelivery() {
      worker ??= new DeliveryWorker(db, config, options).start();
    },
    async stop() {
      await Promise.all([stopPruner(), stopUploadPruner(), worker?.stop()]);
    },
  };
}
