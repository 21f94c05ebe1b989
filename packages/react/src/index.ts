/**
 * React components for the Secure Inbox elements, made with @lit/react: props are set as properties (so `tokenProvider`,
 * `strings` and objects pass as they are), and every `secure-*` event has an `onSecure…` prop with its typed `detail`.
 * Importing this module registers the elements.
 */
import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';
import {
  SecureAnswerPanel as SecureAnswerPanelElement,
  SecureAttachmentPicker as SecureAttachmentPickerElement,
  SecureComposeDialog as SecureComposeDialogElement,
  SecureConversationControls as SecureConversationControlsElement,
  SecureConversationList as SecureConversationListElement,
  SecureInbox as SecureInboxElement,
  SecureNotificationCentre as SecureNotificationCentreElement,
  SecureQueueFilters as SecureQueueFiltersElement,
  SecureRichEditor as SecureRichEditorElement,
  SecureSavedReplies as SecureSavedRepliesElement,
  SecureStatusTab as SecureStatusTabElement,
  SecureThreadView as SecureThreadViewElement,
  SecureTipPopover as SecureTipPopoverElement,
  SecureUnreadBadge as SecureUnreadBadgeElement,
  type SecureEventMap,
} from '@secure-inbox/elements';

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;
type Handlers<N extends keyof SecureEventMap> = { [K in N as `on${Capitalize<Camel<K>>}`]: EventName<SecureEventMap[K]> };

/** `secure-folder-change` → `onSecureFolderChange`, for the events an element documents. */
function events<N extends keyof SecureEventMap>(...names: N[]): Handlers<N> {
  return Object.fromEntries(names.map((name) => [`on${name.replace(/(?:^|-)(\w)/g, (_, c: string) => c.toUpperCase())}`, name])) as unknown as Handlers<N>;
}

export const SecureInbox = createComponent({
  react: React,
  tagName: 'secure-inbox',
  elementClass: SecureInboxElement,
  events: events(
    'secure-ready',
    'secure-folder-change',
    'secure-conversation-open',
    'secure-before-send',
    'secure-sent',
    'secure-queue-change',
    'secure-conversation-update',
    'secure-rated',
    'secure-error',
  ),
});

export const SecureConversationList = createComponent({
  react: React,
  tagName: 'secure-conversation-list',
  elementClass: SecureConversationListElement,
  events: events('secure-ready', 'secure-conversation-open', 'secure-filter-change', 'secure-error'),
});

export const SecureThreadView = createComponent({
  react: React,
  tagName: 'secure-thread-view',
  elementClass: SecureThreadViewElement,
  events: events(
    'secure-thread-close',
    'secure-next-conversation',
    'secure-conversation-read',
    'secure-conversation-unread',
    'secure-conversation-trash',
    'secure-conversation-restore',
    'secure-conversation-leave',
    'secure-participants-added',
    'secure-conversation-update',
    'secure-rated',
    'secure-before-send',
    'secure-sent',
    'secure-error',
  ),
});

export const SecureComposeDialog = createComponent({
  react: React,
  tagName: 'secure-compose-dialog',
  elementClass: SecureComposeDialogElement,
  events: events('secure-before-send', 'secure-sent', 'secure-compose-close', 'secure-error'),
});

export const SecureRichEditor = createComponent({
  react: React,
  tagName: 'secure-rich-editor',
  elementClass: SecureRichEditorElement,
  events: events('secure-input'),
});

export const SecureTipPopover = createComponent({
  react: React,
  tagName: 'secure-tip-popover',
  elementClass: SecureTipPopoverElement,
  events: events('secure-tip-toggle'),
});

export const SecureUnreadBadge = createComponent({
  react: React,
  tagName: 'secure-unread-badge',
  elementClass: SecureUnreadBadgeElement,
  events: events('secure-conversation-open', 'secure-view-all', 'secure-error'),
});

export const SecureNotificationCentre = createComponent({
  react: React,
  tagName: 'secure-notification-centre',
  elementClass: SecureNotificationCentreElement,
  events: events('secure-conversation-open', 'secure-error'),
});

export const SecureAttachmentPicker = createComponent({
  react: React,
  tagName: 'secure-attachment-picker',
  elementClass: SecureAttachmentPickerElement,
  events: events('secure-error'),
});

export const SecureStatusTab = createComponent({
  react: React,
  tagName: 'secure-status-tab',
  elementClass: SecureStatusTabElement,
  events: events('secure-error'),
});

export const SecureAnswerPanel = createComponent({
  react: React,
  tagName: 'secure-answer-panel',
  elementClass: SecureAnswerPanelElement,
  events: events('secure-answer'),
});

export const SecureConversationControls = createComponent({
  react: React,
  tagName: 'secure-conversation-controls',
  elementClass: SecureConversationControlsElement,
  events: events('secure-conversation-update', 'secure-admins-notified', 'secure-error'),
});

export const SecureQueueFilters = createComponent({
  react: React,
  tagName: 'secure-queue-filters',
  elementClass: SecureQueueFiltersElement,
  events: events('secure-queue-change', 'secure-error'),
});

export const SecureSavedReplies = createComponent({
  react: React,
  tagName: 'secure-saved-replies',
  elementClass: SecureSavedRepliesElement,
  events: events('secure-error'),
});

export type { SecureEventMap, SecureEventDetails } from '@secure-inbox/elements';
