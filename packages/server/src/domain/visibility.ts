/**
 * Visibility: the ONLY place that decides who sees what. Every read of conversations, messages,
 * previews, counts, search hits, events, notifications and attachments goes through these
 * predicates. Default deny: a viewer sees nothing unless a rule below grants it.
 *
 * - admin: every conversation and every message.
 * - staff: conversations of the accounts in their token, and any they currently participate in;
 *   every message in them, hidden notes included.
 * - customer: conversations they currently participate in AND whose account is in their token;
 *   only messages without DoNotReply and not written while no customer took part (`staff_only`:
 *   staff talking among themselves before a customer was added). Ordering, previews, `updatedAt`,
 *   unread counts and search use only what the customer may see (`updatedAt` is the time of their newest visible
 *   message), so a hidden message leaves no
 *   trace (not even a changed timestamp).
 * - Status tab: status updates are account-wide news; every member of the account may read those
 *   they may see (messageVisible), with their attachments, even outside the conversation.
 * - References: a message's property naming another message (`replyToId`) reaches a viewer only
 *   when they may see the message it names, in its thread or on the Status tab (messageReachable).
 *
 * SQL fragments below expect the aliases `c` (conversations), `cu` (the viewer's conversation_users
 * row, LEFT JOINed) and `m` (messages).
 */
import { and, eq, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Identity } from '../auth/token.js';
import type { Db } from '../store/sqlite/client.js';
import { dialectOf } from '../store/runtime.js';
import { conversations, conversationUsers, memberships, messages, ratings, savedReplies, users } from '../store/sqlite/schema.js';
import { notFound } from '../errors.js';
import type { SearchScope } from '../search/terms.js';
import { prepareOnce } from '../store/prepared.js';
import { firstRow, rows } from '../store/sql.js';
import { audit } from './audit.js';

export type Viewer = Identity;

export const seesHiddenNotes = (viewer: Viewer) => viewer.role !== 'customer';

/** True when the viewer acts in the account (admins act in all). */
export function actsIn(viewer: Viewer, accountId: string): boolean {
  return viewer.role === 'admin' || viewer.accounts === '*' || viewer.accounts.includes(accountId);
}

function accountList(viewer: Viewer): SQL {
  const ids = viewer.accounts === '*' ? [] : viewer.accounts;
  if (ids.length === 0) return sql`(NULL)`;
  return sql`(${sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  )})`;
}

/** The conversations the viewer may see. */
export function conversationVisible(viewer: Viewer): SQL {
  switch (viewer.role) {
    case 'admin':
      return sql`TRUE`;
    case 'staff':
      return sql`(c.account_id IN ${accountList(viewer)} OR cu.participant = TRUE)`;
    case 'customer':
      return sql`(cu.participant = TRUE AND c.account_id IN ${accountList(viewer)})`;
    default:
      return sql`FALSE`;
  }
}

/** Whether a message is kept from customers: a hidden note, or written while no customer took part. */
export const hiddenFromCustomers = (message: { doNotReply: boolean; staffOnly?: boolean }) => message.doNotReply || message.staffOnly === true;

/** The messages the viewer may see, within a visible conversation. */
export function messageVisible(viewer: Viewer): SQL {
  return seesHiddenNotes(viewer) ? sql`TRUE` : sql`(m.do_not_reply = FALSE AND m.staff_only = FALSE)`;
}

/** messageVisible() for queries built on the `messages` table itself; undefined: every message. */
export function messageVisibleIn(viewer: Viewer): SQL | undefined {
  return seesHiddenNotes(viewer) ? undefined : and(eq(messages.doNotReply, false), eq(messages.staffOnly, false));
}

/**
 * Whether a message is written for staff alone because no customer takes part in its conversation
 * at that moment (staff talking among themselves). A customer added later never sees it. Read
 * inside the write transaction of the message; customers always take part where they write.
 */
export async function writtenForStaffOnly(db: Db, author: Viewer, conversationId: string): Promise<boolean> {
  if (author.role === 'customer') return false;
  const [row] = await prepareOnce(db, 'visibility.customer-takes-part', (db) =>
    db
      .select({
        customers: sql<number | boolean>`EXISTS (SELECT 1 FROM conversation_users cu JOIN users u ON u.id = cu.user_id
                                                 WHERE cu.conversation_id = ${sql.placeholder('conversationId')} AND cu.participant = TRUE AND u.role = 'customer')`,
      })
      .from(conversations)
      .where(eq(conversations.id, sql.placeholder('conversationId')))
      .prepare(),
  ).execute({ conversationId });
  return !row?.customers;
}

/**
 * The messages `m` the viewer may see anywhere: in its thread (a conversation they see), or on the
 * Status tab of an account they act in when it is a status update. Expects `c` and `cu` joined for `m`.
 */
export function messageReachable(viewer: Viewer): SQL {
  const onStatusTab = viewer.role === 'admin' ? sql`m.kind = 'status_update'` : sql`(m.kind = 'status_update' AND m.account_id IN ${accountList(viewer)})`;
  return sql`(${messageVisible(viewer)} AND (${conversationVisible(viewer)} OR ${onStatusTab}))`;
}

/** Message properties whose value names another message. */
export const messageReferenceKeys: readonly string[] = ['replyToId'];

/** Of the message ids `ids`, those the viewer may see (messageReachable): the references they may be shown. */
export async function reachableMessageIds(db: Db, viewer: Viewer, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const found = await rows<{ id: string }>(
    db,
    sql`
    SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
    LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
    WHERE m.id IN (SELECT value FROM ${dialectOf(db).jsonEach(sql`${JSON.stringify([...new Set(ids)])}`)}) AND ${messageReachable(viewer)}`,
  );
  return new Set(found.map((r) => r.id));
}

/** Whether the viewer may see the message with this seq (messageReachable): attachments sent with it. */
export async function seesMessageBySeq(db: Db, viewer: Viewer, seq: number): Promise<boolean> {
  const row = await firstRow(
    db,
    sql`
      SELECT 1 AS ok FROM messages m JOIN conversations c ON c.id = m.conversation_id
      LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
      WHERE m.seq = ${seq} AND ${messageReachable(viewer)}`,
  );
  return row !== undefined;
}

/**
 * The departures (`d`, "Priya Shah left") the viewer may see, within a visible conversation: staff all of them,
 * customers those since they joined it (as with messages, nothing from before a customer took part).
 */
export function departureVisible(viewer: Viewer): SQL {
  return seesHiddenNotes(viewer)
    ? sql`TRUE`
    : sql`d.at >= coalesce((SELECT joined_at FROM conversation_users WHERE conversation_id = d.conversation_id AND user_id = ${viewer.id}), '~')`;
}

/** The conversation column holding the seq of the newest message the viewer may see. */
export function lastVisibleSeq(viewer: Viewer): SQL {
  return seesHiddenNotes(viewer) ? sql.raw('c.last_seq') : sql.raw('c.last_public_seq');
}

/**
 * The seq of the message a list row shows (preview, author, time): in Sent the viewer's own last message (theirs,
 * so theirs to see), elsewhere the newest message they may see.
 */
export function shownSeq(viewer: Viewer, folder: 'inbox' | 'sent' | 'trash'): SQL {
  return folder === 'sent' ? sql.raw('cu.last_sent_seq') : lastVisibleSeq(viewer);
}

/**
 * The time of the last change the viewer may see. Staff: any change. Customers: the newest message they may see,
 * not the time of a hidden note (nor of the status change it caused). `shownAt` is that message's time when the
 * query has it at hand (a list row's `lm`, which in Sent is the viewer's own last message: Sent shows its time).
 */
export function visibleUpdatedAt(viewer: Viewer, folder: 'inbox' | 'sent' | 'trash', shownAt: SQL): SQL {
  return folder === 'sent' || !seesHiddenNotes(viewer) ? shownAt : sql.raw('c.updated_at');
}

/**
 * The topics (alias `t`) the viewer may be offered: those of every account (no account) and those of the
 * accounts they act in; with `accountId`, only those offered in that one account.
 */
export function topicVisible(viewer: Viewer, accountId?: string): SQL {
  if (accountId !== undefined) return sql`(t.account_id IS NULL OR t.account_id = ${accountId})`;
  if (viewer.role === 'admin' || viewer.accounts === '*') return sql`TRUE`;
  return sql`(t.account_id IS NULL OR t.account_id IN ${accountList(viewer)})`;
}

/** Whether a given user may see a message of a conversation (events, notifications, attachments). */
export function userSeesMessage(
  user: { id: string; role: string },
  membership: { participant: boolean; inAccount: boolean },
  message: { doNotReply: boolean; staffOnly?: boolean },
): boolean {
  if (user.role === 'admin') return true;
  if (user.role === 'staff') return membership.inAccount || membership.participant;
  if (user.role === 'customer') return membership.participant && membership.inAccount && !hiddenFromCustomers(message);
  return false;
}

/**
 * SQL condition on a conversation_users row (alias `cu`) of the conversation a new message was
 * written to: whether that user may see the message. The same rule as userSeesMessage for users
 * who already hold a row (participants, readers): messages hidden from customers (DoNotReply notes,
 * staff-only messages, hiddenFromCustomers) only for staff and admins. Used to bring a trashed
 * conversation back to the Inbox of the users a new message reaches.
 */
export function rowUserSeesNewMessage(message: { hidden: boolean }, userId: SQL | typeof conversationUsers.userId = sql`cu.user_id`): SQL {
  return message.hidden ? sql`(SELECT role FROM users WHERE id = ${userId}) <> 'customer'` : sql`TRUE`;
}

// ------------------------------------------------------------------ ratings and "seen"
/**
 * Ratings (domain/ratings.ts) are staff data: staff and admins see every rating of a conversation they see, a
 * customer only the one they gave, never another customer's (nor a summary), on any channel.
 */
export function ratingVisible(viewer: Viewer): SQL | undefined {
  return seesAllRatings(viewer) ? undefined : eq(ratings.userId, viewer.id);
}

/** Staff and admins: every rating of what they see, and the summaries of the accounts they act in. */
export const seesAllRatings = (viewer: Viewer) => seesHiddenNotes(viewer);

/** Who may rate a conversation they see: its customers. */
export const mayRate = (viewer: Viewer) => viewer.role === 'customer';

/** Who hears of a change only staff may see (a rating): those of a conversation's audience who see hidden notes. */
export const receivesStaffOnlyNews = (user: { id: string; role: string }, membership: { participant: boolean; inAccount: boolean }) =>
  user.role !== 'customer' && userSeesMessage(user, membership, { doNotReply: true });

/**
 * The messages "seen" (domain/seen.ts) is about, on one side of a conversation: those customers wrote, or those staff
 * wrote that customers may see. Only messages every customer of the conversation may see count, so a hidden note never
 * moves "seen" nor the time it shows; acknowledgements are the server's, on neither side.
 */
export function sideMessages(side: 'customer' | 'staff'): SQL {
  return and(
    eq(messages.doNotReply, false),
    eq(messages.staffOnly, false),
    ne(messages.kind, 'acknowledgement'),
    side === 'customer' ? eq(users.role, 'customer') : ne(users.role, 'customer'),
  )!;
}

/** Whether a customer's "seen" may name the staff member who read, or only the team (the account's setting). */
export const seenNamesReader = (viewer: Viewer, accountShowsReaderNames: boolean) => viewer.role !== 'customer' || accountShowsReaderNames;

// ------------------------------------------------------------------ saved replies, mentions, "is writing"
/**
 * Saved replies (domain/saved-replies.ts), mentions (domain/mentions.ts) and "is writing" (domain/typing.ts) are staff
 * tools: customers get none of them, on any channel.
 */
export const usesStaffTools = (viewer: Viewer) => seesHiddenNotes(viewer);

/**
 * The saved replies the viewer may see: the shared ones (no account) and those of the accounts they act in (admins:
 * all); with `accountId`, an account they act in, only that account's and the shared ones. Undefined: every reply.
 */
export function savedReplyVisible(viewer: Viewer, accountId?: string): SQL | undefined {
  if (accountId !== undefined) return or(isNull(savedReplies.accountId), eq(savedReplies.accountId, accountId));
  if (viewer.role === 'admin' || viewer.accounts === '*') return undefined;
  return viewer.accounts.length ? or(isNull(savedReplies.accountId), inArray(savedReplies.accountId, viewer.accounts)) : isNull(savedReplies.accountId);
}

/** Whether the viewer sees one saved reply of `accountId` (null: shared): savedReplyVisible for one row. */
export const seesSavedReply = (viewer: Viewer, accountId: string | null) => usesStaffTools(viewer) && (accountId === null || actsIn(viewer, accountId));

/**
 * Who may create, change or delete a saved reply: staff and admins, those of the accounts they act in; the shared ones
 * speak for every account, so only admins manage them (staff use them).
 */
export const managesSavedReply = (viewer: Viewer, accountId: string | null) =>
  accountId === null ? viewer.role === 'admin' : usesStaffTools(viewer) && actsIn(viewer, accountId);

/**
 * The users (`users` joined to `memberships`) a hidden note in an account may mention: its staff, as the directory lists
 * them (members of the account whose role is staff or admin). Customers never.
 */
export function mentionable(accountId: string): SQL {
  return and(eq(memberships.accountId, accountId), inArray(users.role, ['staff', 'admin']))!;
}

/** Mentions go only on messages customers never see: hidden notes (DoNotReply). */
export const carriesMentions = (message: { doNotReply: boolean }) => message.doNotReply;

/** Who is told that someone is writing in a conversation: those of its audience who see hidden notes. */
export const receivesTyping = receivesStaffOnlyNews;

// ------------------------------------------------------------------ search scope
/**
 * The messages a search by the viewer may find (search/terms.ts), or null for admins: every message.
 * `participations` are conversation ids outside the viewer's accounts that they take part in (staff).
 * Each store keeps what this needs in its index with every message (store/sqlite/search.ts).
 */
export function searchScope(viewer: Viewer, participations: string[] = []): SearchScope {
  if (viewer.role === 'admin') return null;
  return {
    accounts: viewer.accounts === '*' ? [] : viewer.accounts,
    conversations: viewer.role === 'staff' ? participations : [],
    publicOnly: viewer.role === 'customer',
  };
}

// ------------------------------------------------------------------ single conversation
export interface VisibleConversationRow {
  id: string;
  accountId: string;
  subject: string;
  status: 'open' | 'attentive' | 'answered' | 'resolved';
  assigneeId: string | null;
  topicId: string | null;
  contextKind: string | null;
  contextRef: string | null;
  contextTitle: string | null;
  contextUrl: string | null;
  createdAt: string;
  updatedAt: string;
  lastSeq: number;
  lastPublicSeq: number;
  participant: boolean | null;
  hasLeft: boolean | null;
  trashed: boolean | null;
  lastReadSeq: number | null;
  forcedUnread: boolean | null;
}

/** conversationVisible() for one conversation already read: the same rule. */
function seesConversation(viewer: Viewer, row: { accountId: string; participant: boolean | null }): boolean {
  const inAccount = viewer.accounts !== '*' && viewer.accounts.includes(row.accountId);
  switch (viewer.role) {
    case 'admin':
      return true;
    case 'staff':
      return inAccount || row.participant === true;
    case 'customer':
      return row.participant === true && inAccount;
    default:
      return false;
  }
}

/**
 * The conversation `id` with the viewer's row of it (`viewerId`), prepared once per kind of viewer
 * (hidden notes or not), whatever their accounts: who may see it is decided by seesConversation().
 */
function conversationRow(db: Db, staff: boolean) {
  return prepareOnce(db, staff ? 'visibility.conversation.staff' : 'visibility.conversation.customer', (db) => {
    const c = conversations;
    const cu = conversationUsers;
    // To a customer a conversation begins with its first message they may see: the first message of the
    // conversation, unless staff wrote it among themselves before the customer was added; until such a
    // message exists, with the last change they may see (their being added). It was last updated at their
    // newest visible message, never at a hidden note.
    const createdAt = staff
      ? sql<string>`${c.createdAt}`
      : sql<string>`coalesce((SELECT m.created_at FROM messages m WHERE m.conversation_id = ${c.id} AND m.do_not_reply = FALSE AND m.staff_only = FALSE
                              ORDER BY m.seq LIMIT 1), ${c.publicUpdatedAt})`;
    const updatedAt = staff
      ? sql<string>`${c.updatedAt}`
      : sql<string>`coalesce((SELECT lv.created_at FROM messages lv WHERE lv.seq = ${c.lastPublicSeq}), ${c.publicUpdatedAt})`;
    return db
      .select({
        id: c.id,
        accountId: c.accountId,
        subject: c.subject,
        status: c.status,
        assigneeId: c.assigneeId,
        topicId: c.topicId,
        contextKind: c.contextKind,
        contextRef: c.contextRef,
        contextTitle: c.contextTitle,
        contextUrl: c.contextUrl,
        createdAt,
        updatedAt,
        lastSeq: c.lastSeq,
        lastPublicSeq: c.lastPublicSeq,
        participant: cu.participant,
        hasLeft: cu.hasLeft,
        trashed: cu.trashed,
        lastReadSeq: cu.lastReadSeq,
        forcedUnread: cu.forcedUnread,
      })
      .from(c)
      .leftJoin(cu, and(eq(cu.conversationId, c.id), eq(cu.userId, sql.placeholder('viewerId'))))
      .where(eq(c.id, sql.placeholder('id')))
      .prepare();
  });
}

/**
 * Loads a conversation the viewer may see, or throws the same 404 for unknown and foreign ids.
 * A foreign id is recorded in the audit log as a denied access.
 */
export async function loadVisibleConversation(db: Db, viewer: Viewer, id: string, action = 'conversation.read'): Promise<VisibleConversationRow> {
  // Who may see the row is decided below, by the rule conversationVisible() states in SQL for lists.
  const [row]: (VisibleConversationRow | undefined)[] = await conversationRow(db, seesHiddenNotes(viewer)).execute({ viewerId: viewer.id, id });
  if (!row) throw notFound();
  if (!seesConversation(viewer, row)) {
    await audit(db, { actorId: viewer.id, action, outcome: 'denied', targetType: 'conversation', targetId: id });
    throw notFound();
  }
  return row;
}
