/**
 * The widget bundle's entry (`/secure-inbox.js`): registers what a customer's first paint uses — `<secure-inbox>`
 * with its conversation list, and `<secure-unread-badge>`. The rest — reading and writing a conversation, the
 * Status tab, the staff console (saved replies' management too) — is one module loaded on demand from `/secure-inbox/` (see `loadParts` in
 * internal/lazy.ts). Loading it twice is safe (the second copy warns). The package's own entry is index.ts, which
 * registers every element.
 */
// Evaluated first and so placed first in the bundle: every stylesheet side by side, those of the parts loaded on
// demand too (they import them from here). Kept together, like with like, they compress better than spread between
// the elements' code, and better here than in the module loaded on demand (about 0.5 KB gzip less in all).
import './internal/shared.styles.js';
import './components/conversation-list/conversation-list.styles.js';
import './components/secure-inbox/secure-inbox.styles.js';
import './components/unread-badge/unread-badge.styles.js';
export { styles as answerPanelStyles } from './components/answer-panel/answer-panel.styles.js';
export { styles as attachmentPickerStyles } from './components/attachment-picker/attachment-picker.styles.js';
export { styles as composeDialogStyles } from './components/compose-dialog/compose-dialog.styles.js';
export { styles as conversationControlsStyles } from './components/conversation-controls/conversation-controls.styles.js';
export { styles as notificationCentreStyles } from './components/notification-centre/notification-centre.styles.js';
export { styles as queueFiltersStyles } from './components/queue-filters/queue-filters.styles.js';
export { styles as richEditorStyles } from './components/rich-editor/rich-editor.styles.js';
export { styles as savedRepliesStyles } from './components/saved-replies/saved-replies.styles.js';
export { styles as statusTabStyles } from './components/status-tab/status-tab.styles.js';
export { styles as threadViewStyles } from './components/thread-view/thread-view.styles.js';
export { styles as tipPopoverStyles } from './components/tip-popover/tip-popover.styles.js';
export { SecureInbox } from './components/secure-inbox/secure-inbox.js';
export { SecureConversationList } from './components/conversation-list/conversation-list.js';
export { SecureUnreadBadge } from './components/unread-badge/unread-badge.js';
import { loadParts, loadStaff } from './internal/lazy.js';
export { loadParts, loadStaff };
export { ApiClient, ApiError } from './internal/api.js';
export { Session } from './internal/session.js';
export { defaultStrings } from './internal/i18n.js';
export type { Strings } from './internal/i18n.js';
export type { TokenProvider, ErrorKind } from './internal/api.js';
export type { SessionEvent } from './internal/session.js';
export type { ConnectionState } from './internal/events.js';
export type { SecureEventMap, SecureEventDetails, ReplyRequest } from './events.js';

// An element of the module loaded on demand, placed in the page by itself (not inside <secure-inbox>), gets it too.
const onDemand =
  'secure-thread-view, secure-compose-dialog, secure-status-tab, secure-rich-editor, secure-tip-popover, secure-attachment-picker, ' +
  'secure-answer-panel, secure-conversation-controls, secure-notification-centre, secure-queue-filters, secure-saved-replies';
if (document.querySelector(onDemand)) void loadParts().catch(() => undefined);
