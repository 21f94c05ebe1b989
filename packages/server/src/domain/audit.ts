import { eq, sql } from 'drizzle-orm';
import { afterTransaction, homeOf, type Db } from '../store/sqlite/client.js';
import { auditEvents } from '../store/sqlite/schema.js';
import { prepareOnce } from '../store/sqlite/prepared.js';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  outcome: 'ok' | 'denied';
  targetType?: string;
  targetId?: string;
  detail?: Record<string, unknown>;
}

/**
 * Appends one audit row. Values are stored as data (JSON), never interpolated into a log line.
 *
 * A refusal is usually recorded just before an error is thrown, and often inside a write transaction
 * that the error then rolls back; so a denied row met inside a transaction is written once it has
 * ended, committed or rolled back (`afterTransaction`).
 */
export function audit(db: Db, entry: AuditEntry): void {
  if (entry.outcome === 'denied' && db.$client.inTransaction) {
    afterTransaction(db, () => {
      try {
        insert(db, entry);
      } catch (error) {
        // Outside any request now: a database that cannot take the row must not take the process down.
        console.error(`Audit row for a refused ${entry.action} could not be written: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return;
  }
  insert(db, entry);
}

const MINUTE = 60_000;
/** Per database: the row each (user, action, target) refusal of the current minute went to. */
const repeats = new WeakMap<object, { minute: number; rows: Map<string, number | bigint> }>();

/**
 * A refusal by a signed-in user that repeats one of the same minute (the same action on the same target) adds to that
 * row's count instead of adding a row: a client asking again and again for something it may not see leaves one row a
 * minute, not one a request. Refusals without a user (failed sign-ins) are bounded by the sign-in limit instead.
 */
function insert(db: Db, entry: AuditEntry): void {
  if (entry.outcome !== 'denied' || entry.actorId === null) return void append(db, entry);
  const minute = Math.floor(Date.now() / MINUTE);
  let current = repeats.get(homeOf(db));
  if (!current || current.minute !== minute) repeats.set(homeOf(db), (current = { minute, rows: new Map() }));
  const key = JSON.stringify([entry.actorId, entry.action, entry.targetType ?? null, entry.targetId ?? null]);
  const row = current.rows.get(key);
  if (
    row !== undefined &&
    db
      .update(auditEvents)
      .set({ count: sql`${auditEvents.count} + 1` })
      .where(eq(auditEvents.id, Number(row)))
      .run().changes === 1
  )
    return;
  current.rows.set(key, append(db, entry));
}

function append(db: Db, entry: AuditEntry): number | bigint {
  // One row per write request: the statement is prepared once (`at` takes the column's default).
  const p = sql.placeholder;
  return prepareOnce(db, 'audit.append', (db) =>
    db
      .insert(auditEvents)
      .values({ actorId: p('actorId'), action: p('action'), outcome: p('outcome'), targetType: p('targetType'), targetId: p('targetId'), detail: p('detail') })
      .prepare(),
  ).run({
    actorId: entry.actorId,
    action: entry.action,
    outcome: entry.outcome,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    detail: entry.detail ? JSON.stringify(entry.detail) : null,
  }).lastInsertRowid;
}
