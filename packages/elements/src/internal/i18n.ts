/**
 * Every string a person can see or hear, in one catalogue. Hosts override any of them with the `strings`
 * property (a partial object merged over these defaults), e.g. to translate the widget.
 * Placeholders in braces (`{count}`) are filled by `fmt`. A count is an entry per plural category
 * (`one`, `other`, and `zero`, `two`, `few`, `many` where a language has them), chosen by `Intl.PluralRules`.
 * Translations in the same format are shipped in `../locales/` and loaded for the element's language (`languages.ts`).
 */
export const defaultStrings = {
  folders: 'Folders',
  inbox: 'Inbox',
  sent: 'Sent',
  trash: 'Trash',
  statusTab: 'Status',
  compose: 'New message',
  unreadInInbox: { other: '{count} unread in Inbox' } as Plural,
  search: 'Search messages',
  searchHint: 'Words, % for all, perm% for a prefix.',
  searchButton: 'Search',
  unreadOnly: 'Unread only',
  conversations: 'Conversations',
  loading: 'Loading…',
  loadMore: 'Load more',
  loadingMore: 'Loading more…',
  empty: 'No messages here.',
  emptyUnread: 'No unread messages. Turn off “Unread only” to see all messages.',
  emptySearch: 'No messages match “{q}”.',
  clearSearch: 'Clear search',
  turnOffUnreadOnly: 'Turn off “Unread only”',
  selectConversation: 'Select a conversation to read it.',
  unread: 'Unread',
  youWrote: 'You wrote',
  unreadMessages: { other: '{count} unread' } as Plural,
  account: 'Account',
  flagCustomer: 'Customer',
  flagStaff: 'Staff',
  flagSupport: 'Support',
  statusOpen: 'Open',
  statusAttentive: 'Reply needed',
  statusAnswered: 'Answered',
  statusResolved: 'Resolved',
  back: 'Back to the list',
  viewRecord: 'View {kind}',
  markUnread: 'Mark as unread',
  nextMessage: 'Next message',
  noNext: 'This is the last message in the list.',
  moveToTrash: 'Move to trash',
  restore: 'Restore',
  addRecipients: 'Add recipients',
  add: 'Add',
  cancel: 'Cancel',
  noOneToAdd: 'Everyone who can be addressed in this account is already in the conversation.',
  chooseRecipient: 'Choose at least one person.',
  recipientsAdded: 'Recipients added.',
  customersSeeFromNow: 'Customers you add will see messages from now on, not the earlier staff-only messages.',
  leave: 'Leave',
  leaveConfirm: 'Leave this conversation? It will disappear from all your folders.',
  personLeft: '{name} left the conversation.',
  youLeft: 'You left this conversation.',
  participants: 'Participants',
  answeredBy: 'Who answers: {name}',
  answeredByTeam: 'Who answers: the {account} team',
  conversationActions: 'Conversation actions',
  topic: 'Topic',
  messages: 'Messages',
  olderMessages: 'Load older messages',
  internal: 'Internal',
  internalHint: 'Not visible to the customer',
  statusUpdate: 'Status update',
  attachments: 'Attachments',
  download: 'Download',
  reply: 'Reply',
  replyingTo: 'Replying to {name}',
  yourReply: 'Your reply',
  send: 'Send',
  sending: 'Sending…',
  messageSent: 'Message sent.',
  newMessages: 'New messages in this conversation.',
  sendVetoed: 'The message was not sent.',
  bodyRequired: 'Write a message first.',
  tip: 'Tip',
  showTip: 'Show tip',
  closeTip: 'Close tip',
  composeTitle: 'New message',
  chooseAccount: 'Account',
  noTopic: 'No topic',
  recipients: 'Recipients',
  noOneToAddress: 'There is no one else to address in this account.',
  recipientsOptional: 'Optional: leave empty to write to the team that handles this account.',
  recipientsRequired: 'Choose at least one recipient.',
  subject: 'Subject',
  subjectRequired: 'Enter a subject.',
  body: 'Message',
  close: 'Close',
  formatting: 'Formatting',
  bold: 'Bold',
  italic: 'Italic',
  bulletList: 'Bulleted list',
  link: 'Link',
  linkAddress: 'Link address',
  applyLink: 'Add link',
  invalidLink: 'Use an address starting with https://, http:// or mailto:',
  errorOffline: 'You are offline. Check your connection, then retry.',
  errorUnreachable: 'The message server cannot be reached right now.',
  errorUnauthorized: 'Your sign-in has expired or was rejected. Sign in again, then retry.',
  errorNotConfigured: 'This page has not set up the message centre. Please tell the site’s administrator.',
  errorTokenProviderFailed: 'This page could not sign you in. Reload the page, then retry.',
  errorTokenRejected: 'The message server did not accept this site’s sign-in. Please tell the site’s administrator.',
  errorOriginNotAllowed: 'The message server does not accept this site. Please tell the site’s administrator.',
  errorVersionMismatch: 'The message centre and the message server are of different versions. Reload the page.',
  errorForbidden: 'You are not allowed to do this.',
  errorNotFound: 'This conversation does not exist, or you no longer have access to it.',
  errorMissing: 'The message service was not found at this address.',
  errorInvalid: 'Please check: {fields}.',
  errorRateLimited: 'Too many requests. Wait a moment, then retry.',
  errorServer: 'Something went wrong on the message server.',
  retry: 'Retry',
  statusUpdates: 'Status updates',
  noStatusUpdates: 'No status updates yet.',
  openConversation: 'Open conversation',
  messagesButton: 'Messages',
  unreadCount: { one: '{count} unread message', other: '{count} unread messages' } as Plural,
  latestUnread: 'Latest unread messages',
  noUnread: 'No unread messages.',
  viewAll: 'View all messages',
  // Staff console
  answer: 'Answer',
  answerSend: 'Send',
  answerSendLeaveOpen: 'Send & leave open',
  answerResolve: 'Resolve',
  answerInternalNote: 'Internal note',
  answerStatusUpdate: 'Post as status update',
  answerHint: 'Ctrl+Enter sends and marks the conversation answered.',
  internalBanner: 'Internal — not shown to the customer',
  statusUpdateHint: 'A status update also appears on the account’s Status tab.',
  resolveConfirm: 'Resolve this conversation? Your note stays hidden from the customer.',
  addTip: 'Add tip',
  tipText: 'Tip shown with this message',
  notifyAllAdmins: 'Notify all administrators',
  notifyAdmins: 'Notify administrators',
  adminsNotified: { one: '{count} administrator notified', other: '{count} administrators notified' } as Plural,
  assignee: 'Assignee',
  unassigned: 'Unassigned',
  assignToMe: 'Assign to me',
  status: 'Status',
  statusHelp: 'Reply needed (attentive) = waiting for the customer.',
  savedField: '{field}: {value}. Saved.',
  queues: 'Queues',
  all: 'All',
  assignedToMe: 'Assigned to me',
  allAccounts: 'All accounts',
  oldestFirst: 'Oldest waiting first',
  withCount: '{label} ({count})',
  // Live updates, attachments, notifications
  connectionLive: 'Live',
  connectionReconnecting: 'Reconnecting…',
  connectionOffline: 'Offline',
  /** The server closed this page's stream because the user has newer ones open (other tabs); it reopens when the page is shown again. */
  connectionPaused: 'Paused: live in another tab',
  attachFiles: 'Attach files',
  uploading: 'Uploading {name}',
  cancelUpload: 'Cancel upload of {name}',
  remove: 'Remove {name}',
  attached: '{name} attached.',
  removed: '{name} removed.',
  uploadCancelled: 'Upload of {name} cancelled.',
  uploadTooLarge: 'larger than the {limit} limit.',
  waitForUploads: 'Wait until the files have uploaded.',
  removeRefused: 'Remove or replace the refused file.',
  downloadFile: 'Download {name}',
  scanPending: 'Scanning…',
  scanInfected: 'Blocked: failed virus scan',
  notifications: 'Notifications',
  noNotifications: 'No notifications.',
  markAllRead: 'Mark all read',
  unreadNotifications: { one: '{count} unread notification', other: '{count} unread notifications' } as Plural,
};

/** A counted text: one template per plural category of the language; `other` is the fallback. */
export type Plural = { [C in Intl.LDMLPluralRule]?: string } & { other: string };

type Defaults = typeof defaultStrings;
export type Strings = { [K in keyof Defaults]: Defaults[K] extends Plural ? Plural : string };

/**
 * Merges partial overrides over the defaults; later sources win, `undefined` values are ignored. A counted
 * entry is given whole, as an object of plural categories with `other`.
 */
export function mergeStrings(...sources: (Partial<Strings> | undefined)[]): Strings {
  const merged: Record<string, unknown> = { ...defaultStrings };
  for (const source of sources)
    for (const [key, value] of Object.entries(source ?? {})) if (key in merged && typeof value === typeof merged[key]) merged[key] = value;
  return merged as Strings;
}

const rules: Record<string, Intl.PluralRules> = {};

/** The entry for `count` in the language `locale` (the element's, see `localeOf`), its `{count}` filled. */
export function plural(entry: Plural, count: number, locale?: string): string {
  return fmt(entry[(rules[locale ?? ''] ??= new Intl.PluralRules(locale)).select(count)] ?? entry.other, { count });
}

/** Fills `{name}` placeholders. */
export function fmt(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
