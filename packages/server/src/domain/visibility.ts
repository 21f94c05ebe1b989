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
import { createHash } from 'node:crypto';
import { and, eq, ne, sql, type SQL } from 'drizzle-orm';
import type { Identity } from '../auth/token.js';
import { cachedAll, cachedGet, prepared } from '../db/cached.js';
import type { Db } from '../db/client.js';
import { messages, ratings, users } from '../db/schema.js';
import { notFound } from '../errors.js';
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
      return sql`1 = 1`;
    case 'staff':
      return sql`(c.account_id IN ${accountList(viewer)} OR cu.participant = 1)`;
    case 'customer':
      return sql`(cu.participant = 1 AND c.account_id IN ${accountList(viewer)})`;
    default:
      return sql`1 = 0`;
  }
}

/** Whether a message is kept from customers: a hidden note, or written while no customer took part. */
export const hiddenFromCustomers = (message: { doNotReply: boolean; staffOnly?: boolean }) => message.doNotReply || message.staffOnly === true;

/** The messages the viewer may see, within a visible conversation. */
export function messageVisible(viewer: Viewer): SQL {
  return seesHiddenNotes(viewer) ? sql`1 = 1` : sql`(m.do_not_reply = 0 AND m.staff_only = 0)`;
}

/**
 * Whether a message is written for staff alone because no customer takes part in its conversation
 * at that moment (staff talking among themselves). A customer added later never sees it. Read
 * inside the write transaction of the message; customers always take part where they write.
 */
export function writtenForStaffOnly(db: Db, author: Viewer, conversationId: string): boolean {
  if (author.role === 'customer') return false;
  const row = prepared(db, `SELECT EXISTS (SELECT 1 FROM conversation_users cu JOIN users u ON u.id = cu.user_id
                                           WHERE cu.conversation_id = ? AND cu.participant = 1 AND u.role = 'customer') AS customers`).get(conversationId) as { customers: number };
  return row.customers === 0;
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
export function reachableMessageIds(db: Db, viewer: Viewer, ids: string[]): Set<string> {
  if (ids.length === 0) return new Set();
  const rows = cachedAll<{ id: string }>(db, sql`
    SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
    LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
    WHERE m.id IN (SELECT value FROM json_each(${JSON.stringify([...new Set(ids)])})) AND ${messageReachable(viewer)}`);
  return new Set(rows.map((r) => r.id));
}

/** Whether the viewer may see the message with this seq (messageReachable): attachments sent with it. */
export function seesMessageBySeq(db: Db, viewer: Viewer, seq: number): boolean {
  return (
    cachedGet(db, sql`
      SELECT 1 AS ok FROM messages m JOIN conversations c ON c.id = m.conversation_id
      LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
      WHERE m.seq = ${seq} AND ${messageReachable(viewer)}`) !== undefined
  );
}

/**
 * The departures (`d`, "Priya Shah left") the viewer may see, within a visible conversation: staff all of them,
 * customers those since they joined it (as with messages, nothing from before a customer took part).
 */
export function departureVisible(viewer: Viewer): SQL {
  return seesHiddenNotes(viewer)
    ? sql`1 = 1`
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

/** The time of a customer's last visible activity: their newest visible message's, never a hidden note's. */
const CUSTOMER_UPDATED_AT = '(SELECT lv.created_at FROM messages lv WHERE lv.seq = c.last_public_seq)';

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
  if (viewer.role === 'admin' || viewer.accounts === '*') return sql`1 = 1`;
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
export function rowUserSeesNewMessage(message: { hidden: boolean }): string {
  return message.hidden ? `(SELECT role FROM users WHERE id = cu.user_id) <> 'customer'` : '1 = 1';
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

// ------------------------------------------------------------------ search scope
/** Tokens already hashed: every message written and every search names some, mostly the same few. */
const hashed = new Map<string, string>();
const HASHED_KEPT = 10_000;

function token(prefix: string, value: string): string {
  const key = prefix + value;
  let known = hashed.get(key);
  if (known === undefined) {
    if (hashed.size >= HASHED_KEPT) hashed.clear();
    known = prefix + createHash('sha256').update(value).digest('hex').slice(0, 24);
    hashed.set(key, known);
  }
  return known;
}
export const accountToken = (accountId: string) => token('a', accountId);
export const conversationToken = (conversationId: string) => token('c', conversationId);
const PUBLIC_TOKEN = 'vpublic';
const HIDDEN_TOKEN = 'vhidden';

/** The scope tokens stored with a message in the search index. */
export function searchScopeTokens(conversation: { id: string; accountId: string }, message: { doNotReply: boolean; staffOnly?: boolean }): string {
  return [accountToken(conversation.accountId), conversationToken(conversation.id), hiddenFromCustomers(message) ? HIDDEN_TOKEN : PUBLIC_TOKEN].join(' ');
}

/**
 * The part of an FTS5 query that limits matches to rows the viewer may see, or null for admins.
 * `participations` are conversation ids outside the viewer's accounts that they take part in (staff).
 */
export function searchScope(viewer: Viewer, participations: string[] = []): string | null {
  if (viewer.role === 'admin') return null;
  const accountsPart = viewer.accounts === '*' ? [] : viewer.accounts.map(accountToken);
  const reach = [...accountsPart, ...(viewer.role === 'staff' ? participations.map(conversationToken) : [])];
  if (reach.length === 0) return `scope : ${HIDDEN_TOKEN} AND scope : ${PUBLIC_TOKEN}`; // matches nothing
  const reachQuery = `scope : (${reach.join(' OR ')})`;
  // Every row carries exactly one of the two visibility tokens, so "not hidden" is "public"; FTS5
  // evaluates NOT against the short hidden list much faster than AND against the long public one.
  return viewer.role === 'customer' ? `${reachQuery} NOT scope : ${HIDDEN_TOKEN}` : reachQuery;
}

/**
 * The search scope of a batch of conversations the caller has already found visible with
 * conversationVisible(): their own tokens, and for customers only messages they may see.
 */
export function searchScopeOf(viewer: Viewer, visibleConversationIds: string[]): string {
  if (visibleConversationIds.length === 0) return `scope : ${HIDDEN_TOKEN} AND scope : ${PUBLIC_TOKEN}`; // matches nothing
  const reachQuery = `scope : (${visibleConversationIds.map(conversationToken).join(' OR ')})`;
  return seesHiddenNotes(viewer) ? reachQuery : `${reachQuery} NOT scope : ${HIDDEN_TOKEN}`;
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
  participant: number | null;
  left: number | null;
  trashed: number | null;
  lastReadSeq: number | null;
  forcedUnread: number | null;
}

/** conversationVisible() for one conversation already read: the same rule. */
function seesConversation(viewer: Viewer, row: { accountId: string; participant: number | null }): boolean {
  const inAccount = viewer.accounts !== '*' && viewer.accounts.includes(row.accountId);
  switch (viewer.role) {
    case 'admin':
      return true;
    case 'staff':
      return inAccount || row.participant === 1;
    case 'customer':
      return row.participant === 1 && inAccount;
    default:
      return false;
  }
}

const conversationRow = (createdAt: string, updatedAt: string) => `
  SELECT c.id, c.account_id AS accountId, c.subject, c.status, c.assignee_id AS assigneeId, c.topic_id AS topicId,
         c.context_kind AS contextKind, c.context_ref AS contextRef, c.context_title AS contextTitle, c.context_url AS contextUrl,
         ${createdAt} AS createdAt, ${updatedAt} AS updatedAt, c.last_seq AS lastSeq, c.last_public_seq AS lastPublicSeq,
         cu.participant, cu.left, cu.trashed, cu.last_read_seq AS lastReadSeq, cu.forced_unread AS forcedUnread
  FROM conversations c
  LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ?
  WHERE c.id = ?`;
const STAFF_CONVERSATION = conversationRow('c.created_at', 'c.updated_at');
// To a customer a conversation begins with its first message they may see: the first message of the
// conversation, unless staff wrote it among themselves before the customer was added; until such a
// message exists, with the last change they may see (their being added). It was last updated at their
// newest visible message, never at a hidden note.
const CUSTOMER_CONVERSATION = conversationRow(
  `coalesce((SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id AND m.do_not_reply = 0 AND m.staff_only = 0
             ORDER BY m.seq LIMIT 1), c.public_updated_at)`,
  `coalesce(${CUSTOMER_UPDATED_AT}, c.public_updated_at)`,
);

/**
 * Loads a conversation the viewer may see, or throws the same 404 for unknown and foreign ids.
 * A foreign id is recorded in the audit log as a denied access.
 */
export function loadVisibleConversation(db: Db, viewer: Viewer, id: string, action = 'conversation.read'): VisibleConversationRow {
  // One prepared statement per kind of viewer (hidden notes or not), whatever their accounts: who
  // may see the row is decided below, by the rule conversationVisible() states in SQL for lists.
  const row = prepared(db, seesHiddenNotes(viewer) ? STAFF_CONVERSATION : CUSTOMER_CONVERSATION).get(viewer.id, id) as VisibleConversationRow | undefined;
  if (!row) throw notFound();
  if (!seesConversation(viewer, row)) {
    audit(db, { actorId: viewer.id, action, outcome: 'denied', targetType: 'conversation', targetId: id });
    throw notFound();
  }
  return row;
}
