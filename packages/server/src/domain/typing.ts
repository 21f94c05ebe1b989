/**
 * "<name> is writing": staff tell the other staff who see a conversation that they are answering it, so two people do
 * not answer the same customer at once. Ephemeral: handed to the open event streams (on PostgreSQL, of every instance:
 * store/postgres/cluster/instance.ts `sendToStreams`; the frame names the conversation and the writer, never any
 * message content) as a `typing` event without an id, never written to the event log nor replayed, and it holds for `limits.typingSeconds` unless
 * another follows. Who receives it is decided in ./visibility.ts (`receivesTyping`).
 */
import { limits, typingEvent, type TypingData } from '@secure-inbox/protocol';
import type { Db } from '../store/sqlite/client.js';
import { forbidden } from '../errors.js';
import { conversationAudience } from '../realtime/fanout.js';
import { eventBus } from '../realtime/bus.js';
import { inCluster, sendToStreams } from '../store/postgres/cluster/instance.js';
import { RateWindows, refuse } from '../rate-limit.js';
import { audit } from './audit.js';
import { userRef } from './users.js';
import { loadVisibleConversation, receivesTyping, usesStaffTools, type Viewer } from './visibility.js';

/** Signals per user per minute, for one app. */
export const typingWindows = () => new RateWindows('typing', limits.typingPerMinute);

/** Tells the other staff watching the conversation that the viewer is writing; returns how many users were told (those with a stream open, or in a cluster everyone who may be). */
export async function announceTyping(db: Db, viewer: Viewer, conversationId: string, windows: RateWindows): Promise<number> {
  const conversation = await loadVisibleConversation(db, viewer, conversationId, 'conversation.typing');
  if (!usesStaffTools(viewer)) {
    await audit(db, { actorId: viewer.id, action: 'conversation.typing', outcome: 'denied', targetType: 'conversation', targetId: conversation.id });
    throw forbidden('Only staff tell others that they are writing.');
  }
  const tooOften = await windows.hit(db, viewer.id);
  if (tooOften) refuse(db, '"is writing" signals', limits.typingPerMinute, tooOften.retryAfter, tooOften.first, viewer.id, 'typing');
  const bus = eventBus(db);
  const receiving = (await conversationAudience(db, conversation.id))
    .filter((user) => user.id !== viewer.id && receivesTyping(user, user))
    .map((user) => user.id);
  // In a cluster their streams may be open on any instance; alone, only those open in this process are told.
  const told = inCluster(db) ? receiving : receiving.filter((id) => bus.listening(id));
  const data: TypingData = {
    conversationId: conversation.id,
    user: userRef({ id: viewer.id, name: viewer.name, role: viewer.role, staffKind: viewer.staffKind ?? null }),
    expiresInSeconds: limits.typingSeconds,
  };
  await sendToStreams(db, told, `event: ${typingEvent}\ndata: ${JSON.stringify(data)}\n\n`);
  return told.length;
}
