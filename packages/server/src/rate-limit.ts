/**
 * Rate limits (fixed one-minute windows). On SQLite they are kept in memory: one server process holds the one
 * writer connection, so there is no second process to share counts with. On PostgreSQL, where several instances
 * share the database behind a load balancer, they are counted in the database (store/postgres/cluster/counters.ts,
 * an UNLOGGED table with one atomic upsert per count), so a limit holds for requests spread over every instance;
 * the limits on reads are counted in memory and their counts shared every 100 ms (SyncedWindows), since a round
 * trip per read cost more than the read; for the same reason whether an address is over its failed sign-ins is
 * answered from memory, the addresses at their limit read again every 100 ms (SyncedLimits), while the failures
 * themselves are counted exactly.
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
import { createHash } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Config } from './config.js';
import type { AppEnv } from './context.js';
import type { Db } from './store/sqlite/client.js';
import { refusal } from './domain/audit.js';
import { KEY_MAX_CHARS, SharedWindows, SyncedLimits, SyncedWindows } from './store/postgres/cluster/counters.js';
import type { PgDb } from './store/postgres/db.js';
import { homeOf, isPostgres } from './store/runtime.js';
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

type Refusal = { retryAfter: number; first: boolean };

/**
 * One kind of limit (`name`: writes, reads-user, typing, ...) counted per key in fixed windows, on the store of the
 * database it is asked with: in memory on SQLite (FixedWindows, answered at once), in the database every instance
 * shares on PostgreSQL (SharedWindows, under keys `<name>:<key>`). Awaiting an answer that is a plain value costs
 * SQLite nothing more than a microtask.
 */
export class RateWindows {
  private local: FixedWindows | undefined;
  private readonly shared = new WeakMap<object, SharedWindows>();
  private readonly synced = new WeakMap<object, SyncedWindows>();
  private readonly blocks = new WeakMap<object, SyncedLimits>();

  /**
   * `sharing` 'synced' counts on PostgreSQL in memory and shares the counts every 100 ms (SyncedWindows) instead of
   * one upsert per count: for the limits on reads, met only by a client asking in a loop, where a round trip per
   * request would cost more than the read. 'blocks' counts exactly but answers `over` from memory, the keys at their
   * limit read again every 100 ms (SyncedLimits): for failed sign-ins, counted rarely and asked on every request.
   */
  constructor(
    readonly name: string,
    readonly limit: number,
    private readonly windowMs = MINUTE,
    private readonly sharing: 'exact' | 'synced' | 'blocks' = 'exact',
  ) {}

  private sharedFor(db: Db): SharedWindows {
    let windows = this.shared.get(homeOf(db));
    if (!windows) this.shared.set(homeOf(db), (windows = new SharedWindows(db as unknown as PgDb, this.limit, this.windowMs)));
    return windows;
  }

  private syncedFor(db: Db): SyncedWindows {
    let windows = this.synced.get(homeOf(db));
    if (!windows) this.synced.set(homeOf(db), (windows = new SyncedWindows(db as unknown as PgDb, this.limit, this.windowMs)));
    return windows;
  }

  private blocksFor(db: Db): SyncedLimits {
    let limits = this.blocks.get(homeOf(db));
    if (!limits) this.blocks.set(homeOf(db), (limits = new SyncedLimits(db as unknown as PgDb, `${this.name}:`, this.limit, this.windowMs)));
    return limits;
  }

  /** The shared key: the kind and the key, or their hash when that is too long for the table. */
  private sharedKey(key: string): string {
    const full = `${this.name}:${key}`;
    return full.length <= KEY_MAX_CHARS ? full : `${this.name}:sha256:${createHash('sha256').update(key).digest('hex')}`;
  }

  /** Counts one event; a refusal when it is over the limit. */
  hit(db: Db, key: string): Refusal | null | Promise<Refusal | null> {
    if (this.limit === 0) return null;
    if (isPostgres(db)) return this.sharing === 'synced' ? this.syncedFor(db).hit(this.sharedKey(key)) : this.sharedFor(db).hit(this.sharedKey(key));
    return (this.local ??= new FixedWindows(this.limit, this.windowMs)).hit(key);
  }

  /** Counts one event without refusing it. */
  count(db: Db, key: string): void | Promise<void> {
    if (this.limit === 0) return;
    if (isPostgres(db)) return this.sharing === 'blocks' ? this.blocksFor(db).count(this.sharedKey(key)) : this.sharedFor(db).count(this.sharedKey(key));
    (this.local ??= new FixedWindows(this.limit, this.windowMs)).count(key);
  }

  /** Whether the key is already at its limit, without counting. */
  over(db: Db, key: string): Refusal | null | Promise<Refusal | null> {
    if (this.limit === 0) return null;
    if (isPostgres(db)) return this.sharing === 'blocks' ? this.blocksFor(db).over(this.sharedKey(key)) : this.sharedFor(db).over(this.sharedKey(key));
    return (this.local ??= new FixedWindows(this.limit, this.windowMs)).over(key);
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

/**
 * Answers 429 `rate_limited` with Retry-After; the first refusal of a window is audited (the row written through the
 * lane, not awaited: `refusal` never rejects). For the checks that stay synchronous (the sign-in guard, typing).
 */
export function refuse(db: Db, what: string, limit: number, retryAfter: number, first: boolean, actorId: string | null, scope: string): never {
  if (first) void refusal(db, { actorId, action: 'rate_limit', outcome: 'denied', detail: { scope, limit } });
  throw rateLimited(what, limit, retryAfter);
}

/** `refuse` for a caller that may wait: the 429 once the refusal's audit row is written. */
export async function refuseAudited(
  db: Db,
  what: string,
  limit: number,
  retryAfter: number,
  first: boolean,
  actorId: string | null,
  scope: string,
): Promise<never> {
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
  const windows = new RateWindows('writes', perMinute);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    const viewer = c.get('viewer');
    const { db } = c.get('deps');
    const refused = await windows.hit(db, viewer.id);
    if (refused) await refuseAudited(db, 'changes', perMinute, refused.retryAfter, refused.first, viewer.id, 'user');
    return next();
  });
}

/**
 * Reads per user and per client address per minute; 0 turns either off. The defaults are far above what the widget
 * asks in use (a page load is a handful of requests, a stream reconnects every few seconds at most), so only a client
 * asking in a loop meets them.
 */
export function rateLimitReads(config: Pick<Config, 'readRateLimitPerMinute' | 'readRateLimitPerIpPerMinute' | 'trustProxy'>) {
  const perUser = new RateWindows('reads-user', config.readRateLimitPerMinute, MINUTE, 'synced');
  const perAddress = new RateWindows('reads-address', config.readRateLimitPerIpPerMinute, MINUTE, 'synced');
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const viewer = c.get('viewer');
    const { db } = c.get('deps');
    const address = clientAddress(c, config.trustProxy);
    const byAddress = address === undefined ? null : await perAddress.hit(db, address);
    if (byAddress) await refuseAudited(db, 'requests from your network', perAddress.limit, byAddress.retryAfter, byAddress.first, viewer.id, 'reads-address');
    const byUser = await perUser.hit(db, viewer.id);
    if (byUser) await refuseAudited(db, 'requests', perUser.limit, byUser.retryAfter, byUser.first, viewer.id, 'reads-user');
    return next();
  });
}

/** The requests that create something: a message, a conversation, an upload. */
const CREATES = /^\/api\/v1\/(conversations(\/[^/]+\/messages)?|attachments)\/?$/;

/** Sends, new conversations and uploads per client address per minute. */
export function rateLimitCreatesPerAddress(config: Pick<Config, 'rateLimitPerIpPerMinute' | 'trustProxy'>) {
  const windows = new RateWindows('creates-address', config.rateLimitPerIpPerMinute);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== 'POST' || !CREATES.test(c.req.path)) return next();
    const address = clientAddress(c, config.trustProxy);
    if (address === undefined) return next();
    const refused = await windows.hit(c.get('deps').db, address);
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

/** Failed sign-ins per client address; used by requireUser. Both answer at once on SQLite (no promise). */
export interface SignInGuard {
  /** Throws (or rejects with) 429 when the address is over its failures for this minute. */
  check(c: Context<AppEnv>): void | Promise<void>;
  /** Counts one failure. */
  failed(c: Context<AppEnv>): void | Promise<void>;
}

export function signInGuard(config: Pick<Config, 'authFailuresPerMinute' | 'trustProxy'>, db: Db): SignInGuard {
  const windows = new RateWindows('sign-in', config.authFailuresPerMinute, MINUTE, 'blocks');
  const what = 'failed sign-ins from your network';
  const refuseOver = (refused: Refusal | null) => {
    if (refused) refuse(db, what, windows.limit, refused.retryAfter, refused.first, null, 'sign-in');
  };
  // Where the answer took a round trip anyway, the 429 waits for its audit row too.
  const refuseOverAudited = async (refused: Refusal | null) => {
    if (refused) await refuseAudited(db, what, windows.limit, refused.retryAfter, refused.first, null, 'sign-in');
  };
  return {
    check(c) {
      const address = clientAddress(c, config.trustProxy);
      if (address === undefined) return;
      const refused = windows.over(db, address);
      if (refused instanceof Promise) return refused.then(refuseOverAudited);
      refuseOver(refused);
    },
    failed(c) {
      const address = clientAddress(c, config.trustProxy);
      if (address !== undefined) return windows.count(db, address);
    },
  };
}
