/**
 * Visibility: the ONLY place that decides who sees what. Every read of conversations, messages,
 * previews, counts, search hits, events, notifications and attachments goes through these
 * predicates. Default deny: a viewer sees nothing unless a rule below grants it.
 *
 * - admin: every conversation and every message.
 * - staff: conversations of the accounts in their token, and any they currently participate in;
 *   every message in them, hidden notes included.
 * - customer: conversations they currently participate in AND whose account is in their token;
 *   only messages without DoNotReply. Ordering, previews, `updatedAt`, unread counts and search use
 *   only what the customer may see, so a hidden note leaves no trace (not even a changed timestamp).
 * - Status tab: status updates are account-wide news; every member of the account may read them.
 *
 * SQL fragments below expect the aliases `c` (conversations), `cu` (the viewer's conversation_users
 * row, LEFT JOINed) and `m` (messages).
 */
import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Identity } from '../auth/token.js';
import { prepared } from '../db/cached.js';
import type { Db } from '../db/client.js';
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

/** The messages the viewer may see, within a visible conversation. */
export function messageVisible(viewer: Viewer): SQL {
  return seesHiddenNotes(viewer) ? sql`1 = 1` : sql`m.do_not_reply = 0`;
}

/** The conversation column holding the seq of the newest message the viewer may see. */
export function lastVisibleSeq(viewer: Viewer): SQL {
  return seesHiddenNotes(viewer) ? sql.raw('c.last_seq') : sql.raw('c.last_public_seq');
}

/** The conversation column holding the time of the last change the viewer may see. */
export function visibleUpdatedAt(viewer: Viewer): SQL {
  return seesHiddenNotes(viewer) ? sql.raw('c.updated_at') : sql.raw('c.public_updated_at');
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
  message: { doNotReply: boolean },
): boolean {
  if (user.role === 'admin') return true;
  if (user.role === 'staff') return membership.inAccount || membership.participant;
  if (user.role === 'customer') return membership.participant && membership.inAccount && !message.doNotReply;
  return false;
}

/**
 * SQL condition on a conversation_users row (alias `cu`) of the conversation a new message was
 * written to: whether that user may see the message. The same rule as userSeesMessage for users
 * who already hold a row (participants, readers): hidden notes only for staff and admins. Used to
 * bring a trashed conversation back to the Inbox of the users a new message reaches.
 */
export function rowUserSeesNewMessage(message: { doNotReply: boolean }): string {
  return message.doNotReply ? `(SELECT role FROM users WHERE id = cu.user_id) <> 'customer'` : '1 = 1';
}

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
export function searchScopeTokens(conversation: { id: string; accountId: string }, message: { doNotReply: boolean }): string {
  return [accountToken(conversation.accountId), conversationToken(conversation.id), message.doNotReply ? HIDDEN_TOKEN : PUBLIC_TOKEN].join(' ');
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

const conversationRow = (updatedAt: string) => `
  SELECT c.id, c.account_id AS accountId, c.subject, c.status, c.assignee_id AS assigneeId, c.topic_id AS topicId,
         c.context_kind AS contextKind, c.context_ref AS contextRef, c.context_title AS contextTitle, c.context_url AS contextUrl,
         c.created_at AS createdAt, ${updatedAt} AS updatedAt, c.last_seq AS lastSeq, c.last_public_seq AS lastPublicSeq,
         cu.participant, cu.left, cu.trashed, cu.last_read_seq AS lastReadSeq, cu.forced_unread AS forcedUnread
  FROM conversations c
  LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ?
  WHERE c.id = ?`;
const STAFF_CONVERSATION = conversationRow('c.updated_at');
const CUSTOMER_CONVERSATION = conversationRow('c.public_updated_at');

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
