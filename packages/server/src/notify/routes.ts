/**
 * The staff notification centre (the caller's in-app notices) and the "notify all administrators"
 * action. A notice is visible only to its recipient, and only while they may still see what it is about.
 */
import { NotificationsQuery, type NotificationItem } from '@secure-inbox/protocol';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import type { Db } from '../store/sqlite/client.js';
import { transaction } from '../store/runtime.js';
import { execute, firstRow, rows } from '../store/sql.js';
import { audit } from '../domain/audit.js';
import { decodeCursor, encodeCursor } from '../domain/ids.js';
import { preview } from '../domain/text.js';
import { conversationVisible, loadVisibleConversation, messageVisible, type Viewer } from '../domain/visibility.js';
import { forbidden, invalid, notFound } from '../errors.js';
import { query } from '../validate.js';
import { enqueueAdminNotices, reasonText, type NotifyReason } from './outbox.js';

/** The caller's in-app notices that they may still see (conversation and message re-checked). */
function visibleNotices(viewer: Viewer) {
  return sql`n.user_id = ${viewer.id} AND n.channel = 'in_app' AND ${conversationVisible(viewer)}
             AND (n.message_seq IS NULL OR ${messageVisible(viewer)})`;
}
const from = (viewer: Viewer) => sql`
  FROM notifications n
  JOIN conversations c ON c.id = n.conversation_id
  LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
  LEFT JOIN messages m ON m.seq = n.message_seq`;

export async function unreadNotices(db: Db, viewer: Viewer): Promise<number> {
  const row = await firstRow<{ n: number }>(db, sql`SELECT count(*) AS n ${from(viewer)} WHERE ${visibleNotices(viewer)} AND n.status <> 'read'`);
  return Number(row?.n ?? 0);
}

async function staffOnly(viewer: Viewer, db: Db, action: string): Promise<void> {
  if (viewer.role === 'customer') {
    await audit(db, { actorId: viewer.id, action, outcome: 'denied' });
    throw forbidden('The notification centre is for staff and administrators.');
  }
}

function parseNoticeId(raw: string): number | null {
  return /^\d{1,15}$/.test(raw) ? Number(raw) : null;
}

export const notificationsRoute = new Hono<AppEnv>()
  .get('/', query(NotificationsQuery), async (c) => {
    const { db } = c.get('deps');
    const viewer = c.get('viewer');
    await staffOnly(viewer, db, 'notifications.read');
    const { cursor, limit = 25, unread } = c.req.valid('query');
    let before = Number.MAX_SAFE_INTEGER;
    if (cursor !== undefined) {
      const position = decodeCursor(cursor);
      if (position === null) throw invalid('cursor', 'is not a cursor this API returned');
      before = position;
    }
    const found = await rows<{
      id: number;
      reason: NotifyReason;
      conversationId: string;
      subject: string;
      messageId: string | null;
      text: string | null;
      authorName: string | null;
      createdAt: string;
      status: string;
    }>(
      db,
      sql`
      SELECT n.id, n.reason, n.conversation_id AS "conversationId", c.subject, m.id AS "messageId", m.text,
             (SELECT name FROM users WHERE id = m.author_id) AS "authorName", n.created_at AS "createdAt", n.status
      ${from(viewer)}
      WHERE ${visibleNotices(viewer)} AND n.id < ${before} ${unread === 'true' ? sql`AND n.status <> 'read'` : sql``}
      ORDER BY n.id DESC LIMIT ${limit + 1}`,
    );
    const page = found.slice(0, limit);
    const items: NotificationItem[] = page.map((r) => ({
      id: String(r.id),
      reason: r.reason,
      reasonText: reasonText[r.reason] ?? r.reason,
      conversationId: r.conversationId,
      subject: r.subject,
      messageId: r.messageId,
      preview: r.text === null ? null : preview(r.text),
      authorName: r.authorName,
      createdAt: r.createdAt,
      read: r.status === 'read',
    }));
    const last = page[page.length - 1];
    return c.json({ items, nextCursor: found.length > limit && last ? encodeCursor(last.id) : null, unread: await unreadNotices(db, viewer) });
  })
  .get('/unread-count', async (c) => {
    const { db } = c.get('deps');
    const viewer = c.get('viewer');
    await staffOnly(viewer, db, 'notifications.read');
    return c.json({ unread: await unreadNotices(db, viewer) });
  })
  .post('/read-all', async (c) => {
    const { db } = c.get('deps');
    const viewer = c.get('viewer');
    await staffOnly(viewer, db, 'notifications.read_all');
    await transaction(db, async (tx) => {
      await execute(tx, sql`UPDATE notifications SET status = 'read' WHERE user_id = ${viewer.id} AND channel = 'in_app' AND status <> 'read'`);
      await audit(tx, { actorId: viewer.id, action: 'notifications.read_all', outcome: 'ok' });
    });
    return c.body(null, 204);
  })
  .post('/:id/read', async (c) => {
    const { db } = c.get('deps');
    const viewer = c.get('viewer');
    await staffOnly(viewer, db, 'notifications.mark_read');
    const id = parseNoticeId(c.req.param('id'));
    const changed = await transaction(db, async (tx) => {
      if (id === null) return false;
      const row = await firstRow<{ id: number }>(tx, sql`SELECT n.id ${from(viewer)} WHERE n.id = ${id} AND ${visibleNotices(viewer)}`);
      if (!row) {
        const exists = await firstRow<{ id: number }>(tx, sql`SELECT id FROM notifications WHERE id = ${id}`);
        if (exists)
          await audit(tx, { actorId: viewer.id, action: 'notifications.mark_read', outcome: 'denied', targetType: 'notification', targetId: String(id) });
        return false;
      }
      await execute(tx, sql`UPDATE notifications SET status = 'read' WHERE id = ${id}`);
      await audit(tx, { actorId: viewer.id, action: 'notifications.mark_read', outcome: 'ok', targetType: 'notification', targetId: String(id) });
      return true;
    });
    if (!changed) throw notFound('notification');
    return c.body(null, 204);
  });

/** `POST /conversations/:id/notify-admins`: queue a notice for every administrator (staff and admins only). */
export const notifyAdminsRoute = new Hono<AppEnv>().post('/:id/notify-admins', async (c) => {
  const { db, config } = c.get('deps');
  const viewer = c.get('viewer');
  const notified = await transaction(db, async (tx) => {
    const conversation = await loadVisibleConversation(tx, viewer, c.req.param('id'), 'conversation.notify_admins');
    if (viewer.role === 'customer') {
      await audit(tx, { actorId: viewer.id, action: 'conversation.notify_admins', outcome: 'denied', targetType: 'conversation', targetId: conversation.id });
      throw forbidden('Only staff can notify the administrators.');
    }
    const count = await enqueueAdminNotices(tx, conversation, viewer.id, config.mailBatchSeconds);
    await audit(tx, {
      actorId: viewer.id,
      action: 'conversation.notify_admins',
      outcome: 'ok',
      targetType: 'conversation',
      targetId: conversation.id,
      detail: { notified: count },
    });
    return count;
  });
  return c.json({ notified }, 202);
});
