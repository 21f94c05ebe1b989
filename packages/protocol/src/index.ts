/**
 * The shapes of the Secure Inbox HTTP API v1 (see docs/api.md and the server's OpenAPI document).
 * The server validates requests with these schemas; the elements type their data with them.
 * Request schemas are strict: an unknown field is a validation error, never silently dropped.
 */
import { z } from 'zod';

export const API_BASE_PATH = '/api/v1';

// ---------------------------------------------------------------- enums
export const roles = ['customer', 'staff', 'admin'] as const;
export const Role = z.enum(roles);
export type Role = z.infer<typeof Role>;

/**
 * Extension: kinds of staff a host may name in the token's `staffKind` claim. `support`: the portal vendor's
 * support answering a user (seed 000), flagged apart from the organisation's own staff.
 */
export const staffKinds = ['support'] as const;
export const StaffKind = z.enum(staffKinds);
export type StaffKind = z.infer<typeof StaffKind>;

export const conversationStatuses = ['open', 'attentive', 'answered', 'resolved'] as const;
export const ConversationStatus = z.enum(conversationStatuses);
export type ConversationStatus = z.infer<typeof ConversationStatus>;

/**
 * `acknowledgement` (extension): the line the server writes under a new question when its account states an expected
 * reply time; its `properties` carry `sentTo` (the account's name), `replyAmount` and `replyUnit` for the elements to
 * word in the reader's language; `body` is the English wording. Visible to everyone who sees the question.
 */
export const messageKinds = ['message', 'public_note', 'resolve_note', 'internal_note', 'status_update', 'acknowledgement'] as const;
export const MessageKind = z.enum(messageKinds);
export type MessageKind = z.infer<typeof MessageKind>;

export const messageActions = ['reply', 'send', 'send_leave_open', 'resolve', 'internal_note', 'status_update'] as const;
export const MessageAction = z.enum(messageActions);
export type MessageAction = z.infer<typeof MessageAction>;

/** Actions only staff and admins may take. */
export const staffActions: readonly MessageAction[] = ['send', 'send_leave_open', 'resolve', 'internal_note', 'status_update'];

export const folders = ['inbox', 'sent', 'trash'] as const;
export const Folder = z.enum(folders);
export type Folder = z.infer<typeof Folder>;

// ---------------------------------------------------------------- limits
export const limits = {
  subject: 200,
  body: 20000,
  tip: 500,
  contextKind: 50,
  contextRef: 200,
  contextTitle: 200,
  contextUrl: 2000,
  id: 200,
  recipients: 50,
  attachments: 20,
  query: 200,
  /** Different words in one search (`q`); past it, 422. */
  searchTerms: 8,
  /** Characters a prefix (`perm%`, or a bare word, which matches as a prefix from this length) needs. */
  searchPrefix: 3,
  pageSize: { default: 25, max: 100 },
  /** A rating's comment, in characters. */
  ratingComment: 1000,
  /** Days after the first rating during which it may be changed. */
  ratingChangeDays: 7,
  /** The longest period one ratings summary covers, in days. */
  ratingPeriodDays: 366,
  /** An expected reply time's amount, in its unit. */
  replyAmount: { min: 1, max: 100 },
  threadPage: { default: 50, max: 200 },
  /** A saved reply's title and body, in characters. */
  savedReplyTitle: 100,
  savedReplyBody: 5000,
  /** Saved replies one account holds; the shared ones (every account) are bounded alike. */
  savedRepliesPerAccount: 200,
  /** The word prefix a saved-reply search (`q`) takes, in characters. */
  savedReplyQuery: 50,
  /** Staff one hidden note may mention. */
  mentions: 20,
  /** "Is writing" signals per user per minute. */
  typingPerMinute: 20,
  /** How long a `typing` event holds, in seconds, unless another follows. */
  typingSeconds: 5,
} as const;

// ---------------------------------------------------------------- shared pieces
const Id = z.string().trim().min(1).max(limits.id);
const HttpUrl = z
  .string()
  .max(limits.contextUrl)
  .url()
  .refine((value) => /^https?:\/\//i.test(value), { message: 'must be an http(s) URL' });

export const Context = z.strictObject({
  kind: z.string().trim().min(1).max(limits.contextKind),
  ref: z.string().trim().min(1).max(limits.contextRef),
  title: z.string().trim().max(limits.contextTitle).optional(),
  url: HttpUrl.optional(),
});
export type Context = z.infer<typeof Context>;

/** A person as lists and threads show them; `staffKind` only when the host's token named one. */
export const UserRef = z.object({ id: z.string(), name: z.string(), role: Role, staffKind: StaffKind.optional() });
export type UserRef = z.infer<typeof UserRef>;

/** `accountId`: the account whose compose form offers the topic; null for every account. */
export const Topic = z.object({ id: z.string(), name: z.string(), description: z.string(), accountId: z.string().nullable() });
export type Topic = z.infer<typeof Topic>;

export const Account = z.object({ id: z.string(), name: z.string() });
export type Account = z.infer<typeof Account>;

export const Attachment = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  /** Extension: the virus scan's verdict; a `pending` or `infected` file cannot be downloaded. */
  scanStatus: z.enum(['pending', 'clean', 'infected']).optional(),
});
export type Attachment = z.infer<typeof Attachment>;

// ---------------------------------------------------------------- resources
export const Conversation = z.object({
  id: z.string(),
  subject: z.string(),
  status: ConversationStatus,
  accountId: z.string(),
  /** Extension: the account's provisioned name, else its id ("the <account> team" answers while no one is assigned). */
  accountName: z.string(),
  topic: z.object({ id: z.string(), name: z.string() }).nullable(),
  context: z.object({ kind: z.string(), ref: z.string(), title: z.string().nullable(), url: z.string().nullable() }).nullable(),
  assigneeId: z.string().nullable(),
  /** Extension: who answers it, by name (customers see who their question went to); null: the account's staff. */
  assignee: UserRef.nullable(),
  participants: z.array(UserRef),
  /** Extension: who left the conversation and when ("Priya Shah left"), oldest first; customers see those since they joined. */
  departures: z.array(z.object({ user: UserRef, at: z.string() })),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Conversation = z.infer<typeof Conversation>;

export const Message = z.object({
  id: z.string(),
  conversationId: z.string(),
  kind: MessageKind,
  body: z.string(),
  author: UserRef,
  createdAt: z.string(),
  attachments: z.array(Attachment),
  tip: z.string().nullable(),
  doNotReply: z.boolean(),
  /** Extensible interaction properties (doNotReply is also here). */
  properties: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])),
  /** Extension: the staff a hidden note mentions, in the order it names them (only on hidden notes, so only staff see it). */
  mentions: z.array(UserRef).optional(),
});
export type Message = z.infer<typeof Message>;

// ---------------------------------------------------------------- reply times (extension; conversation lists name them)
export const replyUnits = ['minutes', 'hours', 'days', 'working_days'] as const;
export const ReplyUnit = z.enum(replyUnits);
/** How soon an account (or one of its topics) usually answers: "within 2 working days". */
export const ReplyTime = z.strictObject({
  amount: z.number().int().min(limits.replyAmount.min).max(limits.replyAmount.max),
  unit: ReplyUnit,
});
export type ReplyTime = z.infer<typeof ReplyTime>;

export const ConversationSummary = z.object({
  id: z.string(),
  subject: z.string(),
  status: ConversationStatus,
  accountId: z.string(),
  topic: z.object({ id: z.string(), name: z.string() }).nullable(),
  context: Conversation.shape.context,
  unreadCount: z.number().int(),
  updatedAt: z.string(),
  lastMessage: z.object({
    id: z.string(),
    preview: z.string(),
    authorName: z.string(),
    /** Extension: the author's role, for the sender-type flag. */
    authorRole: Role,
    /** Extension: the author's kind of staff (`support`), when their token named one. */
    authorStaffKind: StaffKind.optional(),
    createdAt: z.string(),
    /**
     * Extension: when the newest message is the automatic acknowledgement of a new question, whom it went to and the
     * expected reply time, so the list words it in the reader's language as the thread does (`preview` is English).
     */
    acknowledgement: z.object({ sentTo: z.string(), replyTime: ReplyTime }).optional(),
  }),
  assigneeId: z.string().nullable(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

// ---------------------------------------------------------------- ratings, "seen" (extensions)

/** A customer's rating of a conversation. Staff and admins see every rating; a customer only their own. */
export const Rating = z.object({
  score: z.number().int().min(1).max(5),
  comment: z.string().nullable(),
  author: UserRef,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Until when its author may change it (`limits.ratingChangeDays` after it was first given). */
  changeableUntil: z.string(),
});
export type Rating = z.infer<typeof Rating>;

/**
 * When the other side first read the latest message of the viewer's side. For customers: when the account's staff read
 * the newest customer message, `by` the account's name with `team: true` (a staff member's name only when the account
 * allows it); for staff: when a customer read the newest visible staff message, `by` that customer.
 */
export const Seen = z.object({ messageId: z.string(), at: z.string(), by: z.object({ name: z.string(), team: z.boolean() }) });
export type Seen = z.infer<typeof Seen>;

/** The parts of a conversation its thread answer (`GET /conversations/:id`) adds. */
export const ConversationDetails = z.object({
  /** The expected reply time of the conversation's topic in its account, else the account's; null when none is set. */
  expectedReply: ReplyTime.nullable(),
  /** Null while the other side has not read the latest message of the viewer's side. */
  seen: Seen.nullable(),
  /** Staff and admins: every rating; customers: their own rating, if any. */
  ratings: z.array(Rating),
});
export type ConversationDetails = z.infer<typeof ConversationDetails>;
/** A conversation as its thread answer gives it. */
export const ThreadConversation = Conversation.extend(ConversationDetails.shape);
export type ThreadConversation = z.infer<typeof ThreadConversation>;

export const RateBody = z.strictObject({
  score: z.number().int().min(1).max(5),
  comment: z.string().trim().max(limits.ratingComment).optional(),
});
export type RateBody = z.infer<typeof RateBody>;
export const RatingResponse = z.object({ rating: Rating });

export const RatingsQuery = z.strictObject({
  accountId: Id,
  /** Start of the period (ISO 8601 date or time, inclusive); default: 30 days before `to`. */
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  /** End of the period (exclusive); default: now. At most `limits.ratingPeriodDays` after `from`. */
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
});
export const RatingSummary = z.object({
  accountId: z.string(),
  from: z.string(),
  to: z.string(),
  count: z.number().int(),
  /** The mean score, null without ratings. */
  mean: z.number().nullable(),
  counts: z.object({ '1': z.number().int(), '2': z.number().int(), '3': z.number().int(), '4': z.number().int(), '5': z.number().int() }),
});
export type RatingSummary = z.infer<typeof RatingSummary>;

export const ReplyTimes = z.object({
  accountId: z.string(),
  replyTime: ReplyTime.nullable(),
  topics: z.array(z.object({ topicId: z.string(), replyTime: ReplyTime })),
});
export type ReplyTimes = z.infer<typeof ReplyTimes>;
export const PutReplyTimeBody = z.strictObject({
  accountId: Id,
  /** The topic whose time overrides the account's; absent: the account's own. */
  topicId: Id.optional(),
  /** Null removes it. */
  replyTime: ReplyTime.nullable(),
});
export type PutReplyTimeBody = z.infer<typeof PutReplyTimeBody>;

export const AccountSettings = z.object({
  accountId: z.string(),
  /** Whether customers' "seen" names the staff member who read (default: the team's name only). */
  showReaderNames: z.boolean(),
});
export type AccountSettings = z.infer<typeof AccountSettings>;
export const PatchAccountSettingsBody = z.strictObject({ showReaderNames: z.boolean() });

export const Me = z.object({
  user: z.object({ id: z.string(), name: z.string(), email: z.string().nullable(), role: Role }),
  accounts: z.array(Account),
  unread: z.object({ inbox: z.number().int() }),
  /** Extension: conversations per folder and how many have something unread. */
  folders: z.object({
    inbox: z.object({ total: z.number().int(), unread: z.number().int() }),
    sent: z.object({ total: z.number().int(), unread: z.number().int() }),
    trash: z.object({ total: z.number().int(), unread: z.number().int() }),
  }),
});
export type Me = z.infer<typeof Me>;

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
export const errorCodes = [
  'bad_request',
  'invalid',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'too_large',
  'unsupported_type',
  'rate_limited',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

// ---------------------------------------------------------------- requests
export const CreateConversationBody = z.strictObject({
  accountId: Id,
  subject: z.string().trim().min(1).max(limits.subject),
  body: z.string().trim().min(1).max(limits.body),
  topicId: Id.optional(),
  recipientIds: z.array(Id).max(limits.recipients).optional(),
  context: Context.optional(),
  attachmentIds: z.array(Id).max(limits.attachments).optional(),
  /** Extension (seed 002): also notify every administrator. Staff and admins only: 403 for customers. */
  notifyAdmins: z.boolean().optional(),
});
export type CreateConversationBody = z.infer<typeof CreateConversationBody>;

export const PostMessageBody = z.strictObject({
  body: z.string().trim().min(1).max(limits.body),
  action: MessageAction.optional(),
  tip: z.string().trim().min(1).max(limits.tip).optional(),
  attachmentIds: z.array(Id).max(limits.attachments).optional(),
  /** Staff and admins only: 403 for customers. */
  notifyAdmins: z.boolean().optional(),
  /**
   * Extension: the message being answered (shown as a quote); returned as `properties.replyToId`, to
   * those who may see the message it names only.
   */
  replyToId: Id.optional(),
  /**
   * Extension: staff of the conversation's account that a hidden note (`internal_note`, `resolve`) mentions, by id;
   * each is notified. 422 with any other action or for anyone else; 403 for customers.
   */
  mentions: z.array(Id).min(1).max(limits.mentions).optional(),
});
export type PostMessageBody = z.infer<typeof PostMessageBody>;

export const AddParticipantsBody = z.strictObject({ userIds: z.array(Id).min(1).max(limits.recipients) });
export type AddParticipantsBody = z.infer<typeof AddParticipantsBody>;

export const PatchConversationBody = z
  .strictObject({ status: ConversationStatus.optional(), assigneeId: Id.nullable().optional() })
  .refine((value) => value.status !== undefined || value.assigneeId !== undefined, {
    message: 'name at least one of status, assigneeId',
  });
export type PatchConversationBody = z.infer<typeof PatchConversationBody>;

export const PutAccountBody = z.strictObject({ name: z.string().trim().min(1).max(200) });

const booleanQuery = z.enum(['true', 'false']).transform((value) => value === 'true');
const intQuery = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/**
 * The `status` filter of a list: a status, or the name a customer's folder gives it (`waiting_for_me`: `attentive`,
 * `solved`: `resolved`).
 */
export const listStatusAliases = { waiting_for_me: 'attentive', solved: 'resolved' } as const satisfies Record<string, ConversationStatus>;
export const ListStatus = z
  .enum([...conversationStatuses, 'waiting_for_me', 'solved'])
  .transform((value): ConversationStatus =>
    value in listStatusAliases ? listStatusAliases[value as keyof typeof listStatusAliases] : (value as ConversationStatus),
  );

export const ListConversationsQuery = z.strictObject({
  folder: Folder.optional(),
  q: z
    .string()
    .max(limits.query)
    .describe(
      `Words to find in subjects and in the message bodies the caller may see, all of them (AND), case- and accent-insensitive. ` +
        `A word of ${limits.searchPrefix} or more characters also finds longer words it begins (\`inspect\` finds "inspection"); ` +
        `\`%\` at its end asks for that explicitly (\`perm%\`) and needs ${limits.searchPrefix} characters. \`%\` alone means everything. ` +
        `At most ${limits.searchTerms} different words (repeats count once); past either bound the answer is 422 naming it.`,
    )
    .optional(),
  unread: booleanQuery.optional(),
  status: ListStatus.optional(),
  accountId: Id.optional(),
  cursor: z.string().max(200).optional(),
  limit: intQuery(1, limits.pageSize.max).optional(),
  /** Extension for staff queues: `me` | `none` | a user id. */
  assignee: z.string().min(1).max(limits.id).optional(),
  /** Extension: `oldest` lists the longest-waiting first. */
  sort: z.enum(['newest', 'oldest']).optional(),
});
export type ListConversationsQuery = z.infer<typeof ListConversationsQuery>;

export const ThreadQuery = z.strictObject({
  before: z.string().max(200).optional(),
  limit: intQuery(1, limits.threadPage.max).optional(),
});

export const AccountQuery = z.strictObject({ accountId: Id });

/** `GET /topics`: with `accountId`, the topics offered in that account (its own and those of every account). */
export const TopicsQuery = z.strictObject({ accountId: Id.optional() });

export const QueueQuery = z.strictObject({
  accountId: Id.optional(),
  status: ConversationStatus.optional(),
  assignee: z.string().min(1).max(limits.id).optional(),
});
export const QueueCounts = z.object({
  status: z.object({ open: z.number().int(), attentive: z.number().int(), answered: z.number().int(), resolved: z.number().int() }),
  assignee: z.object({ me: z.number().int(), none: z.number().int(), all: z.number().int() }),
});
export type QueueCounts = z.infer<typeof QueueCounts>;

// ---------------------------------------------------------------- saved replies (staff)
/** The placeholders a saved reply may hold, as `{{name}}`; the server fills them for a conversation. */
export const savedReplyPlaceholders = ['customer.firstName', 'conversation.subject', 'staff.name'] as const;
export type SavedReplyPlaceholder = (typeof savedReplyPlaceholders)[number];

/** A saved reply: an account's, or shared by every account (`accountId` null). Staff and admins only. */
export const SavedReply = z.object({
  id: z.string(),
  accountId: z.string().nullable(),
  title: z.string(),
  /** Sanitized rich text with its placeholders as written. */
  body: z.string(),
  /** The placeholders the body uses. */
  placeholders: z.array(z.enum(savedReplyPlaceholders)),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SavedReply = z.infer<typeof SavedReply>;
export const SavedReplyResponse = z.object({ savedReply: SavedReply });
export const SavedReplyPage = z.object({ items: z.array(SavedReply), nextCursor: z.string().nullable() });
export type SavedReplyPage = z.infer<typeof SavedReplyPage>;

const SavedReplyTitle = z.string().trim().min(1).max(limits.savedReplyTitle);
const SavedReplyText = z.string().trim().min(1).max(limits.savedReplyBody);
export const CreateSavedReplyBody = z.strictObject({
  /** The account it belongs to; null: shared by every account (admins only). */
  accountId: Id.nullable(),
  title: SavedReplyTitle,
  body: SavedReplyText,
});
export type CreateSavedReplyBody = z.infer<typeof CreateSavedReplyBody>;
export const PatchSavedReplyBody = z
  .strictObject({ title: SavedReplyTitle.optional(), body: SavedReplyText.optional() })
  .refine((value) => value.title !== undefined || value.body !== undefined, { message: 'name at least one of title, body' });
export type PatchSavedReplyBody = z.infer<typeof PatchSavedReplyBody>;

export const SavedRepliesQuery = z.strictObject({
  /** An account the caller acts in: its replies and the shared ones. */
  accountId: Id.optional(),
  /** One word prefix (letters and digits): replies with a word of title or text beginning with it, ignoring case and accents. */
  q: z
    .string()
    .regex(new RegExp(`^[\\p{L}\\p{N}]{1,${limits.savedReplyQuery}}$`, 'u'), `must be one word of 1 to ${limits.savedReplyQuery} letters or digits`)
    .optional(),
  cursor: z.string().max(200).optional(),
  limit: intQuery(1, limits.pageSize.max).optional(),
});
export type SavedRepliesQuery = z.infer<typeof SavedRepliesQuery>;

export const RenderSavedReplyBody = z.strictObject({ conversationId: Id });
export type RenderSavedReplyBody = z.infer<typeof RenderSavedReplyBody>;
/** A saved reply filled in for a conversation; `missing`: placeholders that had nothing to fill (left empty). */
export const RenderedReply = z.object({
  savedReplyId: z.string(),
  conversationId: z.string(),
  title: z.string(),
  body: z.string(),
  missing: z.array(z.enum(savedReplyPlaceholders)),
});
export type RenderedReply = z.infer<typeof RenderedReply>;
export const RenderedReplyResponse = z.object({ rendered: RenderedReply });

// ---------------------------------------------------------------- notification centre (staff)
export const NotificationsQuery = z.strictObject({
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  unread: z.enum(['true', 'false']).optional(),
});

export const NotificationItem = z.object({
  id: z.string(),
  reason: z.string(),
  reasonText: z.string(),
  conversationId: z.string(),
  subject: z.string(),
  messageId: z.string().nullable(),
  preview: z.string().nullable(),
  authorName: z.string().nullable(),
  createdAt: z.string(),
  read: z.boolean(),
});
export type NotificationItem = z.infer<typeof NotificationItem>;

export const NotificationList = z.object({ items: z.array(NotificationItem), nextCursor: z.string().nullable(), unread: z.number().int() });
export type NotificationList = z.infer<typeof NotificationList>;
export const UnreadNotifications = z.object({ unread: z.number().int() });
export const NotifyAdminsResult = z.object({ notified: z.number().int() });

// ---------------------------------------------------------------- audit log (admin)
export const AuditQuery = z.strictObject({
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  /** The acting user's id; `-` for requests without a signed-in user (failed sign-ins, system jobs). */
  actor: z.string().min(1).max(200).optional(),
  /** An exact action such as `message.reply`, or a prefix ending in `.` such as `conversation.`. */
  action: z.string().min(1).max(100).optional(),
  outcome: z.enum(['ok', 'denied']).optional(),
});

export const AuditEvent = z.object({
  id: z.string(),
  at: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  outcome: z.enum(['ok', 'denied']),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  detail: z.unknown().nullable(),
  /** How many times it happened: a refusal repeated by the same user on the same target within a minute adds to this row. */
  count: z.number().int(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;
export const AuditList = z.object({ items: z.array(AuditEvent), nextCursor: z.string().nullable() });

// ---------------------------------------------------------------- token claims
/** An id from a token names a row: no U+0000, which PostgreSQL's text cannot hold (so neither store takes it). */
const tokenId = z
  .string()
  .min(1)
  .max(limits.id)
  .refine((value) => !value.includes('\u0000'), 'must not hold U+0000');

export const TokenClaims = z.object({
  sub: tokenId,
  name: z.string().min(1).max(200),
  email: z.string().email().max(320).optional(),
  role: Role,
  accounts: z.array(tokenId).max(1000),
  /** Extension: a kind of staff (`support`); only with role `staff` or `admin`. */
  staffKind: StaffKind.optional(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

// ---------------------------------------------------------------- events
/** `notification.created` goes only to the notice's recipient (staff and admins: the notification centre). */
export const eventTypes = ['message.created', 'conversation.updated', 'unread.changed', 'notification.created'] as const;
export type EventType = (typeof eventTypes)[number];
export const EventData = z.object({
  conversationId: z.string(),
  messageId: z.string().optional(),
  unread: z.number().int().optional(),
  notificationId: z.string().optional(),
});
export type EventData = z.infer<typeof EventData>;

/**
 * The last event of a stream the server ends on purpose (its `id` is the position the stream had reached, so resuming
 * from it misses nothing). `too_many_streams`: the user
 * opened more streams than the server keeps (`limit`), and this was their oldest. Opening it again would close
 * another of the user's streams, so a client stops here instead of reconnecting.
 */
export const streamClosedEvent = 'stream.closed';
export const StreamClosedData = z.object({ reason: z.enum(['too_many_streams']), limit: z.number().int() });
export type StreamClosedData = z.infer<typeof StreamClosedData>;

/**
 * "<name> is writing" (staff and admins): an ephemeral event, sent without an `id`, never stored nor replayed. It holds
 * for `expiresInSeconds` unless another follows.
 */
export const typingEvent = 'typing';
export const TypingData = z.object({ conversationId: z.string(), user: UserRef, expiresInSeconds: z.number().int() });
export type TypingData = z.infer<typeof TypingData>;

// ---------------------------------------------------------------- rich text
export { richText } from './rich-text.js';
