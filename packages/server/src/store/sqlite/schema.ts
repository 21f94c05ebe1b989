/**
 * The Secure Inbox schema. camelCase in TypeScript, snake_case in SQL.
 * Every list query is backed by an index named here.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;

export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  /** The provisioned name; null until provisioned (the id is shown instead). */
  name: text('name'),
  createdAt: text('created_at').notNull().default(now),
});

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email'),
  role: text('role', { enum: ['customer', 'staff', 'admin'] }).notNull(),
  /** The kind of staff the token names (`support`), or null. */
  staffKind: text('staff_kind', { enum: ['support'] }),
  createdAt: text('created_at').notNull().default(now),
  updatedAt: text('updated_at').notNull().default(now),
});

/** Which accounts a user acts in, as last named by their token. */
export const memberships = sqliteTable(
  'memberships',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
  },
  (t) => [primaryKey({ columns: [t.userId, t.accountId] }), index('memberships_account_idx').on(t.accountId, t.userId)],
);

export const topics = sqliteTable(
  'topics',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** New questions on this topic are assigned to this staff member. */
    defaultAssigneeId: text('default_assignee_id').references(() => users.id),
    position: integer('position').notNull().default(0),
    /** The account whose compose form offers this topic; null: every account's. */
    accountId: text('account_id').references(() => accounts.id),
  },
  (t) => [index('topics_account_idx').on(t.accountId, t.position)],
);

export const conversations = sqliteTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    subject: text('subject').notNull(),
    topicId: text('topic_id').references(() => topics.id),
    contextKind: text('context_kind'),
    contextRef: text('context_ref'),
    contextTitle: text('context_title'),
    contextUrl: text('context_url'),
    status: text('status', { enum: ['open', 'attentive', 'answered', 'resolved'] }).notNull(),
    assigneeId: text('assignee_id').references(() => users.id),
    createdBy: text('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
    /** Time of the last change a customer may see (hidden notes do not move it). */
    publicUpdatedAt: text('public_updated_at').notNull(),
    /** Seq of the newest message of any kind (staff ordering and previews). */
    lastSeq: integer('last_seq').notNull().default(0),
    /** Seq of the newest message a customer may see (customer ordering and previews). */
    lastPublicSeq: integer('last_public_seq').notNull().default(0),
    /** Seq of the first message: "oldest waiting first" in staff queues. */
    firstSeq: integer('first_seq').notNull().default(0),
  },
  (t) => [
    index('conversations_account_last_idx').on(t.accountId, t.lastSeq),
    index('conversations_account_public_idx').on(t.accountId, t.lastPublicSeq),
    index('conversations_last_idx').on(t.lastSeq),
    index('conversations_assignee_idx').on(t.assigneeId, t.lastSeq),
  ],
);

/**
 * Per-user state of a conversation. A row exists for every participant and for any other user
 * (staff of the account) who read, trashed or wrote in it.
 */
export const conversationUsers = sqliteTable(
  'conversation_users',
  {
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    /** A current participant (customers see only conversations they participate in). */
    participant: integer('participant', { mode: 'boolean' }).notNull().default(false),
    hasLeft: integer('has_left', { mode: 'boolean' }).notNull().default(false),
    trashed: integer('trashed', { mode: 'boolean' }).notNull().default(false),
    lastReadSeq: integer('last_read_seq').notNull().default(0),
    forcedUnread: integer('forced_unread', { mode: 'boolean' }).notNull().default(false),
    /** Seq of the user's newest own message: the Sent folder's order; 0 when they never wrote. */
    lastSentSeq: integer('last_sent_seq').notNull().default(0),
    joinedAt: text('joined_at').notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.userId] }),
    index('conversation_users_user_idx').on(t.userId, t.participant, t.hasLeft, t.trashed),
    index('conversation_users_sent_idx').on(t.userId, t.lastSentSeq),
  ],
);

/** Participants who left a conversation, and when: the thread shows "Priya Shah left" to the others. */
export const departures = sqliteTable(
  'departures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    at: text('at').notNull(),
  },
  (t) => [index('departures_conversation_idx').on(t.conversationId, t.at)],
);

export const messages = sqliteTable(
  'messages',
  {
    /** Monotonic order of all messages; also the rowid of the search index. */
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id),
    /** Denormalised from the conversation: the Status tab lists by account. */
    accountId: text('account_id').notNull(),
    kind: text('kind', { enum: ['message', 'public_note', 'resolve_note', 'internal_note', 'status_update', 'acknowledgement'] }).notNull(),
    body: text('body').notNull(),
    /** Plain-text rendering of the body, for previews, search and e-mail. */
    text: text('text').notNull(),
    authorId: text('author_id')
      .notNull()
      .references(() => users.id),
    tip: text('tip'),
    /** DoNotReply: never shown to customers through any channel. */
    doNotReply: integer('do_not_reply', { mode: 'boolean' }).notNull().default(false),
    /**
     * Written while no customer took part in the conversation (staff among themselves): kept from
     * customers like DoNotReply, so a customer added later sees the conversation from then on.
     */
    staffOnly: integer('staff_only', { mode: 'boolean' }).notNull().default(false),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('messages_id_idx').on(t.id),
    // Covers unread counts (author and visibility read from the index, not the table).
    index('messages_conversation_idx').on(t.conversationId, t.seq, t.authorId, t.doNotReply, t.staffOnly),
    // Only status updates: other messages never touch it on insert.
    index('messages_status_updates_idx')
      .on(t.accountId, t.seq)
      .where(sql`kind = 'status_update'`),
  ],
);

/** Extensible interaction properties of a message (DoNotReply is mirrored here too). */
export const messageProperties = sqliteTable(
  'message_properties',
  {
    messageSeq: integer('message_seq')
      .notNull()
      .references(() => messages.seq),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.messageSeq, t.key] })],
);

export const attachments = sqliteTable(
  'attachments',
  {
    id: text('id').primaryKey(),
    uploaderId: text('uploader_id')
      .notNull()
      .references(() => users.id),
    name: text('name').notNull(),
    size: integer('size').notNull(),
    contentType: text('content_type').notNull(),
    sha256: text('sha256').notNull(),
    /** Set once the upload is sent with a message. */
    messageSeq: integer('message_seq').references(() => messages.seq),
    /** pending | clean | infected */
    scanStatus: text('scan_status').notNull().default('clean'),
    createdAt: text('created_at').notNull().default(now),
  },
  (t) => [index('attachments_message_idx').on(t.messageSeq), index('attachments_uploader_idx').on(t.uploaderId)],
);

/** The notifications outbox: written in the same transaction as the message that caused it. */
export const notifications = sqliteTable(
  'notifications',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    channel: text('channel', { enum: ['email', 'in_app'] }).notNull(),
    reason: text('reason').notNull(),
    conversationId: text('conversation_id').notNull(),
    messageSeq: integer('message_seq'),
    /** Unique per recipient and cause: the same notice is never queued twice. */
    dedupeKey: text('dedupe_key').notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed', 'read'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull().default(now),
    lastError: text('last_error'),
    createdAt: text('created_at').notNull().default(now),
    deliveredAt: text('delivered_at'),
  },
  (t) => [
    uniqueIndex('notifications_dedupe_idx').on(t.dedupeKey),
    index('notifications_due_idx').on(t.channel, t.status, t.nextAttemptAt),
    index('notifications_user_idx').on(t.userId, t.channel, t.id),
  ],
);

/** The durable per-user event log behind the event stream (replay with Last-Event-ID). */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id').notNull(),
    type: text('type').notNull(),
    data: text('data').notNull(),
    createdAt: text('created_at').notNull().default(now),
  },
  (t) => [index('events_user_idx').on(t.userId, t.id)],
);

/** Append-only record of every state change and every denied access. */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at').notNull().default(now),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    outcome: text('outcome', { enum: ['ok', 'denied'] }).notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    detail: text('detail'),
    /** Refusals of the same action on the same target by the same user within a minute share one row (domain/audit.ts). */
    count: integer('count').notNull().default(1),
    /**
     * On a refusal by a signed-in user, what makes it a repeat: the user, action, target and minute (domain/audit.ts).
     * Unique, so that refusals arriving together add to one row's count on either store; null on every other row.
     */
    repeatKey: text('repeat_key'),
  },
  (t) => [index('audit_events_at_idx').on(t.at), uniqueIndex('audit_events_repeat_key_idx').on(t.repeatKey)],
);

/** A customer's rating of a conversation (domain/ratings.ts): one per customer and conversation, changeable for a while. */
export const ratings = sqliteTable(
  'ratings',
  {
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    /** Denormalised from the conversation: the summary counts by account and period. */
    accountId: text('account_id').notNull(),
    score: integer('score').notNull(),
    comment: text('comment'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.userId] }), index('ratings_account_idx').on(t.accountId, t.updatedAt)],
);

/** Settings an account's staff keep for it (domain/reply-times.ts, domain/seen.ts). */
export const accountSettings = sqliteTable('account_settings', {
  accountId: text('account_id')
    .primaryKey()
    .references(() => accounts.id),
  /** The expected reply time; both null when none is stated. */
  replyAmount: integer('reply_amount'),
  replyUnit: text('reply_unit', { enum: ['minutes', 'hours', 'days', 'working_days'] }),
  /** Whether customers' "seen" names the staff member who read. */
  showReaderNames: integer('show_reader_names', { mode: 'boolean' }).notNull().default(false),
});

/** A topic's expected reply time in one account, overriding the account's. */
export const topicReplyTimes = sqliteTable(
  'topic_reply_times',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    topicId: text('topic_id')
      .notNull()
      .references(() => topics.id),
    amount: integer('amount').notNull(),
    unit: text('unit', { enum: ['minutes', 'hours', 'days', 'working_days'] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.topicId] })],
);

/**
 * "Seen" (domain/seen.ts): per conversation and side, the newest message of the other side that this side has read,
 * and when it was first read. `side` `staff`: staff read the customers' message; `customer`: a customer read staff's.
 */
export const seenMarks = sqliteTable(
  'seen_marks',
  {
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id),
    side: text('side', { enum: ['staff', 'customer'] }).notNull(),
    messageSeq: integer('message_seq').notNull(),
    readerId: text('reader_id')
      .notNull()
      .references(() => users.id),
    at: text('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.side] })],
);

/**
 * Saved replies (domain/saved-replies.ts): an account's, or shared by every account (`account_id` null). `title_key`
 * orders them by title ignoring case; `search_text` holds the words of title and text, folded, each after a space,
 * so a word prefix is one LIKE.
 */
export const savedReplies = sqliteTable(
  'saved_replies',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id'),
    title: text('title').notNull(),
    titleKey: text('title_key').notNull(),
    /** Sanitized rich text, placeholders kept as written. */
    body: text('body').notNull(),
    searchText: text('search_text').notNull(),
    createdBy: text('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('saved_replies_account_idx').on(t.accountId, t.titleKey, t.id)],
);

/** The staff an internal note mentions (domain/mentions.ts), in the order the note names them. */
export const messageMentions = sqliteTable(
  'message_mentions',
  {
    messageSeq: integer('message_seq')
      .notNull()
      .references(() => messages.seq),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    position: integer('position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.messageSeq, t.userId] })],
);
