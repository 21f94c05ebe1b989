/**
 * The `secure-*` events and their `detail`, for hosts written in TypeScript: with this module imported (the package
 * entry does), `addEventListener('secure-sent', (e) => e.detail)` is typed on every element and on `document`.
 * Every event bubbles out of shadow roots (`composed`); `secure-before-send` is cancelable.
 */
import type { Conversation, ConversationSummary, CreateConversationBody, Folder, Message, MessageAction, Rating } from '@secure-inbox/protocol';
import type { Answer } from './components/answer-panel/answer-panel.js';
import type { QueueFilter } from './components/queue-filters/queue-filters.js';
import type { ApiError } from './internal/api.js';

/** A reply about to be posted from a thread (`secure-before-send` from a thread view). */
export interface ReplyRequest extends Answer {
  conversationId: string;
  body: string;
  action: MessageAction;
}

/** The detail of each `secure-*` event. */
export interface SecureEventDetails {
  'secure-ready': { folder: Folder; conversations: number };
  'secure-error': { error: ApiError | Error };
  'secure-conversation-open': { id: string; conversation?: ConversationSummary };
  'secure-conversation-read': { id: string };
  'secure-conversation-unread': { id: string };
  'secure-conversation-trash': { id: string };
  'secure-conversation-restore': { id: string };
  'secure-conversation-leave': { id: string };
  'secure-conversation-update': { conversation: Conversation };
  'secure-participants-added': { conversation: Conversation };
  'secure-rated': { conversationId: string; rating: Rating };
  'secure-thread-close': { id: string };
  'secure-next-conversation': { id: string };
  'secure-before-send': ReplyRequest | { request: CreateConversationBody };
  'secure-sent': { conversationId: string; message: Message } | { conversation: Conversation };
  'secure-answer': Answer;
  'secure-admins-notified': { conversationId: string; notified: number };
  'secure-folder-change': { folder: Folder };
  'secure-filter-change': { q: '' } | { unreadOnly: false };
  'secure-queue-change': QueueFilter;
  'secure-tip-toggle': { open: boolean };
  'secure-input': undefined;
  'secure-view-all': undefined;
  'secure-compose-close': undefined;
}

/** Each `secure-*` event as the `CustomEvent` a listener receives. */
export type SecureEventMap = { [K in keyof SecureEventDetails]: CustomEvent<SecureEventDetails[K]> };

declare global {
  interface HTMLElementEventMap extends SecureEventMap {}
  interface DocumentEventMap extends SecureEventMap {}
}
