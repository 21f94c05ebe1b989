/**
 * WAL checkpoints on a thread of their own.
 *
 * In WAL mode every commit appends pages to the `-wal` file, and a checkpoint copies them back into
 * the database file and syncs it to disk. SQLite runs that checkpoint inside whichever commit takes
 * the WAL past `wal_autocheckpoint` pages (1,000 by default): on the server's one writer connection,
 * that is the event loop, every few hundred sends, for as long as the copy and the disk sync take,
 * while every request waits.
 *
 * Here a worker thread with a connection of its own runs a PASSIVE checkpoint every `intervalMs`. A
 * passive checkpoint never waits for or blocks the writer: it copies the frames committed so far, and
 * the writer starts the WAL over at its next transaction once they are all copied. The writer's own
 * threshold is raised to BACKSTOP_PAGES, so it only checkpoints itself if the thread falls far behind.
 * The thread's connection syncs like the writer (`synchronous`), so durability is what it was.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './client.js';

/**
 * The writers checkpoint by themselves only past this many WAL pages (~200 MB at 4 KB pages). Under
 * sustained sends the WAL only starts over through such a checkpoint: the thread's checkpoints never
 * find every frame copied when the next write begins. Each one holds the writer thread for the copy of
 * what is left and two disk syncs (tens of milliseconds here), so the higher this is, the rarer those
 * pauses; at 10,000 pages they came three times a second at 2,000 sends/s.
 */
export const BACKSTOP_PAGES = 50_000;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

// CommonJS, evaluated in the worker: no TypeScript loader is needed there.
const source = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = ' + workerData.synchronous);
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // SQLITE_BUSY: another checkpoint is running; the next tick tries again.
    if (error.code !== 'SQLITE_BUSY') parentPort.postMessage({ error: error.message });
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the thread and closes its connection (before the writer closes, so that it can clean up the WAL). */
  stop(): Promise<void>;
}

/** Starts checkpointing `file` (the database `db` writes to) on a worker thread. */
export function startCheckpointer(db: Db, file: string, options: { intervalMs?: number; log?: (line: string) => void } = {}): Checkpointer {
  if (file === ':memory:' || db.$client.pragma('journal_mode', { simple: true }) !== 'wal') return { stop: async () => {} };
  const log = options.log ?? console.warn;
  const synchronous = db.$client.pragma('synchronous', { simple: true }) as number;
  db.$client.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const worker = new Worker(source, { eval: true, workerData: { driver, file, synchronous, intervalMs: options.intervalMs ?? 200 } });
  worker.unref();
  let failed = false;
  worker.on('message', (message: { error?: string }) => {
    if (message.error) log(`checkpointing the database failed: ${message.error}`);
  });
  worker.on('error', (error) => {
    failed = true;
    log(`the checkpoint thread stopped: ${error.message}; the server checkpoints by itself from now on`);
    db.$client.pragma('wal_autocheckpoint = 1000');
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      // Unref'd while it runs; waiting for it to close its connection must keep the process alive, or the
      // process ends here without finishing its shutdown.
      worker.ref();
      if (!failed) worker.postMessage('stop');
      await exited;
    },
  };
}
