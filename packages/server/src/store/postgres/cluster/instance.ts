/**
 * This process's part in a cluster of instances on one PostgreSQL database: one wake listener (wakeups.ts) per store,
 * opened with it (store.ts `openPostgresStore`) and closed with it, which turns what other instances commit and send
 * into what this instance's streams and kept pages need.
 *
 * - A wake-up for some users (any instance's commit that appended their events, this one's included) wakes their
 *   streams here (realtime/bus.ts) and moves their change versions (domain/change-versions.ts), so pages this
 *   instance kept for them are computed again.
 * - A wake-up for all users wakes every stream. When it says that wake-ups were lost (the listening connection came
 *   back, or a commit named too many users to list), every kept page expires too; the periodic catch-up tick only
 *   wakes streams (a kept page cannot miss a notification without a reconnect telling so).
 * - Signals (SIGNAL_CHANNEL) carry what is not stored: an "is writing" frame for some users' streams, and "a sign-in
 *   changed the directory". A signal names the instance that sent it, which already delivered it itself.
 *
 * With a listener, this instance's own commits wake its streams through it too, and only through it
 * (realtime/fanout.ts): one read per stream per commit rather than two, for a notification that arrives within
 * about a millisecond of the commit. A PostgreSQL database without a listener (a tool, a test of the domain alone)
 * wakes its streams after its own commits, as SQLite does.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { noteRemoteDirectoryChange, noteRemoteUserChanges, noteUnknownChanges, publishDirectoryChanges } from '../../../domain/change-versions.js';
import { eventBus } from '../../../realtime/bus.js';
import { homeOf } from '../../runtime.js';
import type { Db } from '../../sqlite/client.js';
import type { PgDb } from '../db.js';
import { listenForWakeups, PAYLOAD_MAX_BYTES, SIGNAL_CHANNEL, type Wake, type WakeListener } from './wakeups.js';

/** What travels on SIGNAL_CHANNEL: `o` the sending instance; an ephemeral frame `f` for users `u`, or a directory change. */
type Signal = { o: string; t: 'frame'; u: string[]; f: string } | { o: string; t: 'directory' };

interface Instance {
  id: string;
  db: PgDb;
  listener: WakeListener;
  /** From the first LISTEN on; before it, this instance's commits wake its streams itself. */
  listening: boolean;
}

const instances = new WeakMap<object, Instance>();

export interface JoinOptions {
  /** The database's URL, for the listener's own connection. */
  url: string;
  /** Makes the listening connection (tests: one that waits for its database to exist). */
  client?: () => pg.Client;
  /** Every this many ms every stream is woken (a lost notification only delays); 5 s unless told. */
  catchUpMs?: number;
  /** Told of a lost listening connection or a failed attempt; the listener keeps trying. */
  onError?: (error: Error) => void;
}

/** Opens the store's wake listener (once per pool); `ready` settles once it listens. */
export function joinCluster(pgDb: PgDb, options: JoinOptions): WakeListener {
  const db = pgDb as unknown as Db;
  const home = homeOf(db);
  const existing = instances.get(home);
  if (existing) return existing.listener;
  const id = randomUUID();
  const listener = listenForWakeups({
    url: options.url,
    ...(options.client ? { client: options.client } : {}),
    ...(options.catchUpMs !== undefined ? { catchUpMs: options.catchUpMs } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    onWake: (wake) => onWake(db, wake),
    onSignal: (payload) => onSignal(db, id, payload),
  });
  const instance: Instance = { id, db: pgDb, listener, listening: false };
  instances.set(home, instance);
  void listener.ready.then(() => (instance.listening = true));
  publishDirectoryChanges(db, () => void sendSignal(pgDb, { o: id, t: 'directory' }).catch((error: Error) => options.onError?.(error)));
  return listener;
}

/** Closes the store's wake listener, if it has one. */
export async function leaveCluster(pgDb: PgDb): Promise<void> {
  const home = homeOf(pgDb as unknown as Db);
  const instance = instances.get(home);
  if (!instance) return;
  instances.delete(home);
  publishDirectoryChanges(pgDb as unknown as Db, () => undefined);
  await instance.listener.close();
}

/** Whether `db`'s store listens for wake-ups, which then also wake this instance's streams for its own commits. */
export function inCluster(db: Db): boolean {
  return instances.get(homeOf(db))?.listening ?? false;
}

function onWake(db: Db, wake: Wake): void {
  const bus = eventBus(db);
  if (wake.users === 'all') {
    if (wake.reason !== 'tick') noteUnknownChanges(db);
    bus.wakeAll();
    return;
  }
  noteRemoteUserChanges(db, wake.users);
  bus.wake(wake.users);
}

function onSignal(db: Db, self: string, payload: string): void {
  const signal = JSON.parse(payload) as Signal;
  if (signal.o === self) return;
  if (signal.t === 'directory') noteRemoteDirectoryChange(db);
  else if (signal.t === 'frame' && Array.isArray(signal.u) && typeof signal.f === 'string') eventBus(db).send(signal.u, signal.f);
}

function sendSignal(db: PgDb, signal: Signal): Promise<unknown> {
  return db.execute(sql`SELECT pg_notify(${SIGNAL_CHANNEL}, ${JSON.stringify(signal)})`);
}

/**
 * Hands an ephemeral SSE frame to the users' open streams on every instance: here at once, elsewhere through a
 * signal. Each signal stays under PostgreSQL's payload limit (the users are split over as many as needed); a frame
 * too large for one is delivered here only. Settles once the signals are sent.
 */
export async function sendToStreams(db: Db, userIds: string[], frame: string): Promise<void> {
  eventBus(db).send(userIds, frame);
  const instance = instances.get(homeOf(db));
  if (!instance || userIds.length === 0) return;
  const base = Buffer.byteLength(JSON.stringify({ o: instance.id, t: 'frame', u: [], f: frame }));
  if (base + 64 > PAYLOAD_MAX_BYTES) return;
  let batch: string[] = [];
  let bytes = base;
  for (const id of new Set(userIds)) {
    const size = Buffer.byteLength(JSON.stringify(id)) + 1;
    if (base + size > PAYLOAD_MAX_BYTES) continue; // an id too long to send: no such user
    if (bytes + size > PAYLOAD_MAX_BYTES) {
      await sendSignal(instance.db, { o: instance.id, t: 'frame', u: batch, f: frame });
      batch = [];
      bytes = base;
    }
    batch.push(id);
    bytes += size;
  }
  if (batch.length > 0) await sendSignal(instance.db, { o: instance.id, t: 'frame', u: batch, f: frame });
}
