/**
 * What a conversation's thread answer adds to the conversation: the expected reply time, "seen" and the ratings the
 * viewer may see; and the customer's own workflow: marking a conversation solved and opening it again.
 */
import type { Conversation, ConversationDetails } from '@secure-inbox/protocol';
import { eq } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { transaction } from '../store/runtime.js';
import { conversations } from '../store/sqlite/schema.js';
import { conversationUpdated } from '../realtime/fanout.js';
import { audit } from './audit.js';
import { getConversation } from './conversations.js';
import { nowIso } from './ids.js';
import { ratingsOf } from './ratings.js';
import { expectedReplyTime } from './reply-times.js';
import { seenFor } from './seen.js';
import { loadVisibleConversation, type Viewer, type VisibleConversationRow } from './visibility.js';

export async function conversationDetails(db: Db, viewer: Viewer, row: VisibleConversationRow): Promise<ConversationDetails> {
  const expectedReply = await expectedReplyTime(db, row.accountId, row.topicId);
  const seen = await seenFor(db, viewer, row);
  const ratings = await ratingsOf(db, viewer, row.id);
  return { expectedReply, seen, ratings };
}

/**
 * `solve`: the conversation is resolved; `reopen`: it waits for staff again (`open`). Anyone who sees the conversation
 * (a customer their own); asking for the status it already has changes nothing.
 */
export async function solveOrReopen(db: Db, viewer: Viewer, id: string, change: 'solve' | 'reopen'): Promise<Conversation> {
  const status = change === 'solve' ? 'resolved' : 'open';
  await transaction(db, async (tx) => {
    const row = await loadVisibleConversation(tx, viewer, id, `conversation.${change}`);
    if (row.status !== status) {
      const at = nowIso();
      await tx.update(conversations).set({ status, updatedAt: at, publicUpdatedAt: at }).where(eq(conversations.id, id));
      await conversationUpdated(tx, id);
    }
    await audit(tx, {
      actorId: viewer.id,
      action: `conversation.${change}`,
      outcome: 'ok',
      targetType: 'conversation',
      targetId: id,
      detail: { from: row.status },
    });
  });
  return getConversation(db, viewer, id);
}
