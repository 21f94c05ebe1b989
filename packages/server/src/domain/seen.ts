/**
 * "Seen": when the other side of a conversation first read the latest message of one's own side. Customers see when
 * the account's staff read the newest customer message (the team's name, a staff member's only when the account allows
 * it); staff see when a customer read the newest staff message customers may see.
 *
 * Derived from reads (`POST /conversations/:id/read`): a read records, per conversation and side, the newest message
 * of the other side it covered and when, moving only forward. Which messages count is decided by visibility.ts
 * (`sideMessages`): a hidden note counts on neither side, so reading or writing one never moves "seen" nor its time.
 */
import type { AccountSettings, Seen } from '@secure-inbox/protocol';
import { and, eq, lt, max } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { transaction } from '../store/runtime.js';
import { accounts, accountSettings, messages, seenMarks, users } from '../store/sqlite/schema.js';
import { forbidden, notFound } from '../errors.js';
import { audit } from './audit.js';
import { nowIso } from './ids.js';
import { appendEvents, conversationAudience, type AudienceMember } from '../realtime/fanout.js';
import { actsIn, receivesStaffOnlyNews, seenNamesReader, sideMessages, userSeesMessage, type Viewer } from './visibility.js';

type Side = 'customer' | 'staff';
const sideOf = (viewer: Viewer): Side => (viewer.role === 'customer' ? 'customer' : 'staff');
const other = (side: Side): Side => (side === 'customer' ? 'staff' : 'customer');

/** The seq of the newest message written by `side` that counts for "seen", or null. */
async function newestOf(db: Db, conversationId: string, side: Side): Promise<number | null> {
  const [row] = await db
    .select({ seq: max(messages.seq) })
    .from(messages)
    .innerJoin(users, eq(users.id, messages.authorId))
    .where(and(eq(messages.conversationId, conversationId), sideMessages(side)));
  return row?.seq ?? null;
}

/** After the viewer read a conversation they see: their side has now seen the other side's newest message. */
export async function recordSeen(db: Db, viewer: Viewer, conversationId: string): Promise<void> {
  const side = sideOf(viewer);
  const seq = await newestOf(db, conversationId, other(side));
  if (seq === null) return;
  const at = nowIso();
  await transaction(db, async (tx) => {
    const moved = await tx
      .insert(seenMarks)
      .values({ conversationId, side, messageSeq: seq, readerId: viewer.id, at })
      .onConflictDoUpdate({
        target: [seenMarks.conversationId, seenMarks.side],
        set: { messageSeq: seq, readerId: viewer.id, at },
        setWhere: lt(seenMarks.messageSeq, seq),
      })
      .returning({ at: seenMarks.at });
    if (moved.length === 0) return;
    // The other side's open views show "seen" once it is committed; a read that moves nothing tells nobody anything.
    const audience = (await conversationAudience(tx, conversationId)).filter((u) => u.id !== viewer.id && hearsOfSeen(u, other(side)));
    await appendEvents(
      tx,
      audience.map((u) => u.id),
      'conversation.updated',
      { conversationId },
    );
  });
}

/** Who is told that `side`'s latest message was seen: the customers taking part, or the staff who see the conversation. */
const hearsOfSeen = (user: AudienceMember, side: Side) =>
  side === 'customer' ? user.role === 'customer' && userSeesMessage(user, user, { doNotReply: false }) : receivesStaffOnlyNews(user, user);

/** When the other side read the newest message of the viewer's side, or null while they have not. */
export async function seenFor(db: Db, viewer: Viewer, conversation: { id: string; accountId: string }): Promise<Seen | null> {
  const side = sideOf(viewer);
  const seq = await newestOf(db, conversation.id, side);
  if (seq === null) return null;
  const [mark] = await db
    .select({ messageSeq: seenMarks.messageSeq, at: seenMarks.at, reader: users.name })
    .from(seenMarks)
    .innerJoin(users, eq(users.id, seenMarks.readerId))
    .where(and(eq(seenMarks.conversationId, conversation.id), eq(seenMarks.side, other(side))));
  if (!mark || mark.messageSeq < seq) return null;
  const [message] = await db.select({ id: messages.id }).from(messages).where(eq(messages.seq, seq));
  if (!message) return null;
  const [account] = await db
    .select({ name: accounts.name, showReaderNames: accountSettings.showReaderNames })
    .from(accounts)
    .leftJoin(accountSettings, eq(accountSettings.accountId, accounts.id))
    .where(eq(accounts.id, conversation.accountId));
  const named = seenNamesReader(viewer, account?.showReaderNames ?? false);
  return { messageId: message.id, at: mark.at, by: named ? { name: mark.reader, team: false } : { name: account?.name ?? conversation.accountId, team: true } };
}

// ------------------------------------------------------------------ the account's setting
/**
 * An account's settings, for its staff and admins. An account the caller does not act in answers as an unknown one
 * (404); a customer of it gets 403.
 */
async function settingsAccount(db: Db, viewer: Viewer, accountId: string, action: string): Promise<void> {
  const [account] = actsIn(viewer, accountId) ? await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)) : [];
  if (!account) {
    await audit(db, { actorId: viewer.id, action, outcome: 'denied', targetType: 'account', targetId: accountId });
    throw notFound('account');
  }
  if (viewer.role === 'customer') {
    await audit(db, { actorId: viewer.id, action, outcome: 'denied', targetType: 'account', targetId: accountId });
    throw forbidden("Only staff and admins read or change an account's settings.");
  }
}

export async function accountSettingsOf(db: Db, viewer: Viewer, accountId: string): Promise<AccountSettings> {
  await settingsAccount(db, viewer, accountId, 'account_settings.read');
  const [row] = await db.select({ showReaderNames: accountSettings.showReaderNames }).from(accountSettings).where(eq(accountSettings.accountId, accountId));
  return { accountId, showReaderNames: row?.showReaderNames ?? false };
}

/** Whether customers' "seen" names the staff member who read: a choice about staff, so admins make it. */
export async function patchAccountSettings(db: Db, viewer: Viewer, accountId: string, input: { showReaderNames: boolean }): Promise<AccountSettings> {
  await settingsAccount(db, viewer, accountId, 'account_settings.update');
  if (viewer.role !== 'admin') {
    await audit(db, { actorId: viewer.id, action: 'account_settings.update', outcome: 'denied', targetType: 'account', targetId: accountId });
    throw forbidden("Only admins change an account's settings.");
  }
  await transaction(db, async (tx) => {
    await tx
      .insert(accountSettings)
      .values({ accountId, showReaderNames: input.showReaderNames })
      .onConflictDoUpdate({ target: accountSettings.accountId, set: { showReaderNames: input.showReaderNames } });
    await audit(tx, { actorId: viewer.id, action: 'account_settings.update', outcome: 'ok', targetType: 'account', targetId: accountId, detail: input });
  });
  return accountSettingsOf(db, viewer, accountId);
}
