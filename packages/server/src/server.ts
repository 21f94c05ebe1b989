import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { AnswerResponse } from './answer-headers.js';
import { createApp, type CreateAppOptions } from './app.js';
import { ConfigError, type Config } from './config.js';
import type { Db } from './store/sqlite/client.js';
import { openSqliteStore } from './store/sqlite/store.js';
import { openPostgresStore } from './store/postgres/store.js';
import type { Store } from './store/types.js';
import { startBackgroundJobs } from './notify/background.js';
import type { NoticeLink } from './notify/worker.js';
import type { Readiness } from './ops/health.js';
import { createLogger } from './ops/log.js';
import { createMetrics } from './ops/metrics.js';

export interface StartOptions extends CreateAppOptions {
  /** Runs after the database is open and is awaited before the app answers (the demo seeds here). */
  prepare?: (db: Db) => void | Promise<void>;
  /** Called once listening, with the URL. */
  onListening?: (url: string) => void;
  /** The link in notice e-mails, when not the public URL with `conversation=<id>` (the demo's names the recipient). */
  noticeLink?: NoticeLink;
}

/**
 * Opens the store (the SQLite file, or PostgreSQL when SECURE_INBOX_DATABASE_URL names one), starts the background jobs and serves the app; stops gracefully on SIGINT and
 * SIGTERM: no new connections, event streams ended with a retry hint (clients reconnect to another
 * instance), requests in flight (uploads included) finished within SECURE_INBOX_SHUTDOWN_GRACE_SECONDS,
 * then the background jobs drained, the database closed and exit code 0.
 */
export async function startServer(config: Config, options: StartOptions = {}) {
  const logger = createLogger(config.logLevel);
  const readiness: Readiness = { state: 'starting' };
  let store: Store;
  let writerQueue: (() => number) | null = null;
  if (config.database) {
    store = await openPostgresStore(config, config.database, { warn: (line) => logger.warn(line) });
  } else {
    // Sends and sign-ins are written in group commits, on a thread of their own for a database file (store/sqlite/).
    const sqlite = openSqliteStore(config, {
      warn: (line) => logger.warn(line),
      error: (line) => logger.error(line),
    });
    writerQueue = sqlite.writerQueue;
    store = sqlite;
  }
  const { db, writes } = store;
  // Its writes are committed before the server listens: a seed may be written through async transactions.
  await options.prepare?.(db);
  const metrics = config.metricsToken ? createMetrics({ db, ...(writerQueue ? { writerQueue } : {}) }) : null;
  const closing = new AbortController();
  const app = createApp({ db, config, logger, metrics, readiness, realtime: { closing: closing.signal }, writes }, options);
  const jobs = startBackgroundJobs(db, config, {
    writes: writes.notices,
    ...(options.noticeLink ? { link: options.noticeLink } : {}),
    log: (line) => {
      metrics?.deliveryFailed();
      logger.warn(line);
    },
    jobLog: (line) => logger.warn(line),
  });
  // AnswerResponse writes the security and API headers into the answer as Node sends it (answer-headers.ts).
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: { ServerResponse: AnswerResponse } }, (info) => {
    const host = info.address.includes(':') ? `[${info.address}]` : info.address;
    readiness.state = 'ready';
    const url = `http://${host}:${info.port}/`;
    if (options.onListening) options.onListening(url);
    else logger.info({ url }, `Secure Inbox listening on ${url}`);
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const graceMs = config.shutdownGraceSeconds * 1000;
    const started = Date.now();
    readiness.state = 'draining';
    logger.info(
      { signal, graceSeconds: config.shutdownGraceSeconds },
      `Secure Inbox: ${signal} received; no new connections, finishing the requests in flight (up to ${config.shutdownGraceSeconds} s)`,
    );
    // Something that hangs past the grace period and the clean-up after it: leave anyway, and say so. The timer
    // also keeps the process alive until the clean-up below has said that it stopped (the writer thread is unref'd).
    setTimeout(() => {
      logger.error('Secure Inbox: the shutdown did not finish in time; exiting');
      process.exit(1);
    }, graceMs + 15_000);
    closing.abort();
    // Connections close once their answer is sent (keep-alive ones between requests); the rest at the deadline.
    const http = server as Server;
    const idle = setInterval(() => http.closeIdleConnections(), 100);
    const deadline = setTimeout(() => http.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(deadline);
      void jobs
        .stop()
        .then(() => store.close())
        .finally(() => {
          const cut = Date.now() - started > graceMs ? ' (requests still open at the deadline were cut)' : '';
          const seconds = (Date.now() - started) / 1000;
          logger.info({ seconds, cut: Boolean(cut) }, `Secure Inbox stopped after ${seconds.toFixed(1)} s${cut}; exit code 0`);
          process.exit(0);
        });
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { db, app, server, stop, logger };
}

/** Runs `start`, turning a configuration mistake into one sentence and exit code 1, whether it throws or rejects. */
export function runOrExplain(what: string, start: () => unknown): void {
  const explain = (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`${what} cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  };
  try {
    const started = start();
    // Anything but a configuration mistake still ends the process, as an error thrown at start-up does.
    if (started instanceof Promise) started.catch(explain);
  } catch (error) {
    explain(error);
  }
}
