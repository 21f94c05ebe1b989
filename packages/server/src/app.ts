import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { apiHeaders, logRefusedOrigins, securityHeaders } from './answer-headers.js';
import { requireUser } from './auth/require-user.js';
import { bundleRoute } from './bundle.js';
import type { AppDeps, AppEnv } from './context.js';
import { useAttachmentServices } from './attachments/service.js';
import { writesInProcess } from './domain/writes.js';
import { ApiError } from './errors.js';
import { notifyEffects } from './notify/effects.js';
import { notificationsRoute, notifyAdminsRoute } from './notify/routes.js';
import { rateLimitCreatesPerAddress, rateLimitReads, rateLimitWrites, signInGuard } from './rate-limit.js';
import { auditRoute } from './routes/audit.js';
import { attachments } from './routes/attachments.js';
import { conversations } from './routes/conversations.js';
import { openapi } from './routes/openapi.js';
import { people } from './routes/people.js';
import { queues } from './routes/queues.js';
import { conversationFeedback, ratingsRoute } from './routes/ratings.js';
import { accountAnswering } from './routes/reply-times.js';
import { savedRepliesRoute } from './routes/saved-replies.js';
import { typingRoute } from './routes/typing.js';
import { eventsRoute } from './realtime/stream.js';
import { healthRoutes } from './ops/health.js';
import { createLogger, requestLog } from './ops/log.js';
import { createMetrics, metricsRoute } from './ops/metrics.js';
import { postgresBlobStore } from './store/postgres/blobs.js';
import { lostConnection, type PgDb } from './store/postgres/db.js';
import { postgresWrites } from './store/postgres/store.js';
import { isPostgres } from './store/runtime.js';

export interface CreateAppOptions {
  /** Where the widget bundle is read from (tests point it elsewhere). */
  bundlePath?: string;
  /** Extra routes mounted before the API (the demo's login page). */
  mount?: (app: Hono<AppEnv>) => void;
}

export function createApp(input: AppDeps, options: CreateAppOptions = {}) {
  const effects = input.effects ?? notifyEffects(input.config);
  const logger = input.logger ?? createLogger(input.config.logLevel);
  const metrics = input.metrics !== undefined ? input.metrics : input.config.metricsToken ? createMetrics({ db: input.db }) : null;
  const deps: Required<AppDeps> = {
    realtime: {},
    readiness: { state: 'ready' },
    ...input,
    logger,
    metrics,
    effects,
    writes: input.writes ?? (isPostgres(input.db) ? postgresWrites(input.db as unknown as PgDb, effects) : writesInProcess(input.db, effects)),
  };
  const { config } = deps;
  // On PostgreSQL files live in the database, so that any instance serves any download (replace the store after
  // this with useAttachmentServices to keep them elsewhere).
  if (isPostgres(input.db)) useAttachmentServices(config, { store: postgresBlobStore(input.db as unknown as PgDb) });
  const app = new Hono<AppEnv>();

  app.use('*', requestLog(logger, metrics));
  app.use('*', securityHeaders());
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
  });

  app.route('/', healthRoutes(deps.db, deps.readiness, logger));
  app.route('/', metricsRoute(config.metricsToken, metrics));
  app.route('/', bundleRoute(options.bundlePath));
  options.mount?.(app);

  const api = new Hono<AppEnv>();
  api.use('*', logRefusedOrigins(config.allowedOrigins, logger));
  api.use('*', ...apiHeaders(config.allowedOrigins));
  api.use('*', async (c, next) => {
    // A state-changing request from a page whose origin is not allowed is refused outright.
    const origin = c.req.header('origin');
    if (origin && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      const own = new URL(c.req.url).origin;
      if (origin !== own && !config.allowedOrigins.includes(origin)) {
        throw new ApiError(403, 'forbidden', `Requests from ${origin} are not allowed; add it to SECURE_INBOX_ALLOWED_ORIGINS.`);
      }
    }
    await next();
  });
  api.route('/', openapi);
  api.use('*', requireUser(deps, signInGuard(config, deps.db)));
  api.use('*', async (c, next) => {
    // No id holds U+0000 (ids are made of letters, digits, `_` and `-`), and PostgreSQL cannot even compare text with
    // it: a path naming one names nothing, on either store.
    if (/%00/.test(c.req.path)) throw new ApiError(404, 'not_found', 'Nothing here has that name.');
    await next();
  });
  api.use('*', rateLimitWrites(config.rateLimitPerMinute));
  api.use('*', rateLimitReads(config));
  api.use('*', rateLimitCreatesPerAddress(config));
  api.route('/', people);
  api.route('/conversations', conversations);
  api.route('/conversations', notifyAdminsRoute);
  api.route('/conversations', conversationFeedback);
  api.route('/conversations', typingRoute());
  api.route('/ratings', ratingsRoute);
  api.route('/', accountAnswering);
  api.route('/saved-replies', savedRepliesRoute);
  api.route('/notifications', notificationsRoute);
  api.route('/', eventsRoute(deps.realtime));
  api.route('/attachments', attachments);
  api.route('/audit', auditRoute);
  api.route('/queues', queues);
  app.route('/api/v1', api);

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route ${c.req.method} ${c.req.path}.` } }, 404));
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
      return c.json({ error: { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) } }, error.status);
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      const code =
        status === 400 ? 'bad_request' : status === 401 ? 'unauthorized' : status === 413 ? 'too_large' : status === 404 ? 'not_found' : 'bad_request';
      return c.json({ error: { code, message: error.message || 'The request could not be processed.' } }, status >= 500 ? 400 : status);
    }
    if (unstorableCharacter(error)) {
      return c.json({ error: { code: 'invalid', message: 'The request holds a character the store cannot keep (U+0000).' } }, 422);
    }
    const storage = storageProblem(error);
    if (storage) {
      logger.error({ cause: storage.cause, error: error instanceof Error ? error.message : String(error) }, `Storage unavailable (${storage.cause})`);
      return c.json({ error: { code: 'unavailable', message: storage.message } }, storage.status, { 'Retry-After': '30' });
    }
    logger.error({ err: error }, 'Unexpected error; answered 500');
    return c.json({ error: { code: 'internal', message: 'Something went wrong on our side; the request was not completed.' } }, 500);
  });
  return app;
}

export type App = ReturnType<typeof createApp>;

/**
 * A value holding U+0000, which PostgreSQL's text cannot hold (SQLSTATE 22021 or 22P05): the request's fault, a 422.
 * Text fields drop control characters before they are stored (domain/text.ts); this is for what reaches a query as
 * given (a search, a cursor).
 */
function unstorableCharacter(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (code === '22021' || code === '22P05') return true;
  }
  return false;
}

/**
 * A database or disk that cannot take the write (full, read-only, locked beyond the busy timeout,
 * failing) is the server's condition, not the request's: 507/503 with a sentence, never a stack.
 * PostgreSQL says so with SQLSTATE codes: disk full (53100); out of memory or connections (53200,
 * 53300), a lost or refused connection (class 08, ECONNREFUSED), a server shutting down or starting
 * (57P01–57P03), a read-only standby (25006) and a lock wait that timed out (55P03); node-postgres itself says so
 * for a connection lost or not made in time (`lostConnection`).
 */
function storageProblem(error: unknown): { status: 503 | 507; message: string; cause: string } | null {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || code === '53100') {
      return { status: 507, cause: code, message: 'The server has run out of storage space; nothing was saved. Please try again later.' };
    }
    if (
      /^SQLITE_(READONLY|BUSY|LOCKED|IOERR|CANTOPEN)/.test(code) ||
      code === 'EROFS' ||
      /^(08...|53200|53300|57P0[123]|25006|55P03)$/.test(code) ||
      code === 'ECONNREFUSED' ||
      code === 'ECONNRESET' ||
      lostConnection(e)
    ) {
      return {
        status: 503,
        cause: code || 'connection lost',
        message: 'The server cannot save changes right now; nothing was saved. Please try again shortly.',
      };
    }
  }
  return null;
}
