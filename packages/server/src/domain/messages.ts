/**
 * Messages: the six actions of API.md, threads, and the account Status tab.
 */
import { staffActions, type Message, type MessageAction, type MessageKind, type PostMessageBody, type Role, type StaffKind } from '@secure-inbox/protocol';
import { and, eq, isNull, or, sql, type AnyColumn } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { deferToGroupEnd } from '../store/sqlite/group-commit.js';
import { attachments, conversations, conversationUsers, messageProperties, messages } from '../store/sqlite/schema.js';
import { searchIndexOf } from '../store/search.js';
import { prepareOnce } from '../store/prepared.js';
import { dialectOf, isPostgres } from '../store/runtime.js';
import { execute, firstRow, rows } from '../store/sql.js';
import { ApiError, forbidden, invalid } from '../errors.js';
import { audit } from './audit.js';
import { checkMentions, recordMentions } from './mentions.js';
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
  /** The staff a hidden note mentions (domain/mentions.ts): each is told. */
  mentions?: string[];
  /**
   * The conversation's assignee as the send found it once it held the conversation's row (the statement that moves
   * its pointers returns it), so the audience need not read the row again; absent when not known.
   */
  assigneeId?: string | null;
}

/**
 * Side effects that belong to the same transaction as the message (notification outbox, event log).
 * Called inside the write transaction: they commit or roll back with the message.
 */
export interface MessageEffects {
  messageCreated(db: Db, message: CreatedMessage): Promise<void>;
}

export const noEffects: MessageEffects = { async messageCreated() {} };

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
  /** Checked by domain/mentions.ts `checkMentions`. */
  mentions?: string[];
}

const p = sql.placeholder;

/** A column set to the placeholder's value unless it already holds a larger one. */
const forward = (db: Db, column: AnyColumn, placeholder: string) => dialectOf(db).greatest(sql`${column}`, sql`${p(placeholder)}`);

/**
 * The statements of every send, prepared once per connection (store/sqlite/prepared.ts): building
 * and preparing them for each send was a large share of the writer thread's time under sustained sends.
 */
function sendQueries(db: Db, hidden: boolean) {
  return prepareOnce(db, hidden ? 'send.hidden' : 'send.public', (db) => ({
    insertMessage: db
      .insert(messages)
      .values({
        id: p('id'),
        conversationId: p('conversationId'),
        accountId: p('accountId'),
        kind: p('kind'),
        body: p('body'),
        text: p('text'),
        authorId: p('authorId'),
        tip: p('tip'),
        doNotReply: p('doNotReply'),
        staffOnly: p('staffOnly'),
        createdAt: p('createdAt'),
      })
      // The author's row as the answer shows it (postMessage), read in the same statement rather than one more.
      .returning({
        seq: messages.seq,
        authorName: sql<string>`(SELECT name FROM users WHERE id = ${p('authorId')})`,
        authorRole: sql<Role>`(SELECT role FROM users WHERE id = ${p('authorId')})`,
        authorStaffKind: sql<StaffKind | null>`(SELECT staff_kind FROM users WHERE id = ${p('authorId')})`,
      })
      .prepare(),
    insertProperty: db
      .insert(messageProperties)
      .values({ messageSeq: p('seq'), key: p('key'), value: p('value') })
      .prepare(),
    claimAttachment: db
      .update(attachments)
      .set({ messageSeq: sql`${p('seq')}` })
      .where(and(eq(attachments.id, p('id')), eq(attachments.uploaderId, p('uploaderId')), isNull(attachments.messageSeq)))
      .returning({ id: attachments.id })
      .prepare(),
    // Only ever forward: on PostgreSQL two sends commit side by side, and the one that drew the smaller seq may move
    // the pointers after the other. The UPDATE takes the row's lock and, having waited for it, computes greatest()
    // from the row as the other left it (READ COMMITTED re-reads a row that changed under its lock). On SQLite one
    // writer at a time makes it a no-op.
    movePointers: db
      .update(conversations)
      .set(
        hidden
          ? { lastSeq: forward(db, conversations.lastSeq, 'seq'), updatedAt: forward(db, conversations.updatedAt, 'at') }
          : {
              lastSeq: forward(db, conversations.lastSeq, 'seq'),
              lastPublicSeq: forward(db, conversations.lastPublicSeq, 'seq'),
              updatedAt: forward(db, conversations.updatedAt, 'at'),
              publicUpdatedAt: forward(db, conversations.publicUpdatedAt, 'at'),
            },
      )
      .where(eq(conversations.id, p('id')))
      .returning({ assigneeId: conversations.assigneeId })
      .prepare(),
    untrash: db
      .update(conversationUsers)
      .set({ trashed: false })
      .where(
        sql`${conversationUsers.conversationId} = ${p('conversationId')} AND ${conversationUsers.trashed} = TRUE AND ${conversationUsers.hasLeft} = FALSE
                 AND ${conversationUsers.userId} <> ${p('authorId')} AND ${rowUserSeesNewMessage({ hidden }, conversationUsers.userId)}`,
      )
      .prepare(),
    authorRead: db
      .insert(conversationUsers)
      .values({ conversationId: p('conversationId'), userId: p('userId'), participant: p('participant'), lastReadSeq: p('seq'), lastSentSeq: p('seq') })
      .onConflictDoUpdate({
        target: [conversationUsers.conversationId, conversationUsers.userId],
        set: { lastReadSeq: sql`excluded.last_read_seq`, lastSentSeq: sql`excluded.last_sent_seq`, forcedUnread: false },
      })
      .prepare(),
    setStatus: db
      .update(conversations)
      .set({ status: sql`${p('status')}`, publicUpdatedAt: sql`${p('at')}` })
      .where(eq(conversations.id, p('id')))
      .prepare(),
  }));
}

/** Makes the author a participant (unless they wrote a hidden note) who has not left; changes only what needs changing. */
function authorJoins(db: Db, joins: boolean) {
  return prepareOnce(db, joins ? 'send.author-joins' : 'send.author-stays', (db) =>
    db
      .update(conversationUsers)
      .set(joins ? { participant: true, hasLeft: false } : { hasLeft: false })
      .where(
        and(
          eq(conversationUsers.conversationId, p('conversationId')),
          eq(conversationUsers.userId, p('userId')),
          joins ? or(eq(conversationUsers.participant, false), eq(conversationUsers.hasLeft, true)) : eq(conversationUsers.hasLeft, true),
        ),
      )
      .prepare(),
  );
}

/**
 * On PostgreSQL, `authorRead` and `authorJoins` in one statement (each statement there is a round trip): the upsert
 * sets participation too, to what it already is unless the author joins. PostgreSQL compares the old and new values
 * of indexed columns and keeps its index entries when they are equal, so setting them unchanged costs no index
 * page; SQLite rewrites the entry, hence its two statements.
 */
function authorReadsAndJoins(db: Db) {
  return prepareOnce(db, 'send.author-reads-joins', (db) =>
    db
      .insert(conversationUsers)
      .values({ conversationId: p('conversationId'), userId: p('userId'), participant: p('participant'), lastReadSeq: p('seq'), lastSentSeq: p('seq') })
      .onConflictDoUpdate({
        target: [conversationUsers.conversationId, conversationUsers.userId],
        set: {
          lastReadSeq: sql`excluded.last_read_seq`,
          lastSentSeq: sql`excluded.last_sent_seq`,
          forcedUnread: false,
          hasLeft: false,
          participant: sql`${conversationUsers.participant} OR excluded.participant`,
        },
      })
      .prepare(),
  );
}

/** Inserts a message inside the caller's write transaction and moves the conversation's pointers. */
export async function insertMessage(
  db: Db,
  author: Viewer,
  conversation: { id: string; accountId: string; subject: string },
  input: NewMessage,
  effects: MessageEffects,
): Promise<{ seq: number; id: string; body: string; author: { id: string; name: string; role: Role; staffKind: StaffKind | null } }> {
  const { body, text } = input.body;
  if (!text && !/<a\b/i.test(body)) throw invalid('body', 'has no content left after removing what is not allowed');
  const id = newId('m');
  const staffOnly = await writtenForStaffOnly(db, author, conversation.id);
  const hidden = hiddenFromCustomers({ doNotReply: input.doNotReply, staffOnly });
  const q = sendQueries(db, hidden);
  const [inserted] = await q.insertMessage.execute({
    id,
    conversationId: conversation.id,
    accountId: conversation.accountId,
    kind: input.kind,
    body,
    text,
    authorId: author.id,
    tip: input.tip ?? null,
    doNotReply: input.doNotReply,
    staffOnly,
    createdAt: input.createdAt,
  });
  const { seq, authorName, authorRole, authorStaffKind } = inserted!;
  await q.insertProperty.execute({ seq, key: 'doNotReply', value: String(input.doNotReply) });
  if (input.mentions) await recordMentions(db, seq, input.mentions);

  const attachmentIds = [...new Set(input.attachmentIds)];
  for (const attachmentId of attachmentIds) {
    const claimed = await q.claimAttachment.execute({ seq, id: attachmentId, uploaderId: author.id });
    if (claimed.length !== 1)
      throw new ApiError(404, 'not_found', `No such attachment: ${attachmentId}.`, [
        { field: 'attachmentIds', message: `no such attachment: ${attachmentId}` },
      ]);
  }

  await deferToGroupEnd(db, () =>
    searchIndexOf(db).index(db, { seq, subject: conversation.subject, body: text, conversationId: conversation.id, accountId: conversation.accountId, hidden }),
  );
  const [moved] = await q.movePointers.execute({ seq, at: input.createdAt, id: conversation.id });
  if (input.isFirst) await db.update(conversations).set({ firstSeq: seq }).where(eq(conversations.id, conversation.id));
  // A new message brings the conversation back to the Inbox of whoever moved it to Trash and may see
  // it (API.md), unread: as mail clients do. Their events below tell their widgets and kept pages.
  await q.untrash.execute({ conversationId: conversation.id, authorId: author.id });
  // Writing makes the author a participant who has read everything up to their own message. A hidden
  // note does not make its author a participant: customers see the participant list. Participation is
  // set by a statement of its own that changes a row only when it changes something: any statement
  // setting these columns rewrites the row's entry in conversation_users_user_idx, a page more per send.
  const joins = !input.doNotReply;
  if (isPostgres(db)) await authorReadsAndJoins(db).execute({ conversationId: conversation.id, userId: author.id, participant: joins, seq });
  else {
    await q.authorRead.execute({ conversationId: conversation.id, userId: author.id, participant: joins, seq });
    await authorJoins(db, joins).execute({ conversationId: conversation.id, userId: author.id });
  }

  await effects.messageCreated(db, {
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
    ...(input.mentions?.length ? { mentions: input.mentions } : {}),
    ...(moved ? { assigneeId: moved.assigneeId } : {}),
  });
  return { seq, id, body, author: { id: author.id, name: authorName, role: authorRole, staffKind: authorStaffKind } };
}

/**
 * Writes `input` (its body already prepared as `body`) to the conversation, as `viewer`, in the caller's write
 * transaction (a group commit's job, domain/write-jobs.ts).
 */
export async function postMessage(
  db: Db,
  viewer: Viewer,
  conversationId: string,
  input: PostMessageBody,
  body: RichTextBody,
  effects: MessageEffects,
): Promise<Message> {
  const action = input.action ?? 'reply';
  const rule = actions[action];
  const conversation = await loadVisibleConversation(db, viewer, conversationId, 'message.create');
  if (viewer.role === 'customer' && (staffActions.includes(action) || input.tip !== undefined || input.notifyAdmins || input.mentions !== undefined)) {
    await audit(db, { actorId: viewer.id, action: `message.${action}`, outcome: 'denied', targetType: 'conversation', targetId: conversationId });
    throw forbidden(
      staffActions.includes(action)
        ? `Only staff can use the "${action}" action.`
        : input.tip !== undefined
          ? 'Only staff can add a tip.'
          : input.mentions !== undefined
            ? 'Only staff can mention people.'
            : `Only staff can use the "${action}" action.`,
    );
  }
  const mentions = await checkMentions(db, conversation.accountId, rule, input.mentions);
  if (input.replyToId !== undefined) {
    const original = await firstRow(
      db,
      sql`SELECT m.seq FROM messages m
          WHERE m.id = ${input.replyToId} AND m.conversation_id = ${conversationId} AND ${messageVisible(viewer)}`,
    );
    if (!original) throw invalid('replyToId', 'is not a message of this conversation');
  }
  const createdAt = nowIso();
  const tip = input.tip ? cleanPlainText(input.tip, true) : undefined;
  const created = await insertMessage(
    db,
    viewer,
    conversation,
    {
      kind: rule.kind,
      body,
      doNotReply: rule.doNotReply,
      tip,
      attachmentIds: input.attachmentIds ?? [],
      createdAt,
      notifyAdmins: input.notifyAdmins ?? false,
      mentions,
    },
    effects,
  );
  if (input.replyToId !== undefined) {
    // The message answered, for the "replying to" quote; an interaction property like DoNotReply.
    await execute(db, sql`INSERT INTO message_properties (message_seq, key, value) VALUES (${created.seq}, 'replyToId', ${input.replyToId})`);
  }
  const status = rule.status(viewer.role);
  const q = sendQueries(db, false);
  if (status && status !== conversation.status) {
    // A status change is visible to customers even when the note that caused it is not.
    await q.setStatus.execute({ status, at: createdAt, id: conversationId });
    await conversationUpdated(db, conversationId);
  }
  await audit(db, { actorId: viewer.id, action: `message.${action}`, outcome: 'ok', targetType: 'message', targetId: created.id, detail: { conversationId } });
  // The author's new message as their next read of the thread shows it, from what was just written
  // (test/routes.test.ts holds the two equal); only its attachments are read back, and its author row was read
  // by the insert.
  return {
    id: created.id,
    conversationId: conversation.id,
    kind: rule.kind,
    body: created.body,
    author: userRef(created.author),
    createdAt,
    attachments: input.attachmentIds?.length ? (await rows<AttachmentRow>(db, attachmentsQuery([created.seq]))).map(({ messageSeq: _, ...file }) => file) : [],
    tip: tip ?? null,
    doNotReply: rule.doNotReply,
    properties: { doNotReply: rule.doNotReply, ...(input.replyToId !== undefined ? { replyToId: input.replyToId } : {}) },
  };
}

type AttachmentRow = { messageSeq: number; id: string; name: string; size: number; contentType: string; scanStatus: 'pending' | 'clean' | 'infected' };

/** The attachments of the messages `seqs`, in the order a thread lists them. */
function attachmentsQuery(seqs: number[]) {
  return sql`
    SELECT message_seq AS "messageSeq", id, name, size, content_type AS "contentType", scan_status AS "scanStatus" FROM attachments
    WHERE message_seq IN (${sql.join(
      seqs.map((seq) => sql`${seq}`),
      sql`, `,
    )}) ORDER BY created_at, id`;
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
async function loadMessages(db: Db, viewer: Viewer, where: ReturnType<typeof sql>, limit: number): Promise<Message[]> {
  const found = await rows<MessageRow>(
    db,
    sql`
    SELECT m.seq, m.id, m.conversation_id AS "conversationId", m.kind, m.body, m.tip, m.do_not_reply AS "doNotReply",
           m.created_at AS "createdAt", u.id AS "authorId", u.name AS "authorName", u.role AS "authorRole",
           u.staff_kind AS "authorStaffKind"
    FROM messages m JOIN users u ON u.id = m.author_id
    WHERE ${where} AND ${messageVisible(viewer)}
    ORDER BY m.seq DESC LIMIT ${limit}`,
  );
  if (found.length === 0) return [];
  const seqs = sql.join(
    found.map((r) => sql`${r.seq}`),
    sql`, `,
  );
  const files = await rows<AttachmentRow>(db, attachmentsQuery(found.map((r) => r.seq)));
  const stored = await rows<{ messageSeq: number; key: string; value: string }>(
    db,
    sql`
    SELECT message_seq AS "messageSeq", key, value FROM message_properties WHERE message_seq IN (${seqs})`,
  );
  // A property naming another message is shown only when the viewer may see that message.
  const references = stored.filter((p) => messageReferenceKeys.includes(p.key));
  const reachable = await reachableMessageIds(
    db,
    viewer,
    references.map((p) => p.value),
  );
  const properties = stored.filter((p) => !messageReferenceKeys.includes(p.key) || reachable.has(p.value));
  return found.map((r) => ({
    id: r.id,
    conversationId: r.conversationId,
    kind: r.kind,
    body: r.body,
    author: userRef({ id: r.authorId, name: r.authorName, role: r.authorRole, staffKind: r.authorStaffKind }),
    createdAt: r.createdAt,
    attachments: files
      .filter((f) => f.messageSeq === r.seq)
      .map(({ id, name, size, contentType, scanStatus }) => ({ id, name, size, contentType, scanStatus })),
    tip: r.tip,
    doNotReply: Boolean(r.doNotReply),
    properties: Object.fromEntries(
      properties.filter((p) => p.messageSeq === r.seq).map((p) => [p.key, p.value === 'true' ? true : p.value === 'false' ? false : p.value]),
    ),
  }));
}

/** A page of a thread: the newest `limit` messages before the cursor, returned oldest first. */
export async function threadPage(
  db: Db,
  viewer: Viewer,
  conversationId: string,
  before: string | undefined,
  limit: number,
): Promise<{ messages: Message[]; nextCursor: string | null }> {
  let position = Number.MAX_SAFE_INTEGER;
  if (before !== undefined) {
    const decoded = decodeCursor(before);
    if (decoded === null) throw invalid('before', 'is not a cursor this API returned');
    position = decoded;
  }
  const page = await loadMessages(db, viewer, sql`m.conversation_id = ${conversationId} AND m.seq < ${position}`, limit + 1);
  const more = page.length > limit;
  const shown = page.slice(0, limit);
  const oldest = shown[shown.length - 1];
  let nextCursor: string | null = null;
  if (more && oldest) {
    const [row] = await db.select({ seq: messages.seq }).from(messages).where(eq(messages.id, oldest.id));
    nextCursor = encodeCursor(row!.seq);
  }
  return { messages: shown.reverse(), nextCursor };
}

/** The account's Status tab: its status updates, newest first. Account-wide news for its members. */
export async function statusUpdates(db: Db, viewer: Viewer, accountId: string): Promise<Message[]> {
  if (!actsIn(viewer, accountId)) {
    await audit(db, { actorId: viewer.id, action: 'status_updates.read', outcome: 'denied', targetType: 'account', targetId: accountId });
    throw forbidden(`You do not act in account ${accountId}.`);
  }
  return loadMessages(db, viewer, sql`m.account_id = ${accountId} AND m.kind = 'status_update'`, 100);
}
