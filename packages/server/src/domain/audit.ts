import type { Db } from '../db/client.js';
import { auditEvents } from '../db/schema.js';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  outcome: 'ok' | 'denied';
  targetType?: string;
  targetId?: string;
  detail?: Record<string, unknown>;
}

/** Appends one audit row. Values are stored as data (JSON), never interpolated into a log line. */
export function audit(db: Db, entry: AuditEntry): void {
  db.insert(auditEvents)
    .values({
      actorId: entry.actorId,
      action: entry.action,
      outcome: entry.outcome,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
    })
    .run();
}
