/**
 * Counters shared by every instance: rate limits, failed sign-ins and upload quotas (fixed windows, as
 * rate-limit.ts's FixedWindows counts them in memory on SQLite), and the "what changed" versions behind kept pages.
 *
 * They live in UNLOGGED tables (SHARED_COUNTERS_DDL): writes skip the WAL, which is what makes a counter per request
 * cheap, and after a crash PostgreSQL empties them. For rate limits that forgets at most one window's counts. For
 * versions it would be dangerous if numbers started again at 1 (a page kept at version 5 would look current when
 * the counter next reached 5), so versions come from a logged sequence: a number is never handed out twice, and a
 * key missing after a crash reads as 0, which matches no kept page.
 *
 * Each count is one atomic upsert, so hits arriving at once through several instances are counted exactly. The
 * time is the database's (`statement_timestamp()`, one clock for every instance) unless a caller passes its own.
 */
import { sql, type SQL } from 'drizzle-orm';
import { postgresDialect } from '../dialect.js';
import type { Executor } from './feed.js';

/**
 * The tables and sequence these counters need: what drizzle-pg/0004_shared_counters.sql makes (written by hand, since
 * drizzle-kit cannot express UNLOGGED; so they are not in schema.ts, and SHARED_TABLES names them for the tests).
 */
export const SHARED_COUNTERS_DDL = [
  `CREATE UNLOGGED TABLE shared_counters (
     key text PRIMARY KEY,
     window_start bigint NOT NULL,
     count bigint NOT NULL,
     refused boolean NOT NULL DEFAULT false
   )`,
  'CREATE INDEX shared_counters_window_idx ON shared_counters (window_start)',
  'CREATE SEQUENCE shared_versions_seq',
  'CREATE UNLOGGED TABLE shared_versions (key text PRIMARY KEY, version bigint NOT NULL)',
] as const;

/** The tables of SHARED_COUNTERS_DDL, which schema.ts does not declare. */
export const SHARED_TABLES = ['shared_counters', 'shared_versions'] as const;

export const KEY_MAX_CHARS = 256;

function checkKey(key: string): void {
  if (key.length === 0 || key.length > KEY_MAX_CHARS) throw new RangeError(`a counter key is 1..${KEY_MAX_CHARS} characters`);
}

export interface Refusal {
  /** Seconds until the window ends, at least 1 (Retry-After). */
  retryAfter: number;
  /** Whether this is the window's first refusal (audited once, not once per request). */
  first: boolean;
}

/**
 * Counts per key in fixed windows shared by all instances, with FixedWindows' methods. A window starts with the
 * first count after the last one ended. `limit` 0 never refuses.
 */
export class SharedWindows {
  constructor(
    private readonly db: Executor,
    readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now?: () => number,
  ) {}

  private nowSql(): SQL {
    return this.now ? sql`${this.now()}::bigint` : sql`(extract(epoch FROM statement_timestamp()) * 1000)::bigint`;
  }

  /** Counts one event in the key's current window (a new one if it ended); returns the window's start, the count and the time. */
  async add(key: string): Promise<{ start: number; count: number; now: number }> {
    checkKey(key);
    const now = this.nowSql();
    const ended = sql`${now} - c.window_start >= ${this.windowMs}`;
    const { rows } = await this.db.execute<{ window_start: string; count: string; now: string }>(sql`
      INSERT INTO shared_counters AS c (key, window_start, count) VALUES (${key}, ${now}, 1)
      ON CONFLICT (key) DO UPDATE SET
        window_start = CASE WHEN ${ended} THEN ${now} ELSE c.window_start END,
        count = CASE WHEN ${ended} THEN 1 ELSE c.count + 1 END,
        refused = CASE WHEN ${ended} THEN false ELSE c.refused END
      RETURNING c.window_start, c.count, ${now} AS now`);
    const row = rows[0]!;
    return { start: Number(row.window_start), count: Number(row.count), now: Number(row.now) };
  }

  private retryAfter(start: number, now: number): number {
    return Math.max(1, Math.ceil((start + this.windowMs - now) / 1000));
  }

  /** Counts one event; a refusal when it is over the limit (the first one only for the count just past it). */
  async hit(key: string): Promise<Refusal | null> {
    if (this.limit === 0) return null;
    const { start, count, now } = await this.add(key);
    return count > this.limit ? { retryAfter: this.retryAfter(start, now), first: count === this.limit + 1 } : null;
  }

  /** Counts one event without refusing it. */
  async count(key: string): Promise<void> {
    if (this.limit !== 0) await this.add(key);
  }

  /** Whether the key is already at its limit in its current window, without counting; `first` for one caller only. */
  async over(key: string): Promise<Refusal | null> {
    if (this.limit === 0) return null;
    checkKey(key);
    const now = this.nowSql();
    // Marks the window refused; only the caller whose update turned the mark on is told `first`.
    const { rows } = await this.db.execute<{ window_start: string; was_refused: boolean; now: string }>(sql`
      WITH current AS (
        SELECT key, window_start, refused FROM shared_counters
        WHERE key = ${key} AND ${now} - window_start < ${this.windowMs} AND count >= ${this.limit}
        FOR UPDATE
      )
      UPDATE shared_counters c SET refused = true FROM current
      WHERE c.key = current.key
      RETURNING c.window_start, current.refused AS was_refused, ${now} AS now`);
    const row = rows[0];
    return row ? { retryAfter: this.retryAfter(Number(row.window_start), Number(row.now)), first: !row.was_refused } : null;
  }
}

/**
 * Counts per key in fixed windows shared by all instances, like SharedWindows, but answered from memory: counts are
 * sent to the database together every `syncMs` (one statement for all the keys counted since), which answers each
 * key's count over every instance, kept here until the next. A key's count is then what every instance had sent at
 * the last exchange plus what this one counted since, so a limit can be passed by what the other instances count
 * within one exchange (at most `syncMs` late). For the limits on reads, which a client meets only by asking in a
 * loop: counted exactly, each read paid two round trips more, which cut the read-only inbox page on PostgreSQL to a
 * quarter (docs/performance.md).
 */
export class SyncedWindows {
  /** Counts not sent yet. */
  private readonly pending = new Map<string, number>();
  /** Counts sent whose answer has not come back yet: still counted here, or a sync would hide them for its round trip. */
  private readonly sent = new Map<string, number>();
  /** What the database answered at the last exchange: every instance's count in the key's window and its start. */
  private readonly known = new Map<string, { start: number; count: number; refused: boolean }>();
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Executor,
    readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly syncMs = 100,
    private readonly onError: (error: Error) => void = (error) => console.warn(`Sharing rate-limit counts failed: ${error.message}`),
  ) {}

  /** Counts one event; a refusal when it is over the limit (`first` for the first refusal of the window here). */
  hit(key: string): Refusal | null {
    if (this.limit === 0) return null;
    checkKey(key);
    const now = Date.now();
    let known = this.known.get(key);
    if (known && now - known.start >= this.windowMs) known = undefined;
    const pending = (this.pending.get(key) ?? 0) + 1;
    this.pending.set(key, pending);
    this.schedule();
    if ((known?.count ?? 0) + (this.sent.get(key) ?? 0) + pending <= this.limit) return null;
    if (!known) this.known.set(key, (known = { start: now, count: 0, refused: false }));
    const first = !known.refused;
    known.refused = true;
    return { retryAfter: Math.max(1, Math.ceil((known.start + this.windowMs - now) / 1000)), first };
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sending = this.sending.then(() => this.send()).catch(this.onError);
    }, this.syncMs);
    this.timer.unref();
  }

  /** Sends the pending counts and keeps what the database answers (every instance's count per key). */
  async send(): Promise<void> {
    if (this.pending.size === 0) return;
    const counts = [...this.pending];
    this.pending.clear();
    for (const [key, count] of counts) this.sent.set(key, count);
    const now = sql`(extract(epoch FROM statement_timestamp()) * 1000)::bigint`;
    const ended = sql`${now} - c.window_start >= ${this.windowMs}`;
    const { rows } = await this.db
      .execute<{ key: string; window_start: string; count: string; now: string }>(
        sql`
      INSERT INTO shared_counters AS c (key, window_start, count)
      SELECT value->>0, ${now}, (value->>1)::bigint FROM json_array_elements(${JSON.stringify(counts)}::json)
      ON CONFLICT (key) DO UPDATE SET
        window_start = CASE WHEN ${ended} THEN ${now} ELSE c.window_start END,
        count = CASE WHEN ${ended} THEN excluded.count ELSE c.count + excluded.count END,
        refused = CASE WHEN ${ended} THEN false ELSE c.refused END
      RETURNING c.key, c.window_start, c.count, ${now} AS now`,
      )
      .finally(() => this.sent.clear());
    const local = Date.now();
    for (const row of rows) {
      // The window's start on this instance's clock, from its age on the database's.
      const start = local - (Number(row.now) - Number(row.window_start));
      const before = this.known.get(row.key);
      const count = Number(row.count);
      // Still the window of the refusal already audited here, unless the count started again.
      this.known.set(row.key, { start, count, refused: before?.refused === true && count >= before.count });
    }
    for (const [key, known] of this.known) if (local - known.start >= this.windowMs) this.known.delete(key);
  }
}

/**
 * A limit whose check every request makes, answered from memory: whether a key (a client address) is over its failed
 * sign-ins. A round trip per request for it cost the read-only inbox page on PostgreSQL half its throughput
 * (docs/performance.md). Counts stay exact, one upsert each (SharedWindows). The keys at their limit, few at any time,
 * are read again at most every `syncMs`, by one read that the requests arriving meanwhile wait for; so a key that
 * reached its limit through another instance is refused here within `syncMs`, and through this one at once. The first
 * refusal of a window here asks the database whether it is the first of all instances (audited once).
 */
export class SyncedLimits {
  private readonly exact: SharedWindows;
  /** Keys at their limit: until when (this instance's clock), since when known, and whether a refusal was told here. */
  private blocked = new Map<string, { until: number; since: number; told: boolean }>();
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly db: Executor,
    /** The keys' common start (`sign-in:`), which the read of the keys at their limit looks for. */
    private readonly prefix: string,
    readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly syncMs = 100,
  ) {
    this.exact = new SharedWindows(db, limit, windowMs);
  }

  /** Counts one event; a key that reaches its limit is refused here from the next check on. */
  async count(key: string): Promise<void> {
    if (this.limit === 0) return;
    const { start, count, now } = await this.exact.add(key);
    const local = Date.now();
    if (count >= this.limit) this.blocked.set(key, { until: local + start + this.windowMs - now, since: local, told: this.blocked.get(key)?.told ?? false });
  }

  /** Whether the key is at its limit, without counting: from memory, unless the last read is older than `syncMs`. */
  over(key: string): Refusal | null | Promise<Refusal | null> {
    if (this.limit === 0) return null;
    if (Date.now() - this.readAt >= this.syncMs) return this.read().then(() => this.answer(key));
    return this.answer(key);
  }

  private answer(key: string): Refusal | null | Promise<Refusal | null> {
    const now = Date.now();
    const block = this.blocked.get(key);
    if (!block || block.until <= now) return null;
    if (!block.told) {
      block.told = true;
      return this.exact.over(key);
    }
    return { retryAfter: Math.max(1, Math.ceil((block.until - now) / 1000)), first: false };
  }

  private read(): Promise<void> {
    this.reading ??= (async () => {
      const started = Date.now();
      try {
        const now = sql`(extract(epoch FROM statement_timestamp()) * 1000)::bigint`;
        const { rows } = await this.db.execute<{ key: string; left_ms: string }>(sql`
          SELECT key, ${this.windowMs} - (${now} - window_start) AS left_ms FROM shared_counters
          WHERE key LIKE ${`${this.prefix.replace(/[\\%_]/g, '\\$&')}%`} AND count >= ${this.limit} AND ${now} - window_start < ${this.windowMs}`);
        const local = Date.now();
        const next = new Map<string, { until: number; since: number; told: boolean }>();
        for (const row of rows) next.set(row.key, { until: local + Number(row.left_ms), since: local, told: this.blocked.get(row.key)?.told ?? false });
        // A key this instance blocked after the read began may be missing from it.
        for (const [key, block] of this.blocked) if (!next.has(key) && block.since >= started && block.until > local) next.set(key, block);
        this.blocked = next;
        this.readAt = started;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }
}

/** Deletes windows that ended more than `olderThanMs` ago (a periodic job, under runAsSingleton). */
export async function pruneCounters(db: Executor, olderThanMs: number): Promise<number> {
  const { rowCount } = await db.execute(sql`
    DELETE FROM shared_counters WHERE window_start < (extract(epoch FROM statement_timestamp()) * 1000)::bigint - ${olderThanMs}`);
  return rowCount ?? 0;
}

const keyList = (keys: string[]) => {
  keys.forEach(checkKey);
  return postgresDialect.jsonEach(sql`${JSON.stringify(keys)}`);
};

/** Gives each key a new version, greater than any handed out before; call it in the transaction of the change. */
export async function bumpVersions(db: Executor, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.execute(sql`
    INSERT INTO shared_versions (key, version)
    SELECT DISTINCT ON (value) value, nextval('shared_versions_seq') FROM ${keyList(keys)}
    ON CONFLICT (key) DO UPDATE SET version = excluded.version`);
}

/** The keys' current versions; 0 for a key never bumped (or emptied by a crash). */
export async function readVersions(db: Executor, keys: string[]): Promise<Map<string, number>> {
  const versions = new Map(keys.map((key) => [key, 0]));
  if (keys.length === 0) return versions;
  const { rows } = await db.execute<{ key: string; version: string }>(sql`
    SELECT key, version FROM shared_versions WHERE key IN (SELECT value FROM ${keyList(keys)})`);
  for (const row of rows) versions.set(row.key, Number(row.version));
  return versions;
}
