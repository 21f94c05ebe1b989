/**
 * Wake-ups across instances: a commit that appended events tells every instance whose streams to wake, and each
 * instance reads what is new from the events table (feed.ts), which stays the truth.
 *
 * - `notifyUsers` runs inside the committing transaction: `pg_notify` is transactional, so listeners hear it when the
 *   commit lands and never for a rollback. A payload carries user ids only, never content, as a JSON array; ids are
 *   split over as many notifications as needed to keep each under PostgreSQL's limit (8,000 bytes), and past
 *   MAX_PAYLOADS of them one ALL_USERS marker is sent instead, which makes listeners wake every stream they hold.
 * - `listenForWakeups` holds ONE dedicated connection per instance (not one of the pool's: LISTEN belongs to a
 *   session). When that connection drops it reconnects with a growing pause, and wakes everything once back, since
 *   notifications sent while it was away are lost. A periodic catch-up tick is handed to `onWake` too (reason
 *   'tick'), for the owner to read what a lost notification would have told (instance.ts reads which users have new
 *   events), so a lost notification only delays an event by at most a tick or two, never loses it; the tick also pings
 *   the connection, so a connection that died silently is noticed.
 * - The same connection listens on SIGNAL_CHANNEL too, for what is sent to every instance without being stored
 *   (instance.ts: "is writing" frames, sign-in directory changes); those are handed to `onSignal` as they come.
 */
import { sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Executor } from './feed.js';

/** The one channel every instance listens on. */
export const WAKE_CHANNEL = 'secure_inbox_wake';
/** The channel of signals that are not stored anywhere (instance.ts). */
export const SIGNAL_CHANNEL = 'secure_inbox_signal';
/** The payload that means "every user": listeners read all the streams they hold. */
export const ALL_USERS = '*';
/** Below PostgreSQL's 8,000-byte payload limit, with room to spare. */
export const PAYLOAD_MAX_BYTES = 7_900;
/** More notifications than this for one commit, and one ALL_USERS is sent instead. */
export const MAX_PAYLOADS = 8;

/** The payloads that wake `userIds` (each once), each at most PAYLOAD_MAX_BYTES long. */
export function wakePayloads(userIds: Iterable<string>): string[] {
  const payloads: string[] = [];
  let batch: string[] = [];
  let bytes = 2; // []
  for (const id of new Set(userIds)) {
    const size = Buffer.byteLength(JSON.stringify(id)) + 1; // and a comma
    if (size + 2 > PAYLOAD_MAX_BYTES) return [ALL_USERS];
    if (bytes + size > PAYLOAD_MAX_BYTES) {
      payloads.push(JSON.stringify(batch));
      if (payloads.length >= MAX_PAYLOADS) return [ALL_USERS];
      batch = [];
      bytes = 2;
    }
    batch.push(id);
    bytes += size;
  }
  if (batch.length > 0) payloads.push(JSON.stringify(batch));
  return payloads;
}

/** Wakes `userIds`' streams on every instance once the surrounding transaction commits. */
export async function notifyUsers(db: Executor, userIds: Iterable<string>): Promise<void> {
  await db.execute(sql`SELECT count(*) FROM (${wakeQuery(userIds)}) woken`);
}

/** A query that sends the notifications waking `userIds` (one row per notification), for a statement doing more. */
export function wakeQuery(userIds: Iterable<string>): SQL {
  return sql`SELECT pg_notify(${WAKE_CHANNEL}, payload) FROM json_array_elements_text(${JSON.stringify(wakePayloads(userIds))}::json) AS payload`;
}

/** Which streams to wake: some users, or all of them (after a gap, on the tick, or for the ALL_USERS marker). */
export interface Wake {
  users: string[] | 'all';
  reason: 'notify' | 'reconnect' | 'tick';
}

/** What a payload names; anything unreadable wakes everyone, which is always safe. */
export function parseWakePayload(payload: string | undefined): string[] | 'all' {
  if (!payload || payload === ALL_USERS) return 'all';
  try {
    const ids: unknown = JSON.parse(payload);
    if (Array.isArray(ids) && ids.every((id) => typeof id === 'string')) return ids;
  } catch {
    // falls through
  }
  return 'all';
}

export interface WakeListenerOptions {
  /** The database; the listener opens its own connection to it. */
  url: string;
  onWake(wake: Wake): void;
  /** Each payload sent on SIGNAL_CHANNEL (by any instance, this one included); when given, that channel is listened to. */
  onSignal?(payload: string): void;
  /** Makes the listening connection (by default a pg.Client on `url`). */
  client?: () => pg.Client;
  /** Every this many ms, everything is woken (and the connection pinged). Default 5 s; 0 for never. */
  catchUpMs?: number;
  /** The first pause before reconnecting, doubled up to `maxReconnectMs`. Defaults 100 ms and 5 s. */
  reconnectMs?: number;
  maxReconnectMs?: number;
  /** Told of each lost connection or failed attempt (logging); the listener keeps trying. */
  onError?(error: Error): void;
}

export interface WakeListener {
  /** Settles once the first LISTEN is in place. */
  ready: Promise<void>;
  /** The backend process of the listening connection, while connected. */
  backendPid(): number | null;
  close(): Promise<void>;
}

export function listenForWakeups(options: WakeListenerOptions): WakeListener {
  const catchUpMs = options.catchUpMs ?? 5_000;
  const firstPause = options.reconnectMs ?? 100;
  const maxPause = options.maxReconnectMs ?? 5_000;
  let client: pg.Client | null = null;
  let pid: number | null = null;
  let closed = false;
  let pause = firstPause;
  let retry: NodeJS.Timeout | undefined;
  let connectedOnce = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const wake = (users: string[] | 'all', reason: Wake['reason']) => {
    try {
      options.onWake({ users, reason });
    } catch (error) {
      options.onError?.(error as Error);
    }
  };

  const lost = (dead: pg.Client, error: Error) => {
    if (client !== dead) return; // already handled
    client = null;
    pid = null;
    dead.removeAllListeners('notification');
    dead.end().catch(() => undefined);
    if (closed) return;
    options.onError?.(error);
    retry = setTimeout(connect, pause);
    retry.unref();
    pause = Math.min(pause * 2, maxPause);
  };

  const connect = async () => {
    if (closed) return;
    const next = options.client?.() ?? new pg.Client({ connectionString: options.url, keepAlive: true });
    client = next;
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, new Error('the listening connection ended')));
    next.on('notification', (message) => {
      if (message.channel === WAKE_CHANNEL) wake(parseWakePayload(message.payload), 'notify');
      else if (message.channel === SIGNAL_CHANNEL && message.payload) {
        try {
          options.onSignal?.(message.payload);
        } catch (error) {
          options.onError?.(error as Error);
        }
      }
    });
    try {
      await next.connect();
      const db = drizzle({ client: next });
      await db.execute(sql`LISTEN ${sql.identifier(WAKE_CHANNEL)}`);
      if (options.onSignal) await db.execute(sql`LISTEN ${sql.identifier(SIGNAL_CHANNEL)}`);
      const { rows } = await db.execute<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`);
      if (client !== next) return;
      pid = rows[0]!.pid;
      pause = firstPause;
      // Whatever was sent while no one listened is read now.
      if (connectedOnce) wake('all', 'reconnect');
      connectedOnce = true;
      markReady();
    } catch (error) {
      lost(next, error as Error);
    }
  };

  const tick =
    catchUpMs > 0
      ? setInterval(() => {
          wake('all', 'tick');
          const current = client;
          if (current && pid !== null)
            drizzle({ client: current })
              .execute(sql`SELECT 1`)
              .catch((error: Error) => lost(current, error));
        }, catchUpMs)
      : undefined;
  tick?.unref();
  void connect();

  return {
    ready,
    backendPid: () => pid,
    async close() {
      closed = true;
      clearInterval(tick);
      clearTimeout(retry);
      const current = client;
      client = null;
      pid = null;
      await current?.end().catch(() => undefined);
    },
  };
}
