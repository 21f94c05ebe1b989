import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { pino, type DestinationStream, type Logger } from 'pino';
import { answerOf } from '../answer-headers.js';
import type { RequestMetrics } from './metrics.js';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The server's logger: one JSON object a line on stdout (or `destination`), with the level as a word so a
 * log shipper needs no table of pino's numbers. Lines are written asynchronously (under load, many in one
 * write; when quiet, at once); pino writes what is left when the process exits.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { name: 'secure-inbox' }, formatters: { level: (label: string) => ({ level: label }) } };
  return destination ? pino(options, destination) : pino(options, pino.destination({ dest: 1, sync: false }));
}

/** A request id a client or proxy sent that is safe to repeat in logs and headers. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * One line per request: method, route pattern (never the path with its ids, nor the query, which may
 * hold search words), status, duration and request id; the id is also answered as `X-Request-Id`.
 * An event stream's line is written when the stream starts.
 */
export function requestLog(logger: Logger, metrics: RequestMetrics | null): MiddlewareHandler {
  const logs = logger.isLevelEnabled('info');
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && WELL_FORMED_ID.test(incoming) ? incoming : randomUUID();
    // Served by startServer(), AnswerResponse writes the header into the answer's record (answer-headers.ts).
    const answer = answerOf(c);
    if (answer) answer.pending.requestId = requestId;
    await next();
    if (!answer) c.res.headers.set('X-Request-Id', requestId);
    const durationMs = performance.now() - started;
    const route = routePath(c);
    metrics?.observe(route, c.res.status, durationMs);
    if (logs) {
      logger.info({ method: c.req.method, route, status: c.res.status, durationMs: Math.round(durationMs * 100) / 100, requestId }, 'request');
    }
  };
}
