/**
 * Staff queues: how many conversations of the caller's Inbox sit in each status and with each
 * kind of assignee, so every filter can show its count.
 */
import { conversationStatuses, type ConversationStatus } from '@secure-inbox/protocol';
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { firstRow } from '../store/sql.js';
import { folderCondition } from './conversations.js';
import { conversationVisible, type Viewer } from './visibility.js';

export interface QueueCounts {
  status: Record<ConversationStatus, number>;
  assignee: { me: number; none: number; all: number };
}

export async function queueCounts(
  db: Db,
  viewer: Viewer,
  filters: { accountId?: string; status?: ConversationStatus; assignee?: string },
): Promise<QueueCounts> {
  const where: SQL[] = [conversationVisible(viewer), folderCondition(viewer, 'inbox')];
  if (filters.accountId) where.push(sql`c.account_id = ${filters.accountId}`);
  // Status counts honour the assignee filter and assignee counts honour the status filter, so each
  // number says what choosing that filter would list.
  const assigneeFilter =
    filters.assignee === undefined || filters.assignee === 'all'
      ? sql`TRUE`
      : filters.assignee === 'none'
        ? sql`c.assignee_id IS NULL`
        : sql`c.assignee_id = ${filters.assignee === 'me' ? viewer.id : filters.assignee}`;
  const statusFilter = filters.status ? sql`c.status = ${filters.status}` : sql`TRUE`;
  const row = await firstRow<Record<string, number | null>>(
    db,
    sql`
    SELECT
      ${sql.join(
        conversationStatuses.map((s) => sql`sum(CASE WHEN c.status = ${s} AND ${assigneeFilter} THEN 1 ELSE 0 END) AS ${sql.identifier(s)}`),
        sql`, `,
      )},
      sum(CASE WHEN c.assignee_id = ${viewer.id} AND ${statusFilter} THEN 1 ELSE 0 END) AS me,
      sum(CASE WHEN c.assignee_id IS NULL AND ${statusFilter} THEN 1 ELSE 0 END) AS none,
      sum(CASE WHEN ${statusFilter} THEN 1 ELSE 0 END) AS total
    FROM conversations c
    LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
    WHERE ${sql.join(where, sql` AND `)}`,
  );
  const n = (key: string) => Number(row?.[key] ?? 0);
  return {
    status: Object.fromEntries(conversationStatuses.map((s) => [s, n(s)])) as Record<ConversationStatus, number>,
    assignee: { me: n('me'), none: n('none'), all: n('total') },
  };
}
