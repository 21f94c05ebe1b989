/**
 * The notifications outbox. Rows are written in the transaction of the message (or action) that
 * caused them, so a notice exists exactly when its cause was committed. The dedupe key, unique per
 * recipient, channel and cause, keeps the same notice from being queued twice.
 */
import type { Role } from '@secure-inbox/protocol';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { dialectOf, isPostgres } from '../store/runtime.js';
import { rows } from '../store/sql.js';
import { conversationUsers, notifications, users } from '../store/sqlite/schema.js';
import type { CreatedMessage } from '../domain/messages.js';
import { userSeesMessage } from '../domain/visibility.js';
import { appendEvents, messageAudience, type Audience } from '../realtime/fanout.js';
import { prepareOnce } from '../store/prepared.js';

export type NotifyReason = 'message' | 'question' | 'notify_admins' | 'mention';

export const reasonText: Record<NotifyReason, string> = {
  message: 'New message in a conversation you take part in',
  question: 'A customer is waiting for an answer',
  notify_admins: 'Administrators were asked to look at this conversation',
  mention: 'You were mentioned in an internal note',
};

interface Candidate {
  id: string;
  role: Role;
  email: string | null;
  participant: boolean;
  inAccount: boolean;
}

async function loadCandidates(db: Db, conversationId: string, accountId: string, userIds: string[]): Promise<Candidate[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .select({
      id: users.id,
      role: users.role,
      email: users.email,
      participant: sql<number | boolean>`coalesce(${conversationUsers.participant}, FALSE)`,
      inAccount: sql<number | boolean>`EXISTS (SELECT 1 FROM memberships ms WHERE ms.user_id = ${users.id} AND ms.account_id = ${accountId})`,
    })
    .from(users)
    .leftJoin(conversationUsers, and(eq(conversationUsers.conversationId, conversationId), eq(conversationUsers.userId, users.id)))
    .where(sql`${users.id} IN (SELECT value FROM ${dialectOf(db).jsonEach(sql`${JSON.stringify(userIds)}`)})`);
  return rows.map((r) => ({ ...r, participant: Boolean(r.participant), inAccount: Boolean(r.inAccount) }));
}

const allAdmins = async (db: Db) => (await db.select({ id: users.id }).from(users).where(eq(users.role, 'admin'))).map((r) => r.id);

/**
 * Who is told about a message:
 * - a customer's message: the assignee, or every staff member of the account when there is none;
 * - a staff or admin message: the other current participants (customers only when they may see it,
 *   so a hidden note never reaches one);
 * - with `notifyAdmins`: every admin as well;
 * - the staff a hidden note mentions (domain/mentions.ts), as a mention even when told for another reason. Never the author.
 *
 * Decided from the conversation's audience (realtime/fanout.ts), which the message's events are
 * decided from too; someone named above who is not in it (an assignee outside the account, an admin
 * newer than the audience's list of admins) is read on their own.
 */
export async function messageRecipients(db: Db, message: CreatedMessage, given?: Audience): Promise<{ user: Candidate; reason: NotifyReason }[]> {
  const audience = given ?? (await messageAudience(db, message.conversationId));
  const reasons = new Map<string, NotifyReason>();
  if (message.authorRole === 'customer') {
    const staff = audience.assigneeId ? [audience.assigneeId] : audience.members.filter((m) => m.role === 'staff' && m.inAccount).map((m) => m.id);
    for (const id of staff) reasons.set(id, 'question');
  } else {
    for (const m of audience.members) if (m.participant) reasons.set(m.id, 'message');
  }
  if (message.notifyAdmins) for (const id of await allAdmins(db)) if (!reasons.has(id)) reasons.set(id, 'notify_admins');
  for (const id of message.mentions ?? []) reasons.set(id, 'mention');
  reasons.delete(message.authorId);

  const members = new Map(audience.members.map((m) => [m.id, m]));
  const candidates: Candidate[] = [];
  const elsewhere: string[] = [];
  for (const id of reasons.keys()) {
    const m = members.get(id);
    if (m) candidates.push({ id: m.id, role: m.role as Role, email: m.email, participant: m.participant, inAccount: m.inAccount });
    else elsewhere.push(id);
  }
  candidates.push(...(await loadCandidates(db, message.conversationId, message.accountId, elsewhere)));
  return candidates.filter((user) => userSeesMessage(user, user, message)).map((user) => ({ user, reason: reasons.get(user.id)! }));
}

interface QueuedNotice {
  userId: string;
  /** The message's public id, for the live event (the row keeps its seq). */
  messageId?: string;
  channel: 'email' | 'in_app';
  reason: NotifyReason;
  conversationId: string;
  messageSeq: number | null;
  dedupeKey: string;
  createdAt: string;
  /** When the e-mail may go out: the end of the batching window. */
  notBefore: string;
}

/**
 * Inserts a notice unless its dedupe key exists. A new in-app notice is also a `notification.created` event in its
 * recipient's (and only their) event log, in the same transaction, so their notification centre updates live.
 */
async function insertNotice(db: Db, { messageId, ...n }: QueuedNotice): Promise<boolean> {
  const p = sql.placeholder;
  const [inserted] = await prepareOnce(db, 'outbox.insert', (db) =>
    db
      .insert(notifications)
      .values({
        userId: p('userId'),
        channel: p('channel'),
        reason: p('reason'),
        conversationId: p('conversationId'),
        messageSeq: p('messageSeq'),
        dedupeKey: p('dedupeKey'),
        status: 'pending',
        createdAt: p('createdAt'),
        nextAttemptAt: p('notBefore'),
      })
      .onConflictDoNothing({ target: notifications.dedupeKey })
      .returning({ id: notifications.id })
      .prepare(),
  ).execute(n);
  // No row back: the dedupe key was there already.
  if (!inserted) return false;
  if (n.channel === 'in_app') {
    const data = { conversationId: n.conversationId, notificationId: String(inserted.id), ...(messageId ? { messageId } : {}) };
    await appendEvents(db, [n.userId], 'notification.created', data);
  }
  return true;
}

/** The channels a user is told through: e-mail when they have an address; the notification centre for staff and admins. */
function channelsOf(user: { role: Role; email: string | null }): ('email' | 'in_app')[] {
  const channels: ('email' | 'in_app')[] = [];
  if (user.email) channels.push('email');
  if (user.role !== 'customer') channels.push('in_app');
  return channels;
}

/** Queues the notices a new message causes. Runs inside the message's write transaction. */
export async function enqueueMessageNotices(db: Db, message: CreatedMessage, batchSeconds: number, now = Date.now(), audience?: Audience): Promise<number> {
  const createdAt = new Date(now).toISOString();
  const notBefore = new Date(now + batchSeconds * 1000).toISOString();
  let queued = 0;
  const notices: QueuedNotice[] = [];
  for (const { user, reason } of await messageRecipients(db, message, audience)) {
    for (const channel of channelsOf(user)) {
      // The cause first: a new message's keys sort after the ones before, so the unique index takes
      // them on its last page (keyed by recipient first, every notice was a random page more).
      const key = `message:${message.seq}:${channel}:${user.id}`;
      const notice = {
        userId: user.id,
        messageId: message.id,
        channel,
        reason,
        conversationId: message.conversationId,
        messageSeq: message.seq,
        dedupeKey: key,
        createdAt,
        notBefore,
      };
      notices.push(notice);
    }
  }
  if (isPostgres(db) && notices.length > 1) return insertNoticesTogether(db, notices);
  for (const notice of notices) if (await insertNotice(db, notice)) queued++;
  return queued;
}

/**
 * `insertNotice` for each of `notices` (of one message), in one statement: on PostgreSQL each statement is a round
 * trip made inside the message's transaction, and a message to an account's staff queues four notices or more.
 * SQLite runs them one by one, each a prepared statement in its process.
 */
async function insertNoticesTogether(db: Db, notices: QueuedNotice[]): Promise<number> {
  const first = notices[0]!;
  const values = JSON.stringify(notices.map((n) => [n.userId, n.channel, n.reason, n.dedupeKey]));
  const inserted = await rows<{ id: number; dedupe_key: string }>(
    db,
    sql`INSERT INTO notifications (user_id, channel, reason, conversation_id, message_seq, dedupe_key, status, created_at, next_attempt_at)
        SELECT e.value->>0, e.value->>1, e.value->>2, ${first.conversationId}, ${first.messageSeq}, e.value->>3, 'pending', ${first.createdAt}, ${first.notBefore}
        FROM json_array_elements(${values}::json) WITH ORDINALITY AS e(value, n) ORDER BY e.n
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id, dedupe_key`,
  );
  const ids = new Map(inserted.map((row) => [row.dedupe_key, row.id]));
  for (const n of notices) {
    const id = ids.get(n.dedupeKey);
    if (id === undefined || n.channel !== 'in_app') continue;
    const data = { conversationId: n.conversationId, notificationId: String(id), ...(n.messageId ? { messageId: n.messageId } : {}) };
    await appendEvents(db, [n.userId], 'notification.created', data);
  }
  return inserted.length;
}

/**
 * "Notify all administrators" as a later action; returns how many admins were newly notified. Keyed by the conversation's newest message, so
 * asking twice about the same state queues one notice per admin, not two.
 */
export async function enqueueAdminNotices(
  db: Db,
  conversation: { id: string; lastSeq: number },
  requestedBy: string,
  batchSeconds: number,
  now = Date.now(),
): Promise<number> {
  const createdAt = new Date(now).toISOString();
  const notBefore = new Date(now + batchSeconds * 1000).toISOString();
  let queued = 0;
  const admins = await loadCandidates(
    db,
    conversation.id,
    '',
    (await allAdmins(db)).filter((id) => id !== requestedBy),
  );
  for (const user of admins) {
    let any = false;
    for (const channel of channelsOf(user)) {
      const key = `${channel}:${user.id}:notify_admins:${conversation.id}:${conversation.lastSeq}`;
      if (
        await insertNotice(db, {
          userId: user.id,
          channel,
          reason: 'notify_admins',
          conversationId: conversation.id,
          messageSeq: null,
          dedupeKey: key,
          createdAt,
          notBefore,
        })
      )
        any = true;
    }
    if (any) queued++;
  }
  return queued;
}

/** The link an e-mail points to: the portal page with `conversation=<id>` added, other query parameters kept. */
export function conversationLink(publicUrl: string, conversationId: string): string {
  const url = new URL(publicUrl);
  url.searchParams.set('conversation', conversationId);
  return url.toString();
}
