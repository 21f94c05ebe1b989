import { serve } from '@hono/node-server';
import { AnswerResponse } from './answer-headers.js';
import { createApp, type CreateAppOptions } from './app.js';
import { ConfigError, type Config } from './config.js';
import { startCheckpointer } from './db/checkpointer.js';
import { openDb, type Db } from './db/client.js';
import { startWriterThread } from './db/writer-thread.js';
import { startBackgroundJobs } from './notify/background.js';
import type { NoticeLink } from './notify/worker.js';

export interface StartOptions extends CreateAppOptions {
  /** Runs after the database is open and before the app answers (the demo seeds here). */
  prepare?: (db: Db) => void;
  /** Called once listening, with the URL. */
  onListening?: (url: string) => void;
  /** The link in notice e-mails, when not the public URL with `conversation=<id>` (the demo's names the recipient). */
  noticeLink?: NoticeLink;
}

/**
 * Opens the database, starts the background jobs and serves the app; stops gracefully on SIGINT and
 * SIGTERM (no new connections, background jobs drained, the database closed).
 */
export function startServer(config: Config, options: StartOptions = {}) {
  const db = openDb(config.dbFile, { synchronous: config.dbSynchronous });
  options.prepare?.(db);
  const checkpointer = startCheckpointer(db, config.dbFile);
  // Sends and sign-ins are written on a thread of their own (db/writer-thread.ts); an in-memory database has one connection.
  const writer = config.dbFile === ':memory:' ? null : startWriterThread(db, config);
  const app = createApp({ db, config, ...(writer ? { writes: writer } : {}) }, options);
  const jobs = startBackgroundJobs(db, config, { ...(writer ? { writes: writer.notices } : {}), ...(options.noticeLink ? { link: options.noticeLink } : {}) });
  // AnswerResponse writes the security and API headers into the answer as Node sends it (answer-headers.ts).
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: { ServerResponse: AnswerResponse } }, (info) => {
    const host = info.address.includes(':') ? `[${info.address}]` : info.address;
    (options.onListening ?? ((url) => console.log(`Secure Inbox listening on ${url}`)))(`http://${host}:${info.port}/`);
  });
  const stop = () => {
    // Open event streams would keep close() waiting: give them a moment, then leave anyway.
    setTimeout(() => process.exit(0), 2_000).unref();
    server.close();
    void jobs
      .stop()
      .then(() => writer?.stop())
      .then(() => checkpointer.stop())
      .finally(() => {
        db.$client.close();
        process.exit(0);
      });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { db, app, server, stop };
}

/** Runs `start`, turning a configuration mistake into one sentence and exit code 1. */
export function runOrExplain(what: string, start: () => void) {
  try {
    start();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${what} cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
