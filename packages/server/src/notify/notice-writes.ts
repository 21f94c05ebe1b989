/**
 * The delivery worker's writes to the outbox (notify/worker.ts): claiming a batch, marking it sent or
 * failed, postponing it. Kept apart from the worker (and its mailer and templates) because the server
 * on a database file commits them on the writer thread (store/sqlite/writer-thread.ts) beside the sends.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { dialectOf, transaction } from '../store/runtime.js';
import { execute, firstRow, rows } from '../store/sql.js';

export interface Leader {
  userId: string;
  leaderId: number;
}

export interface ClaimedBatch {
  ids: number[];
  attempts: number;
  createdAt: string;
}

/** Where the delivery worker's writes are committed; each settles after its commit. */
export interface NoticeWrites {
  claim(leader: Leader, nowMs: number, leaseMs: number, batchSeconds: number): Promise<ClaimedBatch | null>;
  finish(ids: number[], status: 'sent' | 'failed', error: string | null, atIso: string): Promise<void>;
  postpone(ids: number[], nextAttemptIso: string, error: string): Promise<void>;
}

/**
 * Claims the leader's batch (a lease), or returns null when it is not ready or someone else holds it. In the
 * caller's transaction (a group commit's job, domain/write-jobs.ts), like the two below.
 */
export async function claimNotices(db: Db, leader: Leader, nowMs: number, leaseMs: number, batchSeconds: number): Promise<ClaimedBatch | null> {
  const nowIso = new Date(nowMs).toISOString();
  const head = await firstRow<{ createdAt: string; attempts: number; status: string; nextAttemptAt: string }>(
    db,
    sql`SELECT created_at AS "createdAt", attempts, status, next_attempt_at AS "nextAttemptAt" FROM notifications WHERE id = ${leader.leaderId}`,
  );
  if (!head || head.status !== 'pending' || head.nextAttemptAt > nowIso) return null;
  const windowEnd = new Date(Date.parse(head.createdAt) + batchSeconds * 1000).toISOString();
  // The batch is complete only once its window has closed.
  if (windowEnd > nowIso) return null;
  const ids = (
    await rows<{ id: number }>(
      db,
      sql`
      SELECT id FROM notifications
      WHERE user_id = ${leader.userId} AND channel = 'email' AND status = 'pending' AND id >= ${leader.leaderId}
        AND (id = ${leader.leaderId} OR created_at < ${windowEnd})
      ORDER BY id`,
    )
  ).map((r) => r.id);
  const lease = new Date(nowMs + leaseMs).toISOString();
  await execute(
    db,
    sql`UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ${lease}
        WHERE id IN (SELECT CAST(value AS BIGINT) FROM ${dialectOf(db).jsonEach(sql`${JSON.stringify(ids)}`)})`,
  );
  return { ids, attempts: Number(head.attempts) + 1, createdAt: head.createdAt };
}

/** Marks pending notices sent or failed. */
export async function finishNotices(db: Db, ids: number[], status: 'sent' | 'failed', error: string | null, atIso: string): Promise<void> {
  await execute(
    db,
    sql`UPDATE notifications SET status = ${status}, last_error = ${error}, delivered_at = ${status === 'sent' ? atIso : null}
        WHERE id IN (SELECT CAST(value AS BIGINT) FROM ${dialectOf(db).jsonEach(sql`${JSON.stringify(ids)}`)}) AND status = 'pending'`,
  );
}

/** Moves pending notices' next attempt out after a failed one. */
export async function postponeNotices(db: Db, ids: number[], nextAttemptIso: string, error: string): Promise<void> {
  await execute(
    db,
    sql`UPDATE notifications SET next_attempt_at = ${nextAttemptIso}, last_error = ${error}
        WHERE id IN (SELECT CAST(value AS BIGINT) FROM ${dialectOf(db).jsonEach(sql`${JSON.stringify(ids)}`)}) AND status = 'pending'`,
  );
}

/** The writes on `db`, on this thread, each in a transaction of its own. */
export function noticeWritesOn(db: Db): NoticeWrites {
  return {
    claim: (leader, nowMs, leaseMs, batchSeconds) => transaction(db, (tx) => claimNotices(tx, leader, nowMs, leaseMs, batchSeconds)),
    finish: (ids, status, error, atIso) => transaction(db, (tx) => finishNotices(tx, ids, status, error, atIso)),
    postpone: (ids, nextAttemptIso, error) => transaction(db, (tx) => postponeNotices(tx, ids, nextAttemptIso, error)),
  };
}
