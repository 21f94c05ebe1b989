/**
 * Writes events to the per-user durable log, inside the transaction of the change that caused them,
 * and wakes the connected streams after commit (on PostgreSQL, those of every instance). Who receives an event is decided here with
 * domain/visibility.ts `userSeesMessage`, once per user, at write time.
 */
import type { EventData, EventType } from '@secure-inbox/protocol';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { afterCommit, dialectOf, homeOf } from '../store/runtime.js';
import { appendEventRows, type NewEvent } from '../store/events.js';
import { conversations, conversationUsers, users } from '../store/sqlite/schema.js';
import { nowIso } from '../domain/ids.js';
import { noteUserChanges } from '../domain/change-versions.js';
import { userSeesMessage } from '../domain/visibility.js';
import { inCluster } from '../store/postgres/cluster/instance.js';
import { prepareOnce } from '../store/prepared.js';
import { eventBus } from './bus.js';

export interface AudienceMember {
  id: string;
  role: string;
  email: string | null;
  participant: boolean;
  inAccount: boolean;
}

/** A conversation's audience with its assignee: what a new message's events and notices are decided from. */
export interface Audience {
  assigneeId: string | null;
  members: AudienceMember[];
}

const ADMIN_CACHE_MS = 2000;
const adminCache = new WeakMap<object, { at: number; ids: string[] }>();

/**
 * Admins see every conversation. `users.role` has no index, so the list is cached briefly per
 * database instead of scanning the users table on every message.
 */
async function adminIds(db: Db): Promise<string[]> {
  const cached = adminCache.get(homeOf(db));
  const now = Date.now();
  if (cached && now - cached.at < ADMIN_CACHE_MS) return cached.ids;
  const ids = (await db.select({ id: users.id }).from(users).where(eq(users.role, 'admin'))).map((r) => r.id);
  adminCache.set(homeOf(db), { at: now, ids });
  return ids;
}

const p = sql.placeholder;

/** The statements of every message's audience, prepared once per connection. */
function audienceQueries(db: Db) {
  return prepareOnce(db, 'fanout.audience', (db) => ({
    conversation: db
      .select({ accountId: conversations.accountId, assigneeId: conversations.assigneeId })
      .from(conversations)
      .where(eq(conversations.id, p('conversationId')))
      .prepare(),
    // Its participants, the members of its account and the admins, with what decides what they may see.
    members: db
      .select({
        id: users.id,
        role: users.role,
        email: users.email,
        participant: sql<number | boolean>`coalesce(${conversationUsers.participant}, FALSE)`,
        inAccount: sql<number | boolean>`EXISTS (SELECT 1 FROM memberships ms WHERE ms.user_id = ${users.id} AND ms.account_id = ${p('accountId')})`,
      })
      .from(users)
      .leftJoin(conversationUsers, and(eq(conversationUsers.conversationId, p('conversationId')), eq(conversationUsers.userId, users.id)))
      .where(
        sql`${users.id} IN (
          SELECT user_id FROM conversation_users WHERE conversation_id = ${p('conversationId')} AND participant = TRUE
          UNION SELECT user_id FROM memberships WHERE account_id = ${p('accountId')}
          UNION SELECT value FROM ${dialectOf(db).jsonEach(sql`${p('admins')}`)})`,
      )
      .prepare(),
  }));
}

/** Everyone who might see the conversation: its participants, the members of its account, the admins. */
export async function conversationAudience(db: Db, conversationId: string): Promise<AudienceMember[]> {
  return (await messageAudience(db, conversationId)).members;
}

/**
 * The conversation's audience and assignee, read once for a new message's events and notices (notify/effects.ts).
 * `known`: the conversation's account and assignee when the caller has just read them in its transaction (a send
 * returns them from the statement that moves the conversation's pointers), saving a read of the row.
 */
export async function messageAudience(db: Db, conversationId: string, known?: { accountId: string; assigneeId: string | null }): Promise<Audience> {
  const queries = audienceQueries(db);
  const [conversation] = known ? [known] : await queries.conversation.execute({ conversationId });
  if (!conversation) return { assigneeId: null, members: [] };
  const rows = await queries.members.execute({ conversationId, accountId: conversation.accountId, admins: JSON.stringify(await adminIds(db)) });
  return {
    assigneeId: conversation.assigneeId,
    members: rows.map(({ id, role, email, participant, inAccount }) => ({ id, role, email, participant: Boolean(participant), inAccount: Boolean(inAccount) })),
  };
}

/** Appends one event per user and wakes their streams after commit. */
export async function appendEvents(db: Db, userIds: Iterable<string>, type: EventType, data: EventData): Promise<void> {
  await appendEventGroups(db, [{ userIds, type, data }]);
}

/**
 * Appends the events of several groups (each: one event per user) in one statement, in order, and
 * wakes the users' streams after commit.
 */
async function appendEventGroups(db: Db, groups: { userIds: Iterable<string>; type: EventType; data: EventData }[]): Promise<void> {
  const rows: NewEvent[] = [];
  const users = new Set<string>();
  for (const group of groups) {
    const data = JSON.stringify(group.data);
    for (const userId of new Set(group.userIds)) {
      rows.push({ userId, type: group.type, data });
      users.add(userId);
    }
  }
  if (rows.length === 0) return;
  await appendEventRows(db, rows, nowIso());
  const ids = [...users];
  // Kept pages expire and streams read the new events once they are committed, never before. With a wake listener
  // (PostgreSQL, store/postgres/cluster/instance.ts) the commit's notification wakes the streams of every instance,
  // this one's included, and only it: a second wake from here would cost each stream a read that finds nothing new.
  // The versions move here all the same, before the writer is answered, so that it reads its own write at once.
  afterCommit(db, () => {
    noteUserChanges(db, ids);
    if (!inCluster(db)) eventBus(db).wake(ids);
  });
}

/** A message was written: `message.created` to everyone who may see it, `unread.changed` to all of them but the author. */
export async function messageEvents(
  db: Db,
  message: { id: string; conversationId: string; authorId: string; doNotReply: boolean; staffOnly?: boolean },
  audience?: Audience,
): Promise<void> {
  const seeing = (audience ?? (await messageAudience(db, message.conversationId))).members.filter((u) => userSeesMessage(u, u, message)).map((u) => u.id);
  await appendEventGroups(db, [
    { userIds: seeing, type: 'message.created', data: { conversationId: message.conversationId, messageId: message.id } },
    { userIds: seeing.filter((id) => id !== message.authorId), type: 'unread.changed', data: { conversationId: message.conversationId } },
  ]);
}

export type ConversationChange = 'status' | 'assignee' | 'participants' | 'left';

/**
 * A change to the conversation itself (status, assignee, participants) that every viewer may see:
 * `conversation.updated` to everyone who sees the conversation. `alsoUnreadFor` names users whose
 * inbox count changed with it (new participants).
 */
export async function conversationUpdated(db: Db, conversationId: string, alsoUnreadFor: string[] = []): Promise<void> {
  const seeing = (await conversationAudience(db, conversationId)).filter((u) => userSeesMessage(u, u, { doNotReply: false })).map((u) => u.id);
  await appendEvents(db, seeing, 'conversation.updated', { conversationId });
  const unread = alsoUnreadFor.filter((id) => seeing.includes(id));
  if (unread.length) await appendEvents(db, unread, 'unread.changed', { conversationId });
}

/** The caller's own per-user state changed (read, unread, trash, restore, leave): their unread count may have moved. */
export async function userStateChanged(db: Db, userId: string, conversationId: string): Promise<void> {
  await appendEvents(db, [userId], 'unread.changed', { conversationId });
}
