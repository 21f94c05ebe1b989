/**
 * Secure Inbox: one module that registers every element. Loading it twice is safe (the second copy warns).
 */
// Evaluated first and so placed first in the bundle: every stylesheet side by side. Kept together,
// like with like, they compress better than spread between the elements' code (about 1.4 KB less gzip).
import './internal/shared.styles.js';
import './components/answer-panel/answer-panel.styles.js';
import './components/attachment-picker/attachment-picker.styles.js';
import './components/compose-dialog/compose-dialog.styles.js';
import './components/conversation-controls/conversation-controls.styles.js';
import './components/conversation-list/conversation-list.styles.js';
import './components/notification-centre/notification-centre.styles.js';
import './components/queue-filters/queue-filters.styles.js';
import './components/rich-editor/rich-editor.styles.js';
import './components/saved-replies/saved-replies.styles.js';
import './components/secure-inbox/secure-inbox.styles.js';
import './components/status-tab/status-tab.styles.js';
import './components/thread-view/thread-view.styles.js';
import './components/tip-popover/tip-popover.styles.js';
import './components/unread-badge/unread-badge.styles.js';
export { SecureInbox } from './components/secure-inbox/secure-inbox.js';
export { SecureConversationList } from './components/conversation-list/conversation-list.js';
export { SecureThreadView } from './components/thread-view/thread-view.js';
export { SecureComposeDialog } from './components/compose-dialog/compose-dialog.js';
export { SecureRichEditor } from './components/rich-editor/rich-editor.js';
export { SecureTipPopover } from './components/tip-popover/tip-popover.js';
export { SecureUnreadBadge } from './components/unread-badge/unread-badge.js';
export { SecureNotificationCentre } from './components/notification-centre/notification-centre.js';
export { SecureAttachmentPicker } from './components/attachment-picker/attachment-picker.js';
export { SecureStatusTab } from './components/status-tab/status-tab.js';
export { SecureAnswerPanel } from './components/answer-panel/answer-panel.js';
export { SecureConversationControls } from './components/conversation-controls/conversation-controls.js';
export { SecureQueueFilters } from './components/queue-filters/queue-filters.js';
export { SecureSavedReplies } from './components/saved-replies/saved-replies.js';
export type { Answer } from './components/answer-panel/answer-panel.js';
export type { QueueFilter } from './components/queue-filters/queue-filters.js';
export { ApiClient, ApiError } from './internal/api.js';
export { Session } from './internal/session.js';
export { defaultStrings } from './internal/i18n.js';
export { secureInboxContext } from './internal/context.js';
export type { Provided } from './internal/context.js';
export type { Strings } from './internal/i18n.js';
export type { TokenProvider, ErrorKind } from './internal/api.js';
export type { SessionEvent } from './internal/session.js';
export type { ConnectionState } from './internal/events.js';
export type { SecureEventMap, SecureEventDetails, ReplyRequest } from './events.js';
