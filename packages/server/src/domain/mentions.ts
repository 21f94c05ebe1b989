/**
 * @mentions in hidden notes: a note names staff of its conversation's account by id (`mentions`), and each of them is
 * told (notify/outbox.ts, reason `mention`). Mentions exist only on hidden notes, which customers never see, so they
 * reach no customer on any channel. Who may be mentioned, and who sees mentions, is decided in ./visibility.ts
 * (`mentionable`, `carriesMentions`, `usesStaffTools`).
 */
import type { Message } from '@secure-inbox/protocol';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { memberships, messageMentions, messages, users } from '../store/sqlite/schema.js';
import { ApiError, invalid } from '../errors.js';
import { userRef } from './users.js';
import { carriesMentions, mentionable, usesStaffTools, type Viewer } from './visibility.js';

/**
 * The ids a new message mentions, each once, in the order given; refuses (422 on `mentions`) mentions on a message
 * customers may see and anyone who is not staff of the account. Runs inside the message's write transaction.
 */
export async function checkMentions(db: Db, accountId: string, message: { doNotReply: boolean }, ids: string[] | undefined): Promise<string[]> {
  if (ids === undefined) return [];
  if (!carriesMentions(message)) throw invalid('mentions', 'go only with a hidden note: the actions internal_note and resolve');
  const wanted = [...new Set(ids)];
  const staff = new Set(
    (
      await db
        .select({ id: users.id })
        .from(users)
        .innerJoin(memberships, eq(memberships.userId, users.id))
        .where(and(inArray(users.id, wanted), mentionable(accountId)))
    ).map((row) => row.id),
  );
  const refused = wanted.filter((id) => !staff.has(id));
  if (refused.length) {
    const message = `cannot mention ${refused.join(', ')}: only staff of account ${accountId} can be mentioned`;
    throw new ApiError(422, 'invalid', `mentions: ${message}.`, [{ field: 'mentions', message }]);
  }
  return wanted;
}

/** Stores a new message's mentions, in its write transaction (see checkMentions). */
export async function recordMentions(db: Db, messageSeq: number, ids: string[]): Promise<void> {
  if (ids.length) await db.insert(messageMentions).values(ids.map((userId, position) => ({ messageSeq, userId, position })));
}

/** The messages with the staff their notes mention (`mentions`), for a viewer who may see mentions; others get them as they are. */
export async function withMentions(db: Db, viewer: Viewer, list: Message[]): Promise<Message[]> {
  if (!usesStaffTools(viewer)) return list;
  const ids = list.filter(carriesMentions).map((m) => m.id);
  if (ids.length === 0) return list;
  const rows = await db
    .select({ messageId: messages.id, id: users.id, name: users.name, role: users.role, staffKind: users.staffKind })
    .from(messageMentions)
    .innerJoin(messages, eq(messages.seq, messageMentions.messageSeq))
    .innerJoin(users, eq(users.id, messageMentions.userId))
    .where(inArray(messages.id, ids))
    .orderBy(asc(messageMentions.messageSeq), asc(messageMentions.position));
  const byMessage = new Map<string, Message['mentions']>();
  for (const { messageId, ...person } of rows) {
    const mentioned = byMessage.get(messageId) ?? [];
    mentioned.push(userRef(person));
    byMessage.set(messageId, mentioned);
  }
  return list.map((m) => (byMessage.has(m.id) ? { ...m, mentions: byMessage.get(m.id) } : m));
}
