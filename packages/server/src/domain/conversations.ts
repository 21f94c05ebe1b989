/**
 * Conversations: create, read one, list folders and search, participants and workflow.
 * Every read goes through ./visibility.ts.
 */
import {
  type AddParticipantsBody,
  type Conversation,
  type ConversationSummary,
  type CreateConversationBody,
  type ListConversationsQuery,
  type PatchConversationBody,
  type ReplyTime,
  type Role,
  type StaffKind,
} from '@secure-inbox/protocol';
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { dialectOf, homeOf, transaction, writeVersion } from '../store/runtime.js';
import { execute, firstRow, rows, rowsOfKeptStatement } from '../store/sql.js';
import { parseSearch } from '../search/terms.js';
import { accountConversationsUnion, planSearch } from './search.js';
import { ApiError, forbidden, invalid } from '../errors.js';
import { audit } from './audit.js';
import { decodeCursor, encodeCursor, newId, nowIso } from './ids.js';
import { insertMessage, type MessageEffects } from './messages.js';
import { acknowledgeQuestion } from './reply-times.js';
import { userRef } from './users.js';
import { conversationUpdated, userStateChanged } from '../realtime/fanout.js';
import { cleanPlainText, preview, type RichTextBody } from './text.js';
import {
  actsIn,
  conversationVisible,
  departureVisible,
  lastVisibleSeq,
  loadVisibleConversation,
  messageVisible,
  shownSeq,
  visibleUpdatedAt,
  type VisibleConversationRow,
  type Viewer,
  topicVisible,
} from './visibility.js';

// ------------------------------------------------------------------ helpers
/** The subset of `userIds` who belong to the account (by membership) — or are admins. */
async function membersOf(db: Db, accountId: string, userIds: string[]): Promise<Map<string, { id: string; role: Role }>> {
  if (userIds.length === 0) return new Map();
  const found = await rows<{ id: string; role: Role }>(
    db,
    sql`
    SELECT u.id, u.role FROM users u
    WHERE u.id IN (${sql.join(
      userIds.map((id) => sql`${id}`),
      sql`, `,
    )})
      AND (u.role = 'admin' OR EXISTS (SELECT 1 FROM memberships ms WHERE ms.user_id = u.id AND ms.account_id = ${accountId}))`,
  );
  return new Map(found.map((r) => [r.id, r]));
}

async function requireMembers(db: Db, accountId: string, userIds: string[], field: string) {
  const found = await membersOf(db, accountId, userIds);
  const missing = userIds.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new ApiError(422, 'invalid', `${field}: ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not belong to account ${accountId}.`, [
      { field, message: `not members of the account: ${missing.join(', ')}` },
    ]);
  }
  return found;
}

async function upsertParticipant(db: Db, conversationId: string, userId: string) {
  await execute(
    db,
    sql`
    INSERT INTO conversation_users (conversation_id, user_id, participant, has_left) VALUES (${conversationId}, ${userId}, TRUE, FALSE)
    ON CONFLICT (conversation_id, user_id) DO UPDATE SET participant = TRUE, has_left = FALSE`,
  );
}

// ------------------------------------------------------------------ one conversation
export async function conversationView(db: Db, viewer: Viewer, row: VisibleConversationRow): Promise<Conversation> {
  type UserRow = { id: string; name: string; role: Role; staffKind: StaffKind | null };
  // One query after the other: inside a transaction (a new conversation's answer) they share one connection.
  const topic = row.topicId ? await firstRow<{ id: string; name: string }>(db, sql`SELECT id, name FROM topics WHERE id = ${row.topicId}`) : undefined;
  const participants = await rows<UserRow>(
    db,
    sql`
    SELECT u.id, u.name, u.role, u.staff_kind AS "staffKind" FROM conversation_users cu JOIN users u ON u.id = cu.user_id
    WHERE cu.conversation_id = ${row.id} AND cu.participant = TRUE ORDER BY cu.joined_at, u.name`,
  );
  const assignee = row.assigneeId
    ? await firstRow<UserRow>(db, sql`SELECT id, name, role, staff_kind AS "staffKind" FROM users WHERE id = ${row.assigneeId}`)
    : undefined;
  const departures = await rows<UserRow & { at: string }>(
    db,
    sql`
    SELECT u.id, u.name, u.role, u.staff_kind AS "staffKind", d.at FROM departures d JOIN users u ON u.id = d.user_id
    WHERE d.conversation_id = ${row.id} AND ${departureVisible(viewer)} ORDER BY d.at, d.id`,
  );
  const account = await firstRow<{ name: string }>(db, sql`SELECT coalesce(name, id) AS name FROM accounts WHERE id = ${row.accountId}`);
  return {
    id: row.id,
    subject: row.subject,
    status: row.status,
    accountId: row.accountId,
    accountName: account?.name ?? row.accountId,
    topic: topic ?? null,
    context: row.contextKind ? { kind: row.contextKind, ref: row.contextRef ?? '', title: row.contextTitle, url: row.contextUrl } : null,
    assigneeId: row.assigneeId,
    assignee: assignee ? userRef(assignee) : null,
    participants: participants.map(userRef),
    departures: departures.map(({ at, ...user }) => ({ user: userRef(user), at })),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function getConversation(db: Db, viewer: Viewer, id: string): Promise<Conversation> {
  return conversationView(db, viewer, await loadVisibleConversation(db, viewer, id));
}

// ------------------------------------------------------------------ create
/**
 * Opens a conversation with `input` (its first message's body already prepared as `body`), as `viewer`, in the
 * caller's write transaction (a group commit's job, domain/write-jobs.ts).
 */
export async function createConversation(
  db: Db,
  viewer: Viewer,
  input: CreateConversationBody,
  body: RichTextBody,
  effects: MessageEffects,
): Promise<Conversation> {
  if (!actsIn(viewer, input.accountId)) {
    await audit(db, { actorId: viewer.id, action: 'conversation.create', outcome: 'denied', targetType: 'account', targetId: input.accountId });
    throw forbidden(`You do not act in account ${input.accountId}.`);
  }
  if (viewer.role === 'customer' && input.notifyAdmins) {
    // As on replies (messages.ts) and POST /conversations/:id/notify-admins: staff and admins only.
    await audit(db, {
      actorId: viewer.id,
      action: 'conversation.create',
      outcome: 'denied',
      targetType: 'account',
      targetId: input.accountId,
      detail: { notifyAdmins: true },
    });
    throw forbidden('Only staff can notify the administrators.');
  }
  const subject = cleanPlainText(input.subject);
  if (!subject) throw invalid('subject', 'must contain visible characters');
  const recipientIds = [...new Set(input.recipientIds ?? [])].filter((id) => id !== viewer.id);
  if (viewer.role !== 'customer' && recipientIds.length === 0) {
    throw invalid('recipientIds', 'staff must name at least one recipient');
  }

  const id = newId('c');
  const account = await firstRow<{ id: string }>(db, sql`SELECT id FROM accounts WHERE id = ${input.accountId}`);
  if (!account) throw invalid('accountId', `there is no account ${input.accountId}`);
  let assigneeId: string | null = null;
  if (input.topicId) {
    const topic = await firstRow<{ defaultAssigneeId: string | null }>(
      db,
      sql`SELECT default_assignee_id AS "defaultAssigneeId" FROM topics t
          WHERE t.id = ${input.topicId} AND ${topicVisible(viewer, input.accountId)}`,
    );
    if (!topic) throw invalid('topicId', `there is no topic ${input.topicId} in account ${input.accountId}`);
    if (viewer.role === 'customer' && topic.defaultAssigneeId && (await membersOf(db, input.accountId, [topic.defaultAssigneeId])).size > 0) {
      assigneeId = topic.defaultAssigneeId;
    }
  }
  await requireMembers(db, input.accountId, recipientIds, 'recipientIds');
  const at = nowIso();
  const context = input.context;
  await execute(
    db,
    sql`
    INSERT INTO conversations (id, account_id, subject, topic_id, context_kind, context_ref, context_title, context_url,
                               status, assignee_id, created_by, created_at, updated_at, public_updated_at)
    VALUES (${id}, ${input.accountId}, ${subject}, ${input.topicId ?? null}, ${context ? cleanPlainText(context.kind) : null},
            ${context ? cleanPlainText(context.ref) : null}, ${context?.title ? cleanPlainText(context.title) : null}, ${context?.url ?? null},
            ${viewer.role === 'customer' ? 'open' : 'attentive'}, ${assigneeId}, ${viewer.id}, ${at}, ${at}, ${at})`,
  );
  await upsertParticipant(db, id, viewer.id);
  for (const recipient of recipientIds) await upsertParticipant(db, id, recipient);
  await insertMessage(
    db,
    viewer,
    { id, accountId: input.accountId, subject },
    {
      kind: 'message',
      body,
      doNotReply: false,
      attachmentIds: input.attachmentIds ?? [],
      createdAt: at,
      isFirst: true,
      notifyAdmins: input.notifyAdmins ?? false,
    },
    effects,
  );
  await acknowledgeQuestion(db, viewer, { id, accountId: input.accountId, topicId: input.topicId ?? null }, at);
  await audit(db, { actorId: viewer.id, action: 'conversation.create', outcome: 'ok', targetType: 'conversation', targetId: id });
  return getConversation(db, viewer, id);
}

// ------------------------------------------------------------------ list, folders, search
interface SummaryRow {
  id: string;
  subject: string;
  status: ConversationSummary['status'];
  accountId: string;
  topicId: string | null;
  topicName: string | null;
  contextKind: string | null;
  contextRef: string | null;
  contextTitle: string | null;
  contextUrl: string | null;
  assigneeId: string | null;
  updatedAt: string;
  sortKey: number;
  unreadCount: number;
  forcedUnread: boolean | number | null;
  lastId: string;
  lastText: string;
  lastAt: string;
  lastAuthorName: string;
  lastAuthorRole: Role;
  lastAuthorStaffKind: StaffKind | null;
  ackSentTo: string | null;
  ackAmount: string | null;
  ackUnit: ReplyTime['unit'] | null;
}

function unreadCondition(viewer: Viewer): SQL {
  return sql`(coalesce(cu.forced_unread, FALSE) = TRUE OR EXISTS (
    SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.seq > coalesce(cu.last_read_seq, 0)
      AND m.author_id <> ${viewer.id} AND ${messageVisible(viewer)}))`;
}

/**
 * For staff, the conversations worth looking at: those of their accounts and those they take part
 * in. It only narrows where SQLite looks (by index, instead of every conversation); who sees what is
 * still decided by conversationVisible() beside it.
 */
function staffCandidates(viewer: Viewer): SQL | null {
  if (viewer.role !== 'staff') return null;
  const accounts = viewer.accounts === '*' ? [] : viewer.accounts;
  return sql`c.id IN (${accountConversationsUnion(accounts)}SELECT conversation_id FROM conversation_users WHERE user_id = ${viewer.id} AND participant = TRUE)`;
}

export function folderCondition(viewer: Viewer, folder: 'inbox' | 'sent' | 'trash'): SQL {
  switch (folder) {
    case 'inbox':
      return sql`coalesce(cu.has_left, FALSE) = FALSE AND coalesce(cu.trashed, FALSE) = FALSE`;
    case 'sent':
      return sql`cu.last_sent_seq > 0 AND cu.has_left = FALSE AND cu.trashed = FALSE`;
    case 'trash':
      return sql`cu.trashed = TRUE AND cu.has_left = FALSE`;
  }
}

/** Per connection and caller: the conversations they take part in outside their accounts, and when. */
const participationCache = new WeakMap<object, Map<string, { version: string; ids: string[] }>>();
const PARTICIPATION_CACHE_SIZE = 1_000;

/**
 * For staff search: the conversations the caller takes part in outside the accounts of their token
 * (usually none). Finding them reads every participation with its conversation (1,400 rows and
 * 10–20 ms for a busy staff member at a million messages), so the answer is kept per caller and
 * accounts until anything at all is written to the database (writeVersion()).
 */
async function participationsOutsideAccounts(db: Db, viewer: Viewer): Promise<string[]> {
  let cache = participationCache.get(homeOf(db));
  if (!cache) participationCache.set(homeOf(db), (cache = new Map()));
  const key = JSON.stringify([viewer.id, viewer.accounts]);
  // Read before the rows: a write that lands between the two leaves them kept under the version before it.
  const version = writeVersion(db);
  const hit = cache.get(key);
  if (hit && version !== null && hit.version === version) return hit.ids;
  const participations = await rows<{ id: string; accountId: string }>(
    db,
    sql`
    SELECT cu.conversation_id AS id, c.account_id AS "accountId" FROM conversation_users cu JOIN conversations c ON c.id = cu.conversation_id
    WHERE cu.user_id = ${viewer.id} AND cu.participant = TRUE`,
  );
  const ids = participations.filter((r) => !actsIn(viewer, r.accountId)).map((r) => r.id);
  cache.delete(key);
  if (version === null) return ids;
  if (cache.size >= PARTICIPATION_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, { version, ids });
  return ids;
}

export async function listConversations(
  db: Db,
  viewer: Viewer,
  query: ListConversationsQuery,
): Promise<{ items: ConversationSummary[]; nextCursor: string | null }> {
  const folder = query.folder ?? 'inbox';
  const limit = query.limit ?? 25;
  const oldestFirst = query.sort === 'oldest';
  const sortKey = folder === 'sent' ? sql.raw('cu.last_sent_seq') : oldestFirst ? sql.raw('c.first_seq') : lastVisibleSeq(viewer);
  const where: SQL[] = [conversationVisible(viewer), folderCondition(viewer, folder)];

  if (query.cursor !== undefined) {
    const position = decodeCursor(query.cursor);
    if (position === null) throw invalid('cursor', 'is not a cursor this API returned');
    where.push(oldestFirst && folder !== 'sent' ? sql`${sortKey} > ${position}` : sql`${sortKey} < ${position}`);
  }
  if (query.unread) where.push(unreadCondition(viewer));
  if (query.status) where.push(sql`c.status = ${query.status}`);
  if (query.accountId) where.push(sql`c.account_id = ${query.accountId}`);
  if (query.assignee) {
    if (viewer.role === 'customer') throw forbidden('Only staff can filter by assignee.');
    if (query.assignee === 'none') where.push(sql`c.assignee_id IS NULL`);
    else where.push(sql`c.assignee_id = ${query.assignee === 'me' ? viewer.id : query.assignee}`);
  }
  const terms = parseSearch(query.q);
  if (terms?.length === 0) return { items: [], nextCursor: null };
  const direction = sql.raw(oldestFirst && folder !== 'sent' ? 'ASC' : 'DESC');
  // Written into the text (a whole number the query's validation bounds), not bound: SQLite sorts a page under a
  // bound LIMIT three times slower, and the statement is kept per text anyway (change 46 in docs/performance.md).
  const pageLimit = sql.raw(String(Math.floor(limit) + 1));
  let source = sql`conversations c`;
  /** How `source` joins `c` when it is not the table itself. */
  const joined: SQL[] = [];
  /** Whether `source` holds the viewer's row `cu` itself (else it is LEFT JOINed below). */
  let holdsViewerRow = false;
  if (!terms && viewer.role === 'customer') {
    // A customer sees only conversations they take part in (conversationVisible), so the page starts from their own
    // rows, a handful, rather than from every conversation of their accounts in the order of the page; CROSS JOIN
    // keeps SQLite's planner to this order (change 47).
    source = sql`conversation_users cu CROSS JOIN conversations c`;
    joined.push(sql`cu.conversation_id = c.id AND cu.user_id = ${viewer.id}`);
    holdsViewerRow = true;
  }
  if (terms) {
    // Staff reach their accounts' conversations through the account tokens; only the conversations
    // they take part in outside those accounts need tokens of their own (usually none).
    const participations = async () => (viewer.role === 'staff' ? participationsOutsideAccounts(db, viewer) : []);
    const plan = await planSearch(db, viewer, terms, { where, sortKey, ascending: oldestFirst && folder !== 'sent', wanted: limit + 1 }, participations);
    if (plan.ids.length === 0) return { items: [], nextCursor: null };
    // The page is picked among the matching conversations by ids and sort keys only, so that previews
    // and unread counts are computed for its rows alone. CROSS JOIN keeps SQLite's planner to this order;
    // its condition goes in WHERE, as PostgreSQL takes no ON after CROSS JOIN.
    const ids = JSON.stringify(plan.ids);
    source = sql`(
      SELECT c.id FROM ${dialectOf(db).jsonEach(sql`${ids}`)} AS hits
      CROSS JOIN conversations c
      LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
      WHERE c.id = hits.value AND ${sql.join(where, sql` AND `)}
      ORDER BY ${sortKey} ${direction}
      LIMIT ${pageLimit}) AS page
    CROSS JOIN conversations c`;
    joined.push(sql`c.id = page.id`);
  }

  // The page's statement is kept prepared: compiling this text cost more than running it (change 47).
  const found = await rowsOfKeptStatement<SummaryRow>(
    db,
    sql`
    SELECT c.id, c.subject, c.status, c.account_id AS "accountId", c.topic_id AS "topicId", t.name AS "topicName",
           c.context_kind AS "contextKind", c.context_ref AS "contextRef", c.context_title AS "contextTitle", c.context_url AS "contextUrl",
           c.assignee_id AS "assigneeId", ${visibleUpdatedAt(viewer, folder, sql.raw('lm.created_at'))} AS "updatedAt", ${sortKey} AS "sortKey",
           cu.forced_unread AS "forcedUnread",
           (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.seq > coalesce(cu.last_read_seq, 0)
              AND m.author_id <> ${viewer.id} AND ${messageVisible(viewer)}) AS "unreadCount",
           lm.id AS "lastId", lm.text AS "lastText", lm.created_at AS "lastAt", lu.name AS "lastAuthorName", lu.role AS "lastAuthorRole",
           lu.staff_kind AS "lastAuthorStaffKind",
           ${acknowledgementProperty('sentTo')} AS "ackSentTo", ${acknowledgementProperty('replyAmount')} AS "ackAmount",
           ${acknowledgementProperty('replyUnit')} AS "ackUnit"
    FROM ${source}
    ${holdsViewerRow ? sql`` : sql`LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}`}
    LEFT JOIN topics t ON t.id = c.topic_id
    JOIN messages lm ON lm.seq = ${shownSeq(viewer, folder)}
    JOIN users lu ON lu.id = lm.author_id
    WHERE ${sql.join([...joined, ...where], sql` AND `)}
    ORDER BY ${sortKey} ${direction}
    LIMIT ${pageLimit}`,
  );

  const page = found.slice(0, limit);
  const items: ConversationSummary[] = page.map((r) => ({
    id: r.id,
    subject: r.subject,
    status: r.status,
    accountId: r.accountId,
    topic: r.topicId ? { id: r.topicId, name: r.topicName ?? '' } : null,
    context: r.contextKind ? { kind: r.contextKind, ref: r.contextRef ?? '', title: r.contextTitle, url: r.contextUrl } : null,
    unreadCount: Number(r.unreadCount) > 0 ? Number(r.unreadCount) : r.forcedUnread ? 1 : 0,
    updatedAt: r.updatedAt,
    lastMessage: {
      id: r.lastId,
      preview: preview(r.lastText),
      authorName: r.lastAuthorName,
      authorRole: r.lastAuthorRole,
      ...(r.lastAuthorStaffKind ? { authorStaffKind: r.lastAuthorStaffKind } : {}),
      createdAt: r.lastAt,
      ...(r.ackSentTo !== null && r.ackAmount !== null && r.ackUnit !== null
        ? { acknowledgement: { sentTo: r.ackSentTo, replyTime: { amount: Number(r.ackAmount), unit: r.ackUnit } } }
        : {}),
    },
    assigneeId: r.assigneeId,
  }));
  const last = page[page.length - 1];
  return { items, nextCursor: found.length > limit && last ? encodeCursor(Number(last.sortKey)) : null };
}

/** A property of the row's last message when it is an acknowledgement (looked up for those rows only), else null. */
const acknowledgementProperty = (key: string): SQL =>
  sql`CASE WHEN lm.kind = 'acknowledgement' THEN (SELECT mp.value FROM message_properties mp WHERE mp.message_seq = lm.seq AND mp.key = ${key}) END`;

/**
 * A conversation is listed once it holds a message the viewer may see (a list row shows its last
 * one); counts use the same condition. Only a customer added to a conversation staff wrote in alone
 * meets one without such a message.
 */
const listed = (viewer: Viewer): SQL => sql`${lastVisibleSeq(viewer)} > 0`;

/** Conversations in the viewer's Inbox with something unread. */
export async function inboxUnreadCount(db: Db, viewer: Viewer): Promise<number> {
  const candidates = staffCandidates(viewer);
  const row = await firstRow<{ n: number }>(
    db,
    sql`
    SELECT count(*) AS n FROM conversations c
    LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
    WHERE ${candidates ? sql`${candidates} AND ` : sql``}${conversationVisible(viewer)} AND ${listed(viewer)} AND ${folderCondition(viewer, 'inbox')} AND ${unreadCondition(viewer)}`,
  );
  return Number(row?.n ?? 0);
}

export interface FolderCounts {
  inbox: { total: number; unread: number };
  sent: { total: number; unread: number };
  trash: { total: number; unread: number };
}

/** Conversations in each folder, and how many of them have something unread, in one pass. */
export async function folderCounts(db: Db, viewer: Viewer): Promise<FolderCounts> {
  const candidates = staffCandidates(viewer);
  const folders = (['inbox', 'sent', 'trash'] as const).map((folder) => [folder, folderCondition(viewer, folder)] as const);
  const row = await firstRow<Record<string, number | null>>(
    db,
    sql`
    SELECT ${sql.join(
      folders.map(
        ([name, condition]) =>
          sql`sum(CASE WHEN ${condition} THEN 1 ELSE 0 END) AS ${sql.identifier(`${name}Total`)},
              sum(CASE WHEN ${condition} AND ${unreadCondition(viewer)} THEN 1 ELSE 0 END) AS ${sql.identifier(`${name}Unread`)}`,
      ),
      sql`, `,
    )}
    FROM conversations c
    LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
    WHERE ${candidates ? sql`${candidates} AND ` : sql``}${conversationVisible(viewer)} AND ${listed(viewer)}`,
  );
  const n = (key: string) => Number(row?.[key] ?? 0);
  return {
    inbox: { total: n('inboxTotal'), unread: n('inboxUnread') },
    sent: { total: n('sentTotal'), unread: n('sentUnread') },
    trash: { total: n('trashTotal'), unread: n('trashUnread') },
  };
}

// ------------------------------------------------------------------ per-user state
export type StateChange = 'read' | 'unread' | 'trash' | 'restore' | 'leave';

export async function changeState(db: Db, viewer: Viewer, id: string, change: StateChange): Promise<void> {
  await transaction(db, (tx) => applyStateChange(tx, viewer, id, change));
}

/** `changeState` in the caller's transaction. */
export async function applyStateChange(db: Db, viewer: Viewer, id: string, change: StateChange): Promise<void> {
  const row = await loadVisibleConversation(db, viewer, id, `conversation.${change}`);
  const seq = seesAll(viewer) ? row.lastSeq : row.lastPublicSeq;
  await execute(db, sql`INSERT INTO conversation_users (conversation_id, user_id) VALUES (${id}, ${viewer.id}) ON CONFLICT DO NOTHING`);
  const set: Record<StateChange, SQL> = {
    read: sql`last_read_seq = ${dialectOf(db).greatest(sql`last_read_seq`, sql`${seq}`)}, forced_unread = FALSE`,
    unread: sql`forced_unread = TRUE`,
    trash: sql`trashed = TRUE`,
    restore: sql`trashed = FALSE`,
    leave: sql`participant = FALSE, has_left = TRUE`,
  };
  await execute(db, sql`UPDATE conversation_users SET ${set[change]} WHERE conversation_id = ${id} AND user_id = ${viewer.id}`);
  // The others see "Priya Shah left" in the thread; leaving a conversation one only saw through the account is not news.
  if (change === 'leave' && row.participant === true)
    await execute(db, sql`INSERT INTO departures (conversation_id, user_id, at) VALUES (${id}, ${viewer.id}, ${nowIso()})`);
  await audit(db, { actorId: viewer.id, action: `conversation.${change}`, outcome: 'ok', targetType: 'conversation', targetId: id });
  if (change === 'leave') await touch(db, id, true);
  await userStateChanged(db, viewer.id, id);
  if (change === 'leave') await conversationUpdated(db, id);
}

const seesAll = (viewer: Viewer) => viewer.role !== 'customer';

async function touch(db: Db, id: string, visibleToCustomers: boolean): Promise<void> {
  const at = nowIso();
  await execute(
    db,
    visibleToCustomers
      ? sql`UPDATE conversations SET updated_at = ${at}, public_updated_at = ${at} WHERE id = ${id}`
      : sql`UPDATE conversations SET updated_at = ${at} WHERE id = ${id}`,
  );
}

// ------------------------------------------------------------------ participants and workflow
export async function addParticipants(db: Db, viewer: Viewer, id: string, input: AddParticipantsBody): Promise<Conversation> {
  await transaction(db, async (tx) => {
    const row = await loadVisibleConversation(tx, viewer, id, 'conversation.participants');
    const userIds = [...new Set(input.userIds)];
    await requireMembers(tx, row.accountId, userIds, 'userIds');
    for (const userId of userIds) await upsertParticipant(tx, id, userId);
    await touch(tx, id, true);
    await conversationUpdated(tx, id, userIds);
    await audit(tx, {
      actorId: viewer.id,
      action: 'conversation.participants',
      outcome: 'ok',
      targetType: 'conversation',
      targetId: id,
      detail: { added: userIds },
    });
  });
  return getConversation(db, viewer, id);
}

export async function patchConversation(store: Db, viewer: Viewer, id: string, input: PatchConversationBody): Promise<Conversation> {
  await transaction(store, (tx) => applyPatch(tx, viewer, id, input));
  return getConversation(store, viewer, id);
}

/** `patchConversation` in the caller's transaction. */
export async function applyPatch(db: Db, viewer: Viewer, id: string, input: PatchConversationBody): Promise<void> {
  const row = await loadVisibleConversation(db, viewer, id, 'conversation.update');
  if (viewer.role === 'customer') {
    await audit(db, { actorId: viewer.id, action: 'conversation.update', outcome: 'denied', targetType: 'conversation', targetId: id });
    throw forbidden('Only staff can change the status or the assignee.');
  }
  if (input.assigneeId) {
    const found = (await membersOf(db, row.accountId, [input.assigneeId])).get(input.assigneeId);
    if (!found || found.role === 'customer') throw invalid('assigneeId', `${input.assigneeId} is not a staff member of account ${row.accountId}`);
  }
  if (input.status !== undefined) await execute(db, sql`UPDATE conversations SET status = ${input.status} WHERE id = ${id}`);
  if (input.assigneeId !== undefined) await execute(db, sql`UPDATE conversations SET assignee_id = ${input.assigneeId} WHERE id = ${id}`);
  await touch(db, id, true);
  await conversationUpdated(db, id);
  await audit(db, { actorId: viewer.id, action: 'conversation.update', outcome: 'ok', targetType: 'conversation', targetId: id, detail: input });
}
