/**
 * What `<secure-inbox>` loads on demand (see `loadParts` in lazy.ts): reading and writing a conversation (thread
 * view, compose dialog, Status tab, rich editor, attachment picker, tip popover, and the sanitizer for message bodies)
 * and the staff console (answer panel, conversation controls, queue filters, notification centre, saved replies' management). The elements are exported, so a bundler keeps their
 * registration; their stylesheets are in the entry (bundle.ts).
 */
export { SecureThreadView } from '../components/thread-view/thread-view.js';
export { SecureComposeDialog } from '../components/compose-dialog/compose-dialog.js';
export { SecureRichEditor } from '../components/rich-editor/rich-editor.js';
export { SecureTipPopover } from '../components/tip-popover/tip-popover.js';
export { SecureAttachmentPicker } from '../components/attachment-picker/attachment-picker.js';
export { SecureStatusTab } from '../components/status-tab/status-tab.js';
export { SecureAnswerPanel } from '../components/answer-panel/answer-panel.js';
export { SecureConversationControls } from '../components/conversation-controls/conversation-controls.js';
export { SecureNotificationCentre } from '../components/notification-centre/notification-centre.js';
export { SecureQueueFilters } from '../components/queue-filters/queue-filters.js';
export { SecureSavedReplies } from '../components/saved-replies/saved-replies.js';
