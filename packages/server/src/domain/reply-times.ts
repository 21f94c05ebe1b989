/**
 * Expected reply times: an account states how soon it usually answers, a topic may state its own in that account.
 * Staff and admins of the account set them; everyone acting in it reads them (the compose form shows them). A new
 * question in an account that states one gets an acknowledgement line in its thread, written with the question.
 */
import type { PutReplyTimeBody, ReplyTime, ReplyTimes } from '@secure-inbox/protocol';
import { and, asc, eq, isNull, or } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { transaction } from '../store/runtime.js';
import { accounts, accountSettings, conversations, conversationUsers, messageProperties, messages, topicReplyTimes, topics } from '../store/sqlite/schema.js';
import { forbidden, invalid } from '../errors.js';
import { audit } from './audit.js';
import { newId } from './ids.js';
import { actsIn, type Viewer } from './visibility.js';

const unitWords: Record<ReplyTime['unit'], [string, string]> = {
  minutes: ['minute', 'minutes'],
  hours: ['hour', 'hours'],
  days: ['day', 'days'],
  working_days: ['working day', 'working days'],
};

/** "2 working days": the English wording (the elements word it in the reader's language from amount and unit). */
export const replyTimeWords = (time: ReplyTime) => `${time.amount} ${unitWords[time.unit][time.amount === 1 ? 0 : 1]}`;

/** The two rows the expected reply time of a conversation is chosen from, each awaited. */
function replyTimeQueries(db: Db, accountId: string, topicId: string | null) {
  return {
    topic: db
      .select({ amount: topicReplyTimes.amount, unit: topicReplyTimes.unit })
      .from(topicReplyTimes)
      .where(and(eq(topicReplyTimes.accountId, accountId), eq(topicReplyTimes.topicId, topicId ?? ''))),
    account: db
      .select({ amount: accountSettings.replyAmount, unit: accountSettings.replyUnit, name: accounts.name })
      .from(accounts)
      .leftJoin(accountSettings, eq(accountSettings.accountId, accounts.id))
      .where(eq(accounts.id, accountId)),
  };
}

function chosen(topic: ReplyTime | undefined, account: { amount: number | null; unit: ReplyTime['unit'] | null } | undefined): ReplyTime | null {
  if (topic) return topic;
  return account?.amount != null && account.unit != null ? { amount: account.amount, unit: account.unit } : null;
}

/** The expected reply time of a conversation on `topicId` (or none) in the account: the topic's, else the account's. */
export async function expectedReplyTime(db: Db, accountId: string, topicId: string | null): Promise<ReplyTime | null> {
  const q = replyTimeQueries(db, accountId, topicId);
  const [topic] = await q.topic;
  const [account] = await q.account;
  return chosen(topic, account);
}

/**
 * Inside the transaction that writes a customer's new question: when its account (or topic) states an expected reply
 * time, an `acknowledgement` line under it naming who it went to and the time. Written as the asker's (read by them,
 * never in their Sent order nor in search) and seen by everyone who sees the question.
 */
export async function acknowledgeQuestion(
  db: Db,
  asker: Viewer,
  conversation: { id: string; accountId: string; topicId: string | null },
  at: string,
): Promise<void> {
  if (asker.role !== 'customer') return;
  const q = replyTimeQueries(db, conversation.accountId, conversation.topicId);
  const [topic] = await q.topic;
  const [account] = await q.account;
  const time = chosen(topic, account);
  if (!time) return;
  const sentTo = account?.name ?? conversation.accountId;
  const text = `Your question went to ${sentTo}. We usually answer within ${replyTimeWords(time)}.`;
  const body = `<p>${escapeHtml(text)}</p>`;
  const id = newId('m');
  const [written] = await db
    .insert(messages)
    .values({ id, conversationId: conversation.id, accountId: conversation.accountId, kind: 'acknowledgement', body, text, authorId: asker.id, createdAt: at })
    .returning({ seq: messages.seq });
  const seq = written!.seq;
  const properties = { doNotReply: 'false', sentTo, replyAmount: String(time.amount), replyUnit: time.unit };
  await db.insert(messageProperties).values(Object.entries(properties).map(([key, value]) => ({ messageSeq: seq, key, value })));
  await db.update(conversations).set({ lastSeq: seq, lastPublicSeq: seq }).where(eq(conversations.id, conversation.id));
  await db
    .update(conversationUsers)
    .set({ lastReadSeq: seq })
    .where(and(eq(conversationUsers.conversationId, conversation.id), eq(conversationUsers.userId, asker.id)));
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// ------------------------------------------------------------------ reading and setting them
/** The account's expected reply time and its topics' own. Everyone acting in the account. */
export async function replyTimesOf(db: Db, viewer: Viewer, accountId: string): Promise<ReplyTimes> {
  if (!actsIn(viewer, accountId)) {
    await audit(db, { actorId: viewer.id, action: 'reply_times.read', outcome: 'denied', targetType: 'account', targetId: accountId });
    throw forbidden(`You do not act in account ${accountId}.`);
  }
  const [account] = await db
    .select({ amount: accountSettings.replyAmount, unit: accountSettings.replyUnit })
    .from(accountSettings)
    .where(eq(accountSettings.accountId, accountId));
  const topicRows = await db
    .select({ topicId: topicReplyTimes.topicId, amount: topicReplyTimes.amount, unit: topicReplyTimes.unit })
    .from(topicReplyTimes)
    .where(eq(topicReplyTimes.accountId, accountId))
    .orderBy(asc(topicReplyTimes.topicId));
  return {
    accountId,
    replyTime: chosen(undefined, account),
    topics: topicRows.map(({ topicId, amount, unit }) => ({ topicId, replyTime: { amount, unit } })),
  };
}

/** Sets (or with null removes) the account's expected reply time, or a topic's in it. Staff and admins of the account. */
export async function putReplyTime(db: Db, viewer: Viewer, input: PutReplyTimeBody): Promise<ReplyTimes> {
  const { accountId, topicId, replyTime } = input;
  if (!actsIn(viewer, accountId) || viewer.role === 'customer') {
    await audit(db, { actorId: viewer.id, action: 'reply_times.update', outcome: 'denied', targetType: 'account', targetId: accountId });
    throw forbidden(viewer.role === 'customer' ? 'Only staff and admins set expected reply times.' : `You do not act in account ${accountId}.`);
  }
  const [account] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId));
  if (!account) throw invalid('accountId', `there is no account ${accountId}`);
  if (topicId !== undefined) {
    const [topic] = await db
      .select({ id: topics.id })
      .from(topics)
      .where(and(eq(topics.id, topicId), or(isNull(topics.accountId), eq(topics.accountId, accountId))));
    if (!topic) throw invalid('topicId', `there is no topic ${topicId} in account ${accountId}`);
  }
  await transaction(db, async (tx) => {
    if (topicId === undefined) {
      const set = { replyAmount: replyTime?.amount ?? null, replyUnit: replyTime?.unit ?? null };
      await tx
        .insert(accountSettings)
        .values({ accountId, ...set })
        .onConflictDoUpdate({ target: accountSettings.accountId, set });
    } else if (replyTime) {
      await tx
        .insert(topicReplyTimes)
        .values({ accountId, topicId, ...replyTime })
        .onConflictDoUpdate({ target: [topicReplyTimes.accountId, topicReplyTimes.topicId], set: replyTime });
    } else {
      await tx.delete(topicReplyTimes).where(and(eq(topicReplyTimes.accountId, accountId), eq(topicReplyTimes.topicId, topicId)));
    }
    await audit(tx, {
      actorId: viewer.id,
      action: 'reply_times.update',
      outcome: 'ok',
      targetType: 'account',
      targetId: accountId,
      detail: { topicId: topicId ?? null, replyTime },
    });
  });
  return replyTimesOf(db, viewer, accountId);
}
