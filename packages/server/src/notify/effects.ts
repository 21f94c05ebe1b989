import type { Config } from '../config.js';
import type { MessageEffects } from '../domain/messages.js';
import { messageAudience, messageEvents } from '../realtime/fanout.js';
import { enqueueMessageNotices } from './outbox.js';

/**
 * What a new message causes, inside its own write transaction: the outbox rows (e-mail and the staff
 * notification centre) and the per-user events of the live stream.
 */
export function notifyEffects(config: Pick<Config, 'mailBatchSeconds'>): MessageEffects {
  return {
    async messageCreated(db, message) {
      // One read of who may see the conversation decides both.
      const known = message.assigneeId !== undefined ? { accountId: message.accountId, assigneeId: message.assigneeId } : undefined;
      const audience = await messageAudience(db, message.conversationId, known);
      await enqueueMessageNotices(db, message, config.mailBatchSeconds, Date.now(), audience);
      await messageEvents(db, message, audience);
    },
  };
}
