import { DrizzleQueryError, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { firstRow } from '../store/sql.js';
import type { Db } from '../store/sqlite/client.js';
import { dialectOf } from '../store/runtime.js';
import type { Logger } from './log.js';
import { serverVersion } from '../version.js';

export type ReadyState = 'starting' | 'ready' | 'draining';

/** Where the server is in its life: set by startServer(); an app made on its own is ready once made. */
export interface Readiness {
  state: ReadyState;
}

const unavailable = (message: string) => ({ ok: false, error: { code: 'unavailable', message } });

/**
 * `/healthz`: the store answers a real read (the migrations journal), else 503 with a sentence. Open to
 * every origin: the widget asks it to tell a server that refuses its page's origin from one that is down.
 * `/readyz`: 200 once migrations ran and the server takes work; 503 while it starts and once a drain began.
 */
export function healthRoutes(db: Db, readiness: Readiness, logger: Logger) {
  return new Hono()
    .get('/healthz', async (c) => {
      const cors = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' };
      try {
        await firstRow(db, sql`SELECT id FROM ${dialectOf(db).migrations} ORDER BY id DESC LIMIT 1`);
      } catch (error) {
        // The database's own words: Drizzle wraps a driver's error in "Failed query: <the SQL>", the reason in its cause.
        const cause =
          error instanceof DrizzleQueryError && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
        logger.error({ cause }, 'health check: the store cannot be read');
        return c.json(unavailable(`The store cannot be read (${cause}); check the database file and the disk.`), 503, cors);
      }
      return c.json({ ok: true, version: serverVersion }, 200, cors);
    })
    .get('/readyz', (c) => {
      const headers = { 'Cache-Control': 'no-store' };
      if (readiness.state === 'ready') return c.json({ ok: true, version: serverVersion, migrated: true }, 200, headers);
      const message =
        readiness.state === 'starting'
          ? 'The server is starting and does not take work yet.'
          : 'The server is shutting down and takes no new work; send requests to another instance.';
      return c.json({ ...unavailable(message), state: readiness.state }, 503, headers);
    });
}
