/**
 * "<name> is writing": staff tell the other staff who see a conversation that they are answering it, so two people do
 * not answer the same customer at once. Ephemeral: handed to the open event streams of this process as a `typing`
 * event without an id, never written to the event log nor replayed, and it holds for `limits.typingSeconds` unless
 * another follows. Who receives it is decided in ./visibility.ts (`receivesTyping`).
 */
import { limits, typingEvent, type TypingData } from '@secure-inbox/protocol';
import type { Db } from '../store/sqlite/client.js';
import { forbidden } from '../errors.js';
import { conversationAudience } from '../realtime/fanout.js';
import { eventBus } from '../realtime/bus.js';
import { FixedWindows, refuse } from '../rate-limit.js';
import { audit } from './audit.js';
import { userRef } from './users.js';
import { loadVisibleConversation, receivesTyping, usesStaffTools, type Viewer } from './visibility.js';

/** Signals per user per minute, for one app. */
export const typingWindows = () => new FixedWindows(limits.typingPerMinute);

/** Tells the other staff watching the conversation that the viewer is writing; returns how many streams' users were told. */
export async function announceTyping(db: Db, viewer: Viewer, conversationId: string, windows: FixedWindows): Promise<number> {
  const conversation = await loadVisibleConversation(db, viewer, conversationId, 'conversation.typing');
  if (!usesStaffTools(viewer)) {
    await audit(db, { actorId: viewer.id, action: 'conversation.typing', outcome: 'denied', targetType: 'conversation', targetId: conversation.id });
    throw forbidden('Only staff tell others that they are writing.');
  }
  const tooOften = windows.hit(viewer.id);
  if (tooOften) refuse(db, '"is writing" signals', limits.typingPerMinute, tooOften.retryAfter, tooOften.first, viewer.id, 'typing');
  const bus = eventBus(db);
  const told = (await conversationAudience(db, conversation.id))
    .filter((user) => user.id !== viewer.id && receivesTyping(user, user) && bus.listening(user.id))
    .map((user) => user.id);
  const data: TypingData = {
    conversationId: conversation.id,
    user: userRef({ id: viewer.id, name: viewer.name, role: viewer.role, staffKind: viewer.staffKind ?? null }),
    expiresInSeconds: limits.typingSeconds,
  };
  bus.send(told, `event: ${typingEvent}\ndata: ${JSON.stringify(data)}\n\n`);
  return told.length;
}
