/**
 * The staff console, loaded on demand (see `loadStaff` in lazy.ts): its stylesheets first, side by side, then the elements (exported, so a bundler keeps their registration).
 */
import '../components/answer-panel/answer-panel.styles.js';
import '../components/conversation-controls/conversation-controls.styles.js';
import '../components/notification-centre/notification-centre.styles.js';
import '../components/queue-filters/queue-filters.styles.js';
export { SecureAnswerPanel } from '../components/answer-panel/answer-panel.js';
export { SecureConversationControls } from '../components/conversation-controls/conversation-controls.js';
export { SecureNotificationCentre } from '../components/notification-centre/notification-centre.js';
export { SecureQueueFilters } from '../components/queue-filters/queue-filters.js';
