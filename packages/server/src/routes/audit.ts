/**
 * The audit log for administrators: `GET /api/v1/audit`, newest first, keyset pagination on the
 * row id (the primary key), filtered by actor, action and outcome.
 *
 * Rows hold values as data (columns and a JSON `detail`), never as formatted log lines, and they
 * leave here as JSON: a CR/LF, an ANSI escape or a fake log line inside a name or an id stays a
 * string value, escaped by JSON, and can never start a record of its own.
 */
import { AuditQuery, type AuditEvent } from '@secure-inbox/protocol';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { audit } from '../domain/audit.js';
import { decodeCursor, encodeCursor } from '../domain/ids.js';
import { forbidden, invalid } from '../errors.js';
import { rows } from '../store/sql.js';
import { query } from '../validate.js';

function parseDetail(raw: string | null): unknown {
  if (raw === null) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export const auditRoute = new Hono<AppEnv>().get('/', query(AuditQuery), async (c) => {
  const { db } = c.get('deps');
  const viewer = c.get('viewer');
  if (viewer.role !== 'admin') {
    await audit(db, { actorId: viewer.id, action: 'audit.read', outcome: 'denied' });
    throw forbidden('Only administrators can read the audit log.');
  }
  const { cursor, limit = 50, actor, action, outcome } = c.req.valid('query');
  let before = Number.MAX_SAFE_INTEGER;
  if (cursor !== undefined) {
    const position = decodeCursor(cursor);
    if (position === null) throw invalid('cursor', 'is not a cursor this API returned');
    before = position;
  }
  const actorFilter = actor === undefined ? sql`` : actor === '-' ? sql`AND actor_id IS NULL` : sql`AND actor_id = ${actor}`;
  const actionFilter =
    action === undefined ? sql`` : action.endsWith('.') ? sql`AND substr(action, 1, ${action.length}) = ${action}` : sql`AND action = ${action}`;
  const outcomeFilter = outcome === undefined ? sql`` : sql`AND outcome = ${outcome}`;
  const found = await rows<{
    id: number;
    at: string;
    actorId: string | null;
    action: string;
    outcome: 'ok' | 'denied';
    targetType: string | null;
    targetId: string | null;
    detail: string | null;
    count: number;
  }>(
    db,
    sql`
    SELECT id, at, actor_id AS "actorId", action, outcome, target_type AS "targetType", target_id AS "targetId", detail, count
    FROM audit_events
    WHERE id < ${before} ${actorFilter} ${actionFilter} ${outcomeFilter}
    ORDER BY id DESC LIMIT ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  const items: AuditEvent[] = page.map((r) => ({ ...r, id: String(r.id), detail: parseDetail(r.detail) }));
  const last = page[page.length - 1];
  return c.json({ items, nextCursor: found.length > limit && last ? encodeCursor(last.id) : null });
});
