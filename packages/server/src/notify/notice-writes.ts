/**
 * The delivery worker's writes to the outbox (notify/worker.ts): claiming a batch, marking it sent or
 * failed, postponing it. Kept apart from the worker (and its mailer and templates) because the server
 * on a database file commits them on the writer thread (store/sqlite/writer-thread.ts) beside the sends.
 */
import { sql } from 'drizzle-orm';
import { dialect, writeTx, type Db } from '../store/sqlite/client.js';

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

/** Claims the leader's batch (a lease), or returns null when it is not ready or someone else holds it. */
export function claimNotices(db: Db, leader: Leader, nowMs: number, leaseMs: number, batchSeconds: number): ClaimedBatch | null {
  return writeTx(db, () => {
    const nowIso = new Date(nowMs).toISOString();
    const head = db.get<{ createdAt: string; attempts: number; status: string; nextAttemptAt: string }>(sql`
      SELECT created_at AS "createdAt", attempts, status, next_attempt_at AS "nextAttemptAt" FROM notifications WHERE id = ${leader.leaderId}`);
    if (!head || head.status !== 'pending' || head.nextAttemptAt > nowIso) return null;
    const windowEnd = new Date(Date.parse(head.createdAt) + batchSeconds * 1000).toISOString();
    // The batch is complete only once its window has closed.
    if (windowEnd > nowIso) return null;
    const ids = db
      .all<{ id: number }>(
        sql`
        SELECT id FROM notifications
        WHERE user_id = ${leader.userId} AND channel = 'email' AND status = 'pending' AND id >= ${leader.leaderId}
          AND (id = ${leader.leaderId} OR created_at < ${windowEnd})
        ORDER BY id`,
      )
      .map((r) => r.id);
    const lease = new Date(nowMs + leaseMs).toISOString();
    db.run(sql`UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ${lease}
                    WHERE id IN (SELECT value FROM ${dialect.jsonEach(sql`${JSON.stringify(ids)}`)})`);
    return { ids, attempts: head.attempts + 1, createdAt: head.createdAt };
  });
}

/** Marks pending notices sent or failed. */
export function finishNotices(db: Db, ids: number[], status: 'sent' | 'failed', error: string | null, atIso: string): void {
  writeTx(db, () => {
    db.run(sql`UPDATE notifications SET status = ${status}, last_error = ${error},
                      delivered_at = ${status === 'sent' ? atIso : null}
                    WHERE id IN (SELECT value FROM ${dialect.jsonEach(sql`${JSON.stringify(ids)}`)}) AND status = 'pending'`);
  });
}

/** Moves pending notices' next attempt out after a failed one. */
export function postponeNotices(db: Db, ids: number[], nextAttemptIso: string, error: string): void {
  writeTx(db, () => {
    db.run(sql`UPDATE notifications SET next_attempt_at = ${nextAttemptIso}, last_error = ${error}
                    WHERE id IN (SELECT value FROM ${dialect.jsonEach(sql`${JSON.stringify(ids)}`)}) AND status = 'pending'`);
  });
}

/** The writes on `db`, on this thread, at once. */
export function noticeWritesOn(db: Db): NoticeWrites {
  return {
    claim: async (leader, nowMs, leaseMs, batchSeconds) => claimNotices(db, leader, nowMs, leaseMs, batchSeconds),
    finish: async (ids, status, error, atIso) => finishNotices(db, ids, status, error, atIso),
    postpone: async (ids, nextAttemptIso, error) => postponeNotices(db, ids, nextAttemptIso, error),
  };
}
