/**
 * Messages: the six actions of API.md, threads, and the account Status tab.
 */
import { staffActions, type Message, type MessageAction, type MessageKind, type PostMessageBody, type Role, type StaffKind } from '@secure-inbox/protocol';
import { sql } from 'drizzle-orm';
import { cachedAll, cachedGet, cachedRun, prepared } from '../db/cached.js';
import { writeTx, type Db } from '../db/client.js';
import { deferToGroupEnd } from '../db/group-commit.js';
import { ApiError, forbidden, invalid } from '../errors.js';
import { audit } from './audit.js';
import { decodeCursor, encodeCursor, newId, nowIso } from './ids.js';
import { cleanPlainText, type RichTextBody } from './text.js';
import { userRef } from './users.js';
import { conversationUpdated } from '../realtime/fanout.js';
import {
  actsIn,
  hiddenFromCustomers,
  loadVisibleConversation,
  messageReferenceKeys,
  messageVisible,
  reachableMessageIds,
  rowUserSeesNewMessage,
  searchScopeTokens,
  writtenForStaffOnly,
  type Viewer,
} from './visibility.js';

/** What an action creates and does to the conversation's status. */
const actions: Record<MessageAction, { kind: MessageKind; doNotReply: boolean; status: (role: Role) => 'open' | 'answered' | 'resolved' | null }> = {
  reply: { kind: 'message', doNotReply: false, status: (role) => (role === 'customer' ? 'open' : null) },
  send: { kind: 'resolve_note', doNotReply: false, status: () => 'answered' },
  send_leave_open: { kind: 'public_note', doNotReply: false, status: () => null },
  resolve: { kind: 'resolve_note', doNotReply: true, status: () => 'resolved' },
  internal_note: { kind: 'internal_note', doNotReply: true, status: () => null },
  status_update: { kind: 'status_update', doNotReply: false, status: () => null },
};

export interface CreatedMessage {
  seq: number;
  id: string;
  conversationId: string;
  accountId: string;
  kind: MessageKind;
  doNotReply: boolean;
  /** Written while no customer took part: kept from customers (visibility.ts). */
  staffOnly: boolean;
  authorId: string;
  authorRole: Role;
  notifyAdmins: boolean;
  isFirst: boolean;
}

/**
 * Side effects that belong to the same transaction as the message (notification outbox, event log).
 * Called inside the write transaction: they commit or roll back with the message.
 */
export interface MessageEffects {
  messageCreated(db: Db, message: CreatedMessage): void;
}

export const noEffects: MessageEffects = { messageCreated() {} };

interface NewMessage {
  kind: MessageKind;
  /** Sanitized on the way in (rich-text.ts `prepareRichText`). */
  body: RichTextBody;
  doNotReply: boolean;
  tip?: string;
  attachmentIds: string[];
  createdAt: string;
  isFirst?: boolean;
  notifyAdmins: boolean;
}

/** Inserts a message inside the caller's write transaction and moves the conversation's pointers. */
export function insertMessage(
  db: Db,
  author: Viewer,
  conversation: { id: string; accountId: string; subject: string },
  input: NewMessage,
  effects: MessageEffects,
): { seq: number; id: string; body: string } {
  const { body, text } = input.body;
  if (!text && !/<a\b/i.test(body)) throw invalid('body', 'has no content left after removing what is not allowed');
  const id = newId('m');
  const staffOnly = writtenForStaffOnly(db, author, conversation.id);
  const hidden = hiddenFromCustomers({ doNotReply: input.doNotReply, staffOnly });
  // The statements of every send, prepared once as plain text (building drizzle's `sql` objects for
  // them was ~8% of the writer thread's time under sustained sends).
  const seq = (
    prepared(db, `INSERT INTO messages (id, conversation_id, account_id, kind, body, text, author_id, tip, do_not_reply, staff_only, created_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`).get(
      id, conversation.id, conversation.accountId, input.kind, body, text, author.id, input.tip ?? null, input.doNotReply ? 1 : 0, staffOnly ? 1 : 0, input.createdAt,
    ) as { seq: number }
  ).seq;
  prepared(db, "INSERT INTO message_properties (message_seq, key, value) VALUES (?, 'doNotReply', ?)").run(seq, String(input.doNotReply));

  const attachmentIds = [...new Set(input.attachmentIds)];
  for (const attachmentId of attachmentIds) {
    const claimed = prepared(db, 'UPDATE attachments SET message_seq = ? WHERE id = ? AND uploader_id = ? AND message_seq IS NULL').run(seq, attachmentId, author.id);
    if (claimed.changes !== 1) throw new ApiError(404, 'not_found', `No such attachment: ${attachmentId}.`, [{ field: 'attachmentIds', message: `no such attachment: ${attachmentId}` }]);
  }

  const scope = searchScopeTokens(conversation, { doNotReply: input.doNotReply, staffOnly });
  deferToGroupEnd(db, () =>
    prepared(db, 'INSERT INTO message_search (rowid, subject, body, scope) VALUES (?, ?, ?, ?)').run(seq, conversation.subject, text, scope),
  );
  if (hidden) {
    prepared(db, 'UPDATE conversations SET last_seq = ?, updated_at = ? WHERE id = ?').run(seq, input.createdAt, conversation.id);
  } else {
    prepared(db, 'UPDATE conversations SET last_seq = @seq, last_public_seq = @seq, updated_at = @at, public_updated_at = @at WHERE id = @id').run({
      seq,
      at: input.createdAt,
      id: conversation.id,
    });
  }
  if (input.isFirst) prepared(db, 'UPDATE conversations SET first_seq = ? WHERE id = ?').run(seq, conversation.id);
  // A new message brings the conversation back to the Inbox of whoever moved it to Trash and may see
  // it (API.md), unread: as mail clients do. Their events below tell their widgets and kept pages.
  prepared(db, `UPDATE conversation_users AS cu SET trashed = 0
                WHERE cu.conversation_id = ? AND cu.trashed = 1 AND cu.has_left = 0 AND cu.user_id <> ? AND ${rowUserSeesNewMessage({ hidden })}`).run(
    conversation.id,
    author.id,
  );
  // Writing makes the author a participant who has read everything up to their own message. A hidden
  // note does not make its author a participant: customers see the participant list. Participation is
  // set by a statement of its own that changes a row only when it changes something: any statement
  // setting these columns rewrites the row's entry in conversation_users_user_idx, a page more per send.
  const joins = input.doNotReply ? 0 : 1;
  prepared(db, `
    INSERT INTO conversation_users (conversation_id, user_id, participant, last_read_seq, last_sent_seq) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_seq = excluded.last_read_seq, last_sent_seq = excluded.last_sent_seq,
      forced_unread = 0`).run(conversation.id, author.id, joins, seq, seq);
  prepared(db, `UPDATE conversation_users SET participant = max(participant, ?), has_left = 0
                WHERE conversation_id = ? AND user_id = ? AND (participant < ? OR has_left <> 0)`).run(joins, conversation.id, author.id, joins);

  effects.messageCreated(db, {
    seq,
    id,
    conversationId: conversation.id,
    accountId: conversation.accountId,
    kind: input.kind,
    doNotReply: input.doNotReply,
    staffOnly,
    authorId: author.id,
    authorRole: author.role,
    notifyAdmins: input.notifyAdmins,
    isFirst: input.isFirst ?? false,
  });
  return { seq, id, body };
}

/** Writes `input` (its body already prepared as `body`) to the conversation, as `viewer`. */
export function postMessage(db: Db, viewer: Viewer, conversationId: string, input: PostMessageBody, body: RichTextBody, effects: MessageEffects): Message {
  const action = input.action ?? 'reply';
  const rule = actions[action];
  const written = writeTx(db, () => {
    const conversation = loadVisibleConversation(db, viewer, conversationId, 'message.create');
    if (viewer.role === 'customer' && (staffActions.includes(action) || input.tip !== undefined || input.notifyAdmins)) {
      audit(db, { actorId: viewer.id, action: `message.${action}`, outcome: 'denied', targetType: 'conversation', targetId: conversationId });
      throw forbidden(input.tip !== undefined && !staffActions.includes(action) ? 'Only staff can add a tip.' : `Only staff can use the "${action}" action.`);
    }
    if (input.replyToId !== undefined) {
      const original = cachedGet(db, sql`SELECT m.seq FROM messages m
                                  WHERE m.id = ${input.replyToId} AND m.conversation_id = ${conversationId} AND ${messageVisible(viewer)}`);
      if (!original) throw invalid('replyToId', 'is not a message of this conversation');
    }
    const createdAt = nowIso();
    const tip = input.tip ? cleanPlainText(input.tip, true) : undefined;
    const created = insertMessage(db, viewer, conversation, {
      kind: rule.kind,
      body,
      doNotReply: rule.doNotReply,
      tip,
      attachmentIds: input.attachmentIds ?? [],
      createdAt,
      notifyAdmins: input.notifyAdmins ?? false,
    }, effects);
    if (input.replyToId !== undefined) {
      // The message answered, for the "replying to" quote; an interaction property like DoNotReply.
      cachedRun(db, sql`INSERT INTO message_properties (message_seq, key, value) VALUES (${created.seq}, 'replyToId', ${input.replyToId})`);
    }
    const status = rule.status(viewer.role);
    if (status && status !== conversation.status) {
      // A status change is visible to customers even when the note that caused it is not.
      prepared(db, 'UPDATE conversations SET status = ?, public_updated_at = ? WHERE id = ?').run(status, createdAt, conversationId);
      conversationUpdated(db, conversationId);
    }
    audit(db, { actorId: viewer.id, action: `message.${action}`, outcome: 'ok', targetType: 'message', targetId: created.id, detail: { conversationId } });
    return { ...created, conversationId: conversation.id, createdAt, tip: tip ?? null };
  });
  // The author's new message as their next read of the thread shows it, from what was just written
  // (test/routes.test.ts holds the two equal); only its attachments and author row are read back.
  const author = prepared(db, 'SELECT id, name, role, staff_kind AS staffKind FROM users WHERE id = ?').get(viewer.id) as {
    id: string;
    name: string;
    role: Role;
    staffKind: StaffKind | null;
  };
  return {
    id: written.id,
    conversationId: written.conversationId,
    kind: rule.kind,
    body: written.body,
    author: userRef(author),
    createdAt: written.createdAt,
    attachments: input.attachmentIds?.length ? attachmentsOf(db, [written.seq]).map(({ messageSeq: _, ...file }) => file) : [],
    tip: written.tip,
    doNotReply: rule.doNotReply,
    properties: { doNotReply: rule.doNotReply, ...(input.replyToId !== undefined ? { replyToId: input.replyToId } : {}) },
  };
}

/** The attachments of the messages `seqs`, in the order a thread lists them. */
function attachmentsOf(db: Db, seqs: number[]) {
  return cachedAll<{ messageSeq: number; id: string; name: string; size: number; contentType: string; scanStatus: 'pending' | 'clean' | 'infected' }>(db, sql`
    SELECT message_seq AS messageSeq, id, name, size, content_type AS contentType, scan_status AS scanStatus FROM attachments
    WHERE message_seq IN (${sql.join(seqs.map((seq) => sql`${seq}`), sql`, `)}) ORDER BY created_at, id`);
}

// ------------------------------------------------------------------ reading
interface MessageRow {
  seq: number;
  id: string;
  conversationId: string;
  kind: MessageKind;
  body: string;
  tip: string | null;
  doNotReply: number;
  createdAt: string;
  authorId: string;
  authorName: string;
  authorRole: Role;
  authorStaffKind: StaffKind | null;
}

/** Loads visible messages matching `where`, newest first, and shapes them as the API's Message. */
function loadMessages(db: Db, viewer: Viewer, where: ReturnType<typeof sql>, limit: number): Message[] {
  const rows = cachedAll<MessageRow>(db, sql`
    SELECT m.seq, m.id, m.conversation_id AS conversationId, m.kind, m.body, m.tip, m.do_not_reply AS doNotReply,
           m.created_at AS createdAt, u.id AS authorId, u.name AS authorName, u.role AS authorRole,
           u.staff_kind AS authorStaffKind
    FROM messages m JOIN users u ON u.id = m.author_id
    WHERE ${where} AND ${messageVisible(viewer)}
    ORDER BY m.seq DESC LIMIT ${limit}`);
  if (rows.length === 0) return [];
  const seqs = sql.join(rows.map((r) => sql`${r.seq}`), sql`, `);
  const files = attachmentsOf(db, rows.map((r) => r.seq));
  const stored = cachedAll<{ messageSeq: number; key: string; value: string }>(db, sql`
    SELECT message_seq AS messageSeq, key, value FROM message_properties WHERE message_seq IN (${seqs})`);
  // A property naming another message is shown only when the viewer may see that message.
  const references = stored.filter((p) => messageReferenceKeys.includes(p.key));
  const reachable = reachableMessageIds(db, viewer, references.map((p) => p.value));
  const properties = stored.filter((p) => !messageReferenceKeys.includes(p.key) || reachable.has(p.value));
  return rows.map((r) => ({
    id: r.id,
    conversationId: r.conversationId,
    kind: r.kind,
    body: r.body,
    author: userRef({ id: r.authorId, name: r.authorName, role: r.authorRole, staffKind: r.authorStaffKind }),
    createdAt: r.createdAt,
    attachments: files.filter((f) => f.messageSeq === r.seq).map(({ id, name, size, contentType, scanStatus }) => ({ id, name, size, contentType, scanStatus })),
    tip: r.tip,
    doNotReply: Boolean(r.doNotReply),
    properties: Object.fromEntries(
      properties.filter((p) => p.messageSeq === r.seq).map((p) => [p.key, p.value === 'true' ? true : p.value === 'false' ? false : p.value]),
    ),
  }));
}

/** A page of a thread: the newest `limit` messages before the cursor, returned oldest first. */
export function threadPage(db: Db, viewer: Viewer, conversationId: string, before: string | undefined, limit: number) {
  let position = Number.MAX_SAFE_INTEGER;
  if (before !== undefined) {
    const decoded = decodeCursor(before);
    if (decoded === null) throw invalid('before', 'is not a cursor this API returned');
    position = decoded;
  }
  const page = loadMessages(db, viewer, sql`m.conversation_id = ${conversationId} AND m.seq < ${position}`, limit + 1);
  const more = page.length > limit;
  const shown = page.slice(0, limit);
  const oldest = shown[shown.length - 1];
  let nextCursor: string | null = null;
  if (more && oldest) {
    const seq = cachedGet<{ seq: number }>(db, sql`SELECT seq FROM messages WHERE id = ${oldest.id}`)!.seq;
    nextCursor = encodeCursor(seq);
  }
  return { messages: shown.reverse(), nextCursor };
}

/** The account's Status tab: its status updates, newest first. Account-wide news for its members. */
export function statusUpdates(db: Db, viewer: Viewer, accountId: string): Message[] {
  if (!actsIn(viewer, accountId)) {
    audit(db, { actorId: viewer.id, action: 'status_updates.read', outcome: 'denied', targetType: 'account', targetId: accountId });
    throw forbidden(`You do not act in account ${accountId}.`);
  }
  return loadMessages(db, viewer, sql`m.account_id = ${accountId} AND m.kind = 'status_update'`, 100);
}
