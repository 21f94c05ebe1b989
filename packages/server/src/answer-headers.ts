/**
 * The headers every answer carries: the security headers of the whole app (hono's secureHeaders) and,
 * on API answers, CORS and "data, never documents" (CSP and Cache-Control unless the route set its own).
 *
 * They are applied in one of two ways, with the same result:
 * - served by startServer() on Node, the middlewares below only note which rules apply, and
 *   AnswerResponse adds the headers to the plain record @hono/node-server hands to writeHead(). An
 *   answer is then never copied into a platform Headers object, which cost a kept inbox page about a
 *   third of its throughput (docs/performance.md, change 21);
 * - anywhere else (app.request() in tests, another runtime) the middlewares set them on the answer.
 * test/api-headers-node.test.ts holds the first to the second, answer by answer.
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from './ops/log.js';
import { serverVersion } from './version.js';

export const SECURE_HEADER_OPTIONS = { crossOriginResourcePolicy: false, crossOriginOpenerPolicy: 'same-origin' } as const;

/**
 * What secureHeaders(SECURE_HEADER_OPTIONS) sets on every answer, with lower-case names as
 * AnswerResponse writes them (held to it by test/api-headers-node.test.ts).
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const EXPOSED = ['Retry-After', 'Content-Disposition', 'Secure-Inbox-Version'];
const EXPOSED_LIST = EXPOSED.join(',');

/** The rules an answer still needs, noted by the middlewares for AnswerResponse. */
interface Pending {
  security: boolean;
  /** Set on API answers: the origin to allow (or null), and whether the request is a preflight. */
  api: { allowOrigin: string | null; preflight: boolean } | null;
  /** The request id answered as X-Request-Id (ops/log.ts). */
  requestId?: string;
}

/**
 * A Node answer that adds the pending headers to whatever writeHead() is given (headers set with
 * setHeader() merge in as usual). Pass it as `serverOptions.ServerResponse`. The record it writes
 * has lower-case names (as HTTP/2 sends them); names are case-insensitive either way.
 */
export class AnswerResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  pending: Pending = { security: false, api: null };

  override writeHead(
    statusCode: number,
    reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    const given = typeof reason === 'string' ? headers : reason;
    const { security, api, requestId } = this.pending;
    if (!security && !api && !requestId) return typeof reason === 'string' ? super.writeHead(statusCode, reason, headers) : super.writeHead(statusCode, given);
    const record: OutgoingHttpHeaders = {};
    if (Array.isArray(given)) {
      const flat = given.flat() as string[];
      for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]!.toLowerCase()] = flat[i + 1]!;
    } else if (given) {
      for (const name in given) record[name.toLowerCase()] = given[name];
    }
    if (api) {
      if (!api.preflight) {
        if (api.allowOrigin) record['access-control-allow-origin'] = api.allowOrigin;
        record['access-control-expose-headers'] = EXPOSED_LIST;
        record['secure-inbox-version'] = serverVersion;
        const vary = record.vary ?? this.getHeader('vary');
        record.vary = vary === undefined ? 'Origin' : `${Array.isArray(vary) ? vary.join(', ') : vary}, Origin`;
      }
      if (record['content-security-policy'] === undefined && !this.hasHeader('content-security-policy')) record['content-security-policy'] = API_CSP;
      if (record['cache-control'] === undefined && !this.hasHeader('cache-control')) record['cache-control'] = 'no-store';
    }
    if (security) for (const name in SECURITY_HEADERS) record[name] = SECURITY_HEADERS[name];
    if (requestId) record['x-request-id'] = requestId;
    return typeof reason === 'string' ? super.writeHead(statusCode, reason, record) : super.writeHead(statusCode, record);
  }
}

/**
 * The Node answer of this request when AnswerResponse writes its headers, else undefined. HEAD
 * answers are left to the middlewares: hono makes them by copying the GET answer, and
 * @hono/node-server cannot copy an answer made without options (`c.text()`) unless its headers
 * were read first.
 */
export function answerOf(c: Context): AnswerResponse | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof AnswerResponse && c.req.method !== 'HEAD' ? outgoing : undefined;
}

/** The app's security headers on every answer. */
export function securityHeaders(): MiddlewareHandler {
  const set = secureHeaders(SECURE_HEADER_OPTIONS);
  return (c, next) => {
    const answer = answerOf(c);
    if (!answer) return set(c, next);
    answer.pending.security = true;
    return next();
  };
}

/**
 * CORS and the headers every API answer carries. The answer's own headers are set once it exists:
 * hono's cors middleware writes into a placeholder answer before the route runs, and `c.header()`
 * after the route has answered copies the answer each time; the headers are those of that middleware
 * (which still answers the preflights) and of `c.header()`.
 */
export function apiHeaders(allowedOrigins: string[]): MiddlewareHandler[] {
  const preflight = cors({ origin: allowedOrigins, allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'], exposeHeaders: EXPOSED, maxAge: 600 });
  return [
    async (c, next) => {
      const answer = answerOf(c);
      if (answer) {
        const origin = c.env.incoming.headers.origin ?? '';
        answer.pending.api = { allowOrigin: allowedOrigins.includes(origin) ? origin : null, preflight: c.req.method === 'OPTIONS' };
        return next();
      }
      // Gives the context its prepared headers (removing a header nothing has set yet): the route's
      // answer is then built on that Headers object, so what is set on it below is part of the answer
      // whenever @hono/node-server copies it (a HEAD answer is a copy of the GET one).
      c.header('Access-Control-Allow-Origin', undefined);
      await next();
      const headers = c.res.headers;
      if (c.req.method !== 'OPTIONS') {
        const origin = c.req.header('origin') || '';
        if (allowedOrigins.includes(origin)) headers.set('Access-Control-Allow-Origin', origin);
        headers.set('Access-Control-Expose-Headers', EXPOSED_LIST);
        headers.set('Secure-Inbox-Version', serverVersion);
        headers.append('Vary', 'Origin');
      }
      // API answers are data for the widget, never documents: nothing in them may run, frame or be cached.
      if (!headers.has('content-security-policy')) headers.set('Content-Security-Policy', API_CSP);
      if (!headers.has('cache-control')) headers.set('Cache-Control', 'no-store');
    },
    (c, next) => (c.req.method === 'OPTIONS' ? preflight(c, next) : next()),
  ];
}

/**
 * Says once per origin (up to 100 of them) that a browser page from an origin outside
 * SECURE_INBOX_ALLOWED_ORIGINS called the API: the browser hides the refusal from the page, so
 * without this line neither side would know why the widget cannot reach the server.
 */
export function logRefusedOrigins(allowedOrigins: string[], logger: Logger): MiddlewareHandler {
  const told = new Set<string>();
  return (c, next) => {
    const origin = c.req.header('origin');
    if (origin && !allowedOrigins.includes(origin) && !told.has(origin) && told.size < 100 && origin !== new URL(c.req.url).origin) {
      told.add(origin);
      const allowed = allowedOrigins.length ? allowedOrigins.join(',') : 'not set';
      logger.warn(
        { origin, method: c.req.method, path: c.req.path },
        `Refused a browser request from ${origin} (${c.req.method} ${c.req.path}): add it to SECURE_INBOX_ALLOWED_ORIGINS (now ${allowed}) to let pages there use the widget.`,
      );
    }
    return next();
  };
}
