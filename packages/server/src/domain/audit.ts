import { sql } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { transactionAfter } from '../store/runtime.js';
import { auditEvents } from '../store/sqlite/schema.js';
import { prepareOnce } from '../store/prepared.js';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  outcome: 'ok' | 'denied';
  targetType?: string;
  targetId?: string;
  detail?: Record<string, unknown>;
}

/**
 * Appends one audit row, in the caller's transaction. Values are stored as data (JSON), never interpolated
 * into a log line.
 *
 * A refused action's row is written by `refusal`, in a transaction of its own; this does not wait for it.
 */
export async function audit(db: Db, entry: AuditEntry): Promise<void> {
  if (entry.outcome === 'denied') return void refusal(db, entry);
  await insert(db, entry);
}

/**
 * Writes a refused action's audit row in a short transaction of its own, through the database's
 * transaction lane (`transactionAfter`), so that it never waits on the write lock of a transaction
 * open beside it. A refusal is usually recorded just before an error is thrown, and often inside a
 * transaction that the error then rolls back: the row is written once that has ended, committed or
 * rolled back. Begun before this returns when nothing holds the lane; otherwise queued behind what
 * does, and written before the store closes. Settles once written; never rejects. Not to be awaited in
 * a transaction's body: the row waits for that transaction to end.
 */
export function refusal(db: Db, entry: AuditEntry): Promise<void> {
  return transactionAfter(db, (tx) => insert(tx, entry)).catch((error: unknown) => {
    // Perhaps outside any request now: a database that cannot take the row must not take the process down.
    console.error(`Audit row for a refused ${entry.action} could not be written: ${error instanceof Error ? error.message : String(error)}`);
  });
}

const MINUTE = 60_000;

/**
 * A refusal by a signed-in user that repeats one of the same minute (the same action on the same target) adds to that
 * row's count instead of adding a row: a client asking again and again for something it may not see leaves one row a
 * minute, not one a request. The row is found by its `repeat_key`, unique in the table, with one upsert: refusals
 * arriving together (PostgreSQL writes them side by side, and several instances may share it) still make one row.
 * Refusals without a user (failed sign-ins) are bounded by the sign-in limit instead.
 */
async function insert(db: Db, entry: AuditEntry): Promise<void> {
  const repeatKey =
    entry.outcome === 'denied' && entry.actorId !== null
      ? JSON.stringify([Math.floor(Date.now() / MINUTE), entry.actorId, entry.action, entry.targetType ?? null, entry.targetId ?? null])
      : null;
  // One row per write request: the statement is prepared once (`at` takes the column's default).
  const p = sql.placeholder;
  await prepareOnce(db, 'audit.append', (db) =>
    db
      .insert(auditEvents)
      .values({
        actorId: p('actorId'),
        action: p('action'),
        outcome: p('outcome'),
        targetType: p('targetType'),
        targetId: p('targetId'),
        detail: p('detail'),
        repeatKey: p('repeatKey'),
      })
      .onConflictDoUpdate({ target: auditEvents.repeatKey, set: { count: sql`${auditEvents.count} + 1` } })
      .prepare(),
  ).execute({
    actorId: entry.actorId,
    action: entry.action,
    outcome: entry.outcome,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    detail: entry.detail ? JSON.stringify(entry.detail) : null,
    repeatKey,
  });
}
