/**
 * The e-mail outbox's claims on PostgreSQL (the `NoticeWrites` of notify/notice-writes.ts), safe with a delivery
 * worker on every instance.
 *
 * A claim is a lease, as on SQLite: the batch led by the user's oldest pending notice gets `attempts + 1` and its
 * `next_attempt_at` pushed `leaseMs` ahead; the worker then marks it sent or failed, or postpones it after a failed
 * attempt. An instance that dies holding a lease simply lets it run out, and the batch is due again, for any instance.
 *
 * On SQLite one writer serializes claims. Here the leader row is locked `FOR UPDATE SKIP LOCKED` first: a second
 * instance claiming the same batch at the same moment skips it at once rather than waiting, and one that comes
 * after the first committed re-reads the row (READ COMMITTED re-checks a row that changed under its lock) and finds
 * the lease ahead of now. So two instances never hold the same notice, and neither ever blocks on the other.
 */
import { sql } from 'drizzle-orm';
import type { ClaimedBatch, Leader, NoticeWrites } from '../../../notify/notice-writes.js';
import { onOneConnection, type PgDb } from '../db.js';
import { postgresDialect } from '../dialect.js';
import type { Executor } from './feed.js';

const idList = (ids: number[]) => sql`SELECT value::bigint FROM ${postgresDialect.jsonEach(sql`${JSON.stringify(ids)}`)}`;

/** Up to `limit` users with a notice due by `nowMs`, each with the id of their oldest pending one. */
export async function dueLeaders(db: Executor, nowMs: number, limit = 50): Promise<Leader[]> {
  const now = new Date(nowMs).toISOString();
  const { rows } = await db.execute<{ user_id: string; leader_id: string }>(sql`
    SELECT user_id, min(id) AS leader_id FROM notifications
    WHERE channel = 'email' AND status = 'pending' AND next_attempt_at <= ${now}
    GROUP BY user_id ORDER BY leader_id LIMIT ${limit}`);
  return rows.map((r) => ({ userId: r.user_id, leaderId: Number(r.leader_id) }));
}

/** Claims the leader's batch (a lease), or returns null when it is not ready or another instance holds it. */
export async function claimNotices(db: PgDb, leader: Leader, nowMs: number, leaseMs: number, batchSeconds: number): Promise<ClaimedBatch | null> {
  // On a connection checked out here: one whose BEGIN fails goes back to the pool all the same (db.ts).
  return onOneConnection(db, (one) =>
    one.transaction(async (tx) => {
      const nowIso = new Date(nowMs).toISOString();
      const { rows: heads } = await tx.execute<{ created_at: string; attempts: number; status: string; next_attempt_at: string }>(sql`
      SELECT created_at, attempts, status, next_attempt_at FROM notifications
      WHERE id = ${leader.leaderId} AND user_id = ${leader.userId}
      FOR UPDATE SKIP LOCKED`);
      const head = heads[0];
      if (!head || head.status !== 'pending' || head.next_attempt_at > nowIso) return null;
      const windowEnd = new Date(Date.parse(head.created_at) + batchSeconds * 1000).toISOString();
      // The batch is complete only once its window has closed.
      if (windowEnd > nowIso) return null;
      const { rows } = await tx.execute<{ id: string }>(sql`
      SELECT id FROM notifications
      WHERE user_id = ${leader.userId} AND channel = 'email' AND status = 'pending' AND id >= ${leader.leaderId}
        AND (id = ${leader.leaderId} OR created_at < ${windowEnd})
      ORDER BY id
      FOR UPDATE SKIP LOCKED`);
      const ids = rows.map((r) => Number(r.id));
      const lease = new Date(nowMs + leaseMs).toISOString();
      await tx.execute(sql`UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ${lease} WHERE id IN (${idList(ids)})`);
      return { ids, attempts: head.attempts + 1, createdAt: head.created_at };
    }),
  );
}

/** Marks pending notices sent or failed. */
export async function finishNotices(db: Executor, ids: number[], status: 'sent' | 'failed', error: string | null, atIso: string): Promise<void> {
  await db.execute(sql`UPDATE notifications SET status = ${status}, last_error = ${error},
                         delivered_at = ${status === 'sent' ? atIso : null}
                       WHERE id IN (${idList(ids)}) AND status = 'pending'`);
}

/** Moves pending notices' next attempt out after a failed one. */
export async function postponeNotices(db: Executor, ids: number[], nextAttemptIso: string, error: string): Promise<void> {
  await db.execute(sql`UPDATE notifications SET next_attempt_at = ${nextAttemptIso}, last_error = ${error}
                       WHERE id IN (${idList(ids)}) AND status = 'pending'`);
}

/** The delivery worker's writes on PostgreSQL. */
export function postgresNoticeWrites(db: PgDb): NoticeWrites {
  return {
    claim: (leader, nowMs, leaseMs, batchSeconds) => claimNotices(db, leader, nowMs, leaseMs, batchSeconds),
    finish: (ids, status, error, atIso) => finishNotices(db, ids, status, error, atIso),
    postpone: (ids, nextAttemptIso, error) => postponeNotices(db, ids, nextAttemptIso, error),
  };
}
