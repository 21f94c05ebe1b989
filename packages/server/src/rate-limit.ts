/**
 * Rate limits (fixed one-minute windows, kept in memory: one server process holds the one writer
 * connection, so there is no second process to share counts with).
 *
 *  - writes per user (SECURE_INBOX_RATE_LIMIT): every POST/PUT/PATCH/DELETE of a signed-in user;
 *  - sends, new conversations and uploads per client address (SECURE_INBOX_RATE_LIMIT_IP);
 *  - reads per user (SECURE_INBOX_READ_RATE_LIMIT) and per client address (SECURE_INBOX_READ_RATE_LIMIT_IP): every
 *    GET of a signed-in user (lists, threads, counts, searches, event streams, downloads);
 *  - failed sign-ins per client address (SECURE_INBOX_AUTH_FAILURES_PER_MINUTE): above it the address
 *    gets 429 for every request that needs a token until its minute is over.
 *
 * Every refusal is 429 `rate_limited` with Retry-After; the first refusal of a window is audited
 * (one row, not one per request, so a flood cannot flood the audit table as well).
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Config } from './config.js';
import type { AppEnv } from './context.js';
import type { Db } from './store/sqlite/client.js';
import { audit, refusal } from './domain/audit.js';
import { ApiError } from './errors.js';

const MINUTE = 60_000;
const MAX_KEYS = 100_000;

interface Window {
  start: number;
  count: number;
  refused: boolean;
}

/** Counts per key in fixed windows. `limit` 0 never refuses. */
export class FixedWindows {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly limit: number,
    private readonly windowMs = MINUTE,
    private readonly now: () => number = Date.now,
  ) {}

  private current(key: string): Window {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0, refused: false };
      this.windows.set(key, window);
      if (this.windows.size > MAX_KEYS) for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
    }
    return window;
  }

  /** Counts one event; returns the seconds to wait when it is over the limit. */
  hit(key: string): { retryAfter: number; first: boolean } | null {
    if (this.limit === 0) return null;
    const window = this.current(key);
    window.count += 1;
    return window.count > this.limit ? this.refusal(window) : null;
  }

  /** Counts one event without refusing it. */
  count(key: string): void {
    if (this.limit !== 0) this.current(key).count += 1;
  }

  /** Whether the key is already at its limit, without counting. */
  over(key: string): { retryAfter: number; first: boolean } | null {
    if (this.limit === 0) return null;
    const window = this.current(key);
    return window.count >= this.limit ? this.refusal(window) : null;
  }

  private refusal(window: Window) {
    const first = !window.refused;
    window.refused = true;
    return { retryAfter: Math.max(1, Math.ceil((window.start + this.windowMs - this.now()) / 1000)), first };
  }
}

/**
 * The client's address: the socket's peer, or with `trustProxy` the last X-Forwarded-For entry (the one
 * the nearest proxy added; earlier entries are whatever the client claimed). Undefined when the request
 * did not come over a socket (in-process calls), in which case no per-address limit applies.
 */
export function clientAddress(c: Context, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .pop();
    if (last) return normalize(last);
  }
  try {
    const address = getConnInfo(c).remote.address;
    return address ? normalize(address) : undefined;
  } catch {
    return undefined;
  }
}

const normalize = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

/** Answers 429 `rate_limited` with Retry-After; the first refusal of a window is audited (the row written through the lane, not awaited). */
export function refuse(db: Db, what: string, limit: number, retryAfter: number, first: boolean, actorId: string | null, scope: string): never {
  if (first) void audit(db, { actorId, action: 'rate_limit', outcome: 'denied', detail: { scope, limit } });
  throw rateLimited(what, limit, retryAfter);
}

/** `refuse` for a caller that may wait: the 429 once the refusal's audit row is written. */
async function refuseAudited(db: Db, what: string, limit: number, retryAfter: number, first: boolean, actorId: string | null, scope: string): Promise<never> {
  if (first) await refusal(db, { actorId, action: 'rate_limit', outcome: 'denied', detail: { scope, limit } });
  throw rateLimited(what, limit, retryAfter);
}

function rateLimited(what: string, limit: number, retryAfter: number): ApiError {
  return new ApiError(429, 'rate_limited', `Too many ${what}: at most ${limit} a minute. Try again in ${retryAfter} s.`, undefined, {
    'Retry-After': String(retryAfter),
  });
}

/** Writes per user per minute. 0 turns the limit off. */
export function rateLimitWrites(perMinute: number) {
  const windows = new FixedWindows(perMinute);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    const viewer = c.get('viewer');
    const refused = windows.hit(viewer.id);
    if (refused) await refuseAudited(c.get('deps').db, 'changes', perMinute, refused.retryAfter, refused.first, viewer.id, 'user');
    return next();
  });
}

/**
 * Reads per user and per client address per minute; 0 turns either off. The defaults are far above what the widget
 * asks in use (a page load is a handful of requests, a stream reconnects every few seconds at most), so only a client
 * asking in a loop meets them.
 */
export function rateLimitReads(config: Pick<Config, 'readRateLimitPerMinute' | 'readRateLimitPerIpPerMinute' | 'trustProxy'>) {
  const perUser = new FixedWindows(config.readRateLimitPerMinute);
  const perAddress = new FixedWindows(config.readRateLimitPerIpPerMinute);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const viewer = c.get('viewer');
    const { db } = c.get('deps');
    const address = clientAddress(c, config.trustProxy);
    const byAddress = address === undefined ? null : perAddress.hit(address);
    if (byAddress) await refuseAudited(db, 'requests from your network', perAddress.limit, byAddress.retryAfter, byAddress.first, viewer.id, 'reads-address');
    const byUser = perUser.hit(viewer.id);
    if (byUser) await refuseAudited(db, 'requests', perUser.limit, byUser.retryAfter, byUser.first, viewer.id, 'reads-user');
    return next();
  });
}

/** The requests that create something: a message, a conversation, an upload. */
const CREATES = /^\/api\/v1\/(conversations(\/[^/]+\/messages)?|attachments)\/?$/;

/** Sends, new conversations and uploads per client address per minute. */
export function rateLimitCreatesPerAddress(config: Pick<Config, 'rateLimitPerIpPerMinute' | 'trustProxy'>) {
  const windows = new FixedWindows(config.rateLimitPerIpPerMinute);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== 'POST' || !CREATES.test(c.req.path)) return next();
    const address = clientAddress(c, config.trustProxy);
    if (address === undefined) return next();
    const refused = windows.hit(address);
    if (refused)
      await refuseAudited(
        c.get('deps').db,
        'messages, conversations and uploads from your network',
        windows.limit,
        refused.retryAfter,
        refused.first,
        c.get('viewer')?.id ?? null,
        'address',
      );
    return next();
  });
}

/** Failed sign-ins per client address; used by requireUser. */
export interface SignInGuard {
  /** Throws 429 when the address is over its failures for this minute. */
  check(c: Context<AppEnv>): void;
  /** Counts one failure. */
  failed(c: Context<AppEnv>): void;
}

export function signInGuard(config: Pick<Config, 'authFailuresPerMinute' | 'trustProxy'>, db: Db): SignInGuard {
  const windows = new FixedWindows(config.authFailuresPerMinute);
  return {
    check(c) {
      const address = clientAddress(c, config.trustProxy);
      if (address === undefined) return;
      const refused = windows.over(address);
      if (refused) refuse(db, 'failed sign-ins from your network', windows.limit, refused.retryAfter, refused.first, null, 'sign-in');
    },
    failed(c) {
      const address = clientAddress(c, config.trustProxy);
      if (address !== undefined) windows.count(address);
    },
  };
}
