/**
 * The OpenAPI 3.1 document of the API, generated from the schemas of this package: every body, query and
 * response is a named component (`#/components/schemas/<Name>`), every operation has an `operationId` and its
 * error answers. The server serves it at `GET /api/v1/openapi.json`; `openapi-types.ts` holds the TypeScript
 * `paths` generated from it for typed clients (`openapi-fetch`).
 */
import { z } from 'zod';
import * as p from './index.js';

export type { components, operations as operationTypes, paths } from './openapi-types.js';

// ---------------------------------------------------------------- answers that wrap the resources
export const TopicList = z.object({ items: z.array(p.Topic) });
export const PersonList = z.object({ items: z.array(p.UserRef) });
export const StatusUpdateList = z.object({ items: z.array(p.Message) });
export const AccountResponse = z.object({ account: p.Account });
export const ConversationPage = z.object({ items: z.array(p.ConversationSummary), nextCursor: z.string().nullable() });
export const ConversationResponse = z.object({ conversation: p.Conversation });
export const Thread = z.object({ conversation: p.ThreadConversation, messages: z.array(p.Message), nextCursor: z.string().nullable() });
export const MessageResponse = z.object({ message: p.Message });
export const AttachmentResponse = z.object({ attachment: p.Attachment });
export const AccountSettingsResponse = z.object({ settings: p.AccountSettings });
export const Health = z.object({ ok: z.literal(true), version: z.string() });
export const Readiness = z.object({ ok: z.literal(true), version: z.string(), migrated: z.literal(true) });

/** Components read by the server (request bodies and queries), described as a client sends them. */
const requestSchemas = {
  CreateConversationBody: p.CreateConversationBody,
  PostMessageBody: p.PostMessageBody,
  AddParticipantsBody: p.AddParticipantsBody,
  PatchConversationBody: p.PatchConversationBody,
  PutAccountBody: p.PutAccountBody,
  ListConversationsQuery: p.ListConversationsQuery,
  ThreadQuery: p.ThreadQuery,
  AccountQuery: p.AccountQuery,
  TopicsQuery: p.TopicsQuery,
  QueueQuery: p.QueueQuery,
  NotificationsQuery: p.NotificationsQuery,
  AuditQuery: p.AuditQuery,
  RateBody: p.RateBody,
  RatingsQuery: p.RatingsQuery,
  PutReplyTimeBody: p.PutReplyTimeBody,
  PatchAccountSettingsBody: p.PatchAccountSettingsBody,
  SavedRepliesQuery: p.SavedRepliesQuery,
  CreateSavedReplyBody: p.CreateSavedReplyBody,
  PatchSavedReplyBody: p.PatchSavedReplyBody,
  RenderSavedReplyBody: p.RenderSavedReplyBody,
} satisfies Record<string, z.ZodType>;

/** Components the server answers with, described as a client receives them. */
const responseSchemas = {
  Error: p.ErrorBody,
  UserRef: p.UserRef,
  Account: p.Account,
  Topic: p.Topic,
  Attachment: p.Attachment,
  Conversation: p.Conversation,
  ThreadConversation: p.ThreadConversation,
  ReplyTime: p.ReplyTime,
  Rating: p.Rating,
  Seen: p.Seen,
  Message: p.Message,
  ConversationSummary: p.ConversationSummary,
  Me: p.Me,
  TopicList,
  PersonList,
  StatusUpdateList,
  AccountResponse,
  QueueCounts: p.QueueCounts,
  ConversationPage,
  ConversationResponse,
  Thread,
  MessageResponse,
  AttachmentResponse,
  NotifyAdminsResult: p.NotifyAdminsResult,
  NotificationItem: p.NotificationItem,
  NotificationList: p.NotificationList,
  UnreadNotifications: p.UnreadNotifications,
  AuditEvent: p.AuditEvent,
  AuditList: p.AuditList,
  RatingResponse: p.RatingResponse,
  RatingSummary: p.RatingSummary,
  ReplyTimes: p.ReplyTimes,
  AccountSettings: p.AccountSettings,
  AccountSettingsResponse,
  EventData: p.EventData,
  StreamClosedData: p.StreamClosedData,
  TypingData: p.TypingData,
  SavedReply: p.SavedReply,
  SavedReplyResponse: p.SavedReplyResponse,
  SavedReplyPage: p.SavedReplyPage,
  RenderedReply: p.RenderedReply,
  RenderedReplyResponse: p.RenderedReplyResponse,
  Health,
  Readiness,
} satisfies Record<string, z.ZodType>;

type RequestName = keyof typeof requestSchemas;
type ResponseName = keyof typeof responseSchemas;

/** Client errors an operation can answer; each is documented with the `Error` schema. */
export type ClientError = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429;

export interface Operation {
  operationId: string;
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Under /api/v1, in OpenAPI form (`{id}`), except `/healthz`, which sits at the root. */
  path: string;
  summary: string;
  body?: RequestName;
  query?: RequestName;
  ok: number;
  response?: ResponseName;
  /** Answers other than JSON: an event stream or a download. */
  media?: 'text/event-stream' | 'application/octet-stream' | 'text/plain';
  /** Reachable without a token. */
  public?: boolean;
  /** A multipart/form-data upload with one `file` field instead of a JSON body. */
  upload?: boolean;
  /** Client errors beyond those every operation of its kind answers (see `clientErrors`). */
  errors?: ClientError[];
  /** The `{id}` names something the call creates when it is missing, so it never answers 404. */
  upsert?: boolean;
}

/** Outside the API base path: at the server's root. */
export const rootPaths: readonly string[] = ['/healthz', '/readyz', '/metrics'];

const states = ['read', 'unread', 'trash', 'restore', 'leave'] as const;
const stateIds: Record<(typeof states)[number], string> = {
  read: 'markConversationRead',
  unread: 'markConversationUnread',
  trash: 'trashConversation',
  restore: 'restoreConversation',
  leave: 'leaveConversation',
};
const stateSummaries: Record<(typeof states)[number], string> = {
  read: 'Mark the conversation read for the caller',
  unread: 'Keep the conversation unread for the caller until they open it again',
  trash: "Move the conversation to the caller's trash",
  restore: "Bring the conversation back from the caller's trash",
  leave: "Stop being a participant: the conversation leaves all the caller's folders",
};

/** Every route of the server; a test checks this list against the app's routes so the document cannot drift. */
export const operations: Operation[] = [
  {
    operationId: 'getHealth',
    method: 'get',
    path: '/healthz',
    summary: 'Whether the server can answer (public, open to every origin)',
    ok: 200,
    response: 'Health',
    public: true,
  },
  {
    operationId: 'getReadiness',
    method: 'get',
    path: '/readyz',
    summary: 'Whether the server takes work: migrations ran and no drain began (public)',
    ok: 200,
    response: 'Readiness',
    public: true,
  },
  {
    operationId: 'getMetrics',
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: only when SECURE_INBOX_METRICS_TOKEN is set, and then only with `Authorization: Bearer <that token>`',
    ok: 200,
    media: 'text/plain',
    public: true,
  },
  { operationId: 'getOpenApiDocument', method: 'get', path: '/openapi.json', summary: 'This document', ok: 200, public: true },
  { operationId: 'getMe', method: 'get', path: '/me', summary: 'The caller, their accounts and unread count', ok: 200, response: 'Me' },
  {
    operationId: 'listTopics',
    method: 'get',
    path: '/topics',
    summary: "Topics for the compose form: those of the caller's accounts (or of `accountId`, one of them) and those of every account",
    query: 'TopicsQuery',
    ok: 200,
    response: 'TopicList',
    errors: [403],
  },
  {
    operationId: 'listDirectory',
    method: 'get',
    path: '/directory',
    summary: 'People the caller may address in an account',
    query: 'AccountQuery',
    ok: 200,
    response: 'PersonList',
    errors: [403],
  },
  {
    operationId: 'listStatusUpdates',
    method: 'get',
    path: '/status-updates',
    summary: "The account's Status tab",
    query: 'AccountQuery',
    ok: 200,
    response: 'StatusUpdateList',
    errors: [403],
  },
  {
    operationId: 'putAccount',
    method: 'put',
    path: '/accounts/{id}',
    summary: 'Provision an account name (admin); the account is created when it is new',
    body: 'PutAccountBody',
    ok: 200,
    response: 'AccountResponse',
    upsert: true,
  },
  {
    operationId: 'getQueueCounts',
    method: 'get',
    path: '/queues',
    summary: 'Staff queue counts per status and assignee filter',
    query: 'QueueQuery',
    ok: 200,
    response: 'QueueCounts',
    errors: [403],
  },
  {
    operationId: 'listConversations',
    method: 'get',
    path: '/conversations',
    summary: 'List a folder, search, filter (keyset pagination)',
    query: 'ListConversationsQuery',
    ok: 200,
    response: 'ConversationPage',
    errors: [403],
  },
  {
    operationId: 'createConversation',
    method: 'post',
    path: '/conversations',
    summary: 'Start a conversation',
    body: 'CreateConversationBody',
    ok: 201,
    response: 'ConversationResponse',
    errors: [404],
  },
  {
    operationId: 'getConversation',
    method: 'get',
    path: '/conversations/{id}',
    summary: 'A conversation and a page of its messages (oldest first)',
    query: 'ThreadQuery',
    ok: 200,
    response: 'Thread',
  },
  {
    operationId: 'updateConversation',
    method: 'patch',
    path: '/conversations/{id}',
    summary: 'Change status or assignee (staff)',
    body: 'PatchConversationBody',
    ok: 200,
    response: 'ConversationResponse',
  },
  {
    operationId: 'postMessage',
    method: 'post',
    path: '/conversations/{id}/messages',
    summary: 'Post a message with one of the six actions',
    body: 'PostMessageBody',
    ok: 201,
    response: 'MessageResponse',
  },
  {
    operationId: 'addParticipants',
    method: 'post',
    path: '/conversations/{id}/participants',
    summary: 'Add participants from the account',
    body: 'AddParticipantsBody',
    ok: 200,
    response: 'ConversationResponse',
  },
  ...states.map((change): Operation => ({
    operationId: stateIds[change],
    method: 'post',
    path: `/conversations/{id}/${change}`,
    summary: stateSummaries[change],
    ok: 204,
  })),
  {
    operationId: 'notifyAdmins',
    method: 'post',
    path: '/conversations/{id}/notify-admins',
    summary: 'Notify all administrators about a conversation (staff)',
    ok: 202,
    response: 'NotifyAdminsResult',
  },
  {
    operationId: 'solveConversation',
    method: 'post',
    path: '/conversations/{id}/solve',
    summary: 'Mark the conversation solved (`resolved`); a customer their own',
    ok: 200,
    response: 'ConversationResponse',
  },
  {
    operationId: 'reopenConversation',
    method: 'post',
    path: '/conversations/{id}/reopen',
    summary: 'Open the conversation again: it waits for staff (`open`)',
    ok: 200,
    response: 'ConversationResponse',
  },
  {
    operationId: 'rateConversation',
    method: 'put',
    path: '/conversations/{id}/rating',
    summary: "Give or change the caller's rating (customers; once answered or solved; changeable for 7 days)",
    body: 'RateBody',
    ok: 200,
    response: 'RatingResponse',
    errors: [403, 409],
  },
  {
    operationId: 'getRatingSummary',
    method: 'get',
    path: '/ratings',
    summary: "An account's ratings over a period: counts per score and the mean (staff, admin)",
    query: 'RatingsQuery',
    ok: 200,
    response: 'RatingSummary',
    errors: [403],
  },
  {
    operationId: 'getReplyTimes',
    method: 'get',
    path: '/reply-times',
    summary: "An account's expected reply time and its topics' own",
    query: 'AccountQuery',
    ok: 200,
    response: 'ReplyTimes',
    errors: [403],
  },
  {
    operationId: 'putReplyTime',
    method: 'put',
    path: '/reply-times',
    summary: 'Set or remove the expected reply time of an account or of a topic in it (staff, admin)',
    body: 'PutReplyTimeBody',
    ok: 200,
    response: 'ReplyTimes',
    errors: [403],
  },
  {
    operationId: 'getAccountSettings',
    method: 'get',
    path: '/accounts/{id}/settings',
    summary: "An account's settings (staff, admin of the account)",
    ok: 200,
    response: 'AccountSettingsResponse',
    errors: [403],
  },
  {
    operationId: 'patchAccountSettings',
    method: 'patch',
    path: '/accounts/{id}/settings',
    summary: "Change an account's settings (admin)",
    body: 'PatchAccountSettingsBody',
    ok: 200,
    response: 'AccountSettingsResponse',
    errors: [403],
  },
  {
    operationId: 'postTyping',
    method: 'post',
    path: '/conversations/{id}/typing',
    summary: `Tell the other staff who see the conversation that the caller is writing (staff, admin): an ephemeral \`${p.typingEvent}\` event (a TypingData), never stored; at most ${p.limits.typingPerMinute} a minute`,
    ok: 204,
  },
  {
    operationId: 'listSavedReplies',
    method: 'get',
    path: '/saved-replies',
    summary: "Saved replies of the caller's accounts (or of `accountId`) and the shared ones, by title; `q` finds a word prefix (staff, admin)",
    query: 'SavedRepliesQuery',
    ok: 200,
    response: 'SavedReplyPage',
    errors: [403],
  },
  {
    operationId: 'createSavedReply',
    method: 'post',
    path: '/saved-replies',
    summary: `Save a reply for an account, or shared by every account (admin); at most ${p.limits.savedRepliesPerAccount} per account; unknown placeholders are a 422 naming them`,
    body: 'CreateSavedReplyBody',
    ok: 201,
    response: 'SavedReplyResponse',
  },
  {
    operationId: 'getSavedReply',
    method: 'get',
    path: '/saved-replies/{id}',
    summary: 'One saved reply (staff, admin who may see it)',
    ok: 200,
    response: 'SavedReplyResponse',
    errors: [403],
  },
  {
    operationId: 'updateSavedReply',
    method: 'patch',
    path: '/saved-replies/{id}',
    summary: "Change a saved reply's title or body (staff and admins of its account; shared ones: admin)",
    body: 'PatchSavedReplyBody',
    ok: 200,
    response: 'SavedReplyResponse',
  },
  {
    operationId: 'deleteSavedReply',
    method: 'delete',
    path: '/saved-replies/{id}',
    summary: 'Delete a saved reply (staff and admins of its account; shared ones: admin)',
    ok: 204,
  },
  {
    operationId: 'renderSavedReply',
    method: 'post',
    path: '/saved-replies/{id}/render',
    summary: 'A saved reply with its placeholders filled for a conversation the caller sees, from what they may see',
    body: 'RenderSavedReplyBody',
    ok: 200,
    response: 'RenderedReplyResponse',
  },
  {
    operationId: 'uploadAttachment',
    method: 'post',
    path: '/attachments',
    summary: 'Upload a file (multipart, field `file`), typed from its bytes; deleted if not sent with a message within 24 hours',
    upload: true,
    ok: 201,
    response: 'AttachmentResponse',
    errors: [400, 413, 415, 422],
  },
  {
    operationId: 'downloadAttachment',
    method: 'get',
    path: '/attachments/{id}',
    summary: 'Download a file, always as an attachment (409 while scanning or when infected)',
    ok: 200,
    media: 'application/octet-stream',
    errors: [409],
  },
  {
    operationId: 'listNotifications',
    method: 'get',
    path: '/notifications',
    summary: "The caller's notification centre, newest first (staff; keyset pagination)",
    query: 'NotificationsQuery',
    ok: 200,
    response: 'NotificationList',
    errors: [403],
  },
  {
    operationId: 'getUnreadNotificationCount',
    method: 'get',
    path: '/notifications/unread-count',
    summary: 'Unread notices in the notification centre (staff)',
    ok: 200,
    response: 'UnreadNotifications',
    errors: [403],
  },
  { operationId: 'markNotificationRead', method: 'post', path: '/notifications/{id}/read', summary: 'Mark one notice read (staff)', ok: 204 },
  { operationId: 'markAllNotificationsRead', method: 'post', path: '/notifications/read-all', summary: 'Mark every notice read (staff)', ok: 204 },
  {
    operationId: 'streamEvents',
    method: 'get',
    path: '/events',
    summary:
      `Live events as text/event-stream (${p.eventTypes.join(', ')}; \`data:\` is an EventData); resume with Last-Event-ID; ends at the token expiry, ` +
      `or with a ${p.streamClosedEvent} event (a StreamClosedData: {"reason":"too_many_streams","limit"}) when the user opens more than ` +
      'SECURE_INBOX_STREAMS_PER_USER streams (do not reconnect from it); 429 past the opens per user per minute or the streams per address',
    ok: 200,
    media: 'text/event-stream',
  },
  {
    operationId: 'listAuditEvents',
    method: 'get',
    path: '/audit',
    summary: 'The audit log, newest first (admin; keyset pagination, filters actor, action, outcome)',
    query: 'AuditQuery',
    ok: 200,
    response: 'AuditList',
    errors: [403],
  },
];

/**
 * The client errors of one operation: those of its kind (a token, a body, a query, an id, a write) and its own.
 * Every answer with a token can be rate limited (reads too); every write is refused (403) from an origin that is not allowed.
 */
export function clientErrors(op: Operation): ClientError[] {
  if (op.public) return [];
  const errors = new Set<ClientError>([401, 429, ...(op.errors ?? [])]);
  if (op.body) for (const status of [400, 413, 415, 422] as const) errors.add(status);
  if (op.query) errors.add(422);
  if (op.path.includes('{id}') && !op.upsert) errors.add(404);
  if (op.method !== 'get') errors.add(403);
  return [...errors].sort((a, b) => a - b);
}

/** Why a token was refused, in `error.details.reason`; `missing` when none was sent (which never counts as a failed sign-in). */
export const tokenRefusals = ['missing', 'expired', 'audience', 'issuer', 'signature', 'claims', 'lifetime'] as const;

const errorRef = { $ref: '#/components/schemas/Error' };
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } };

const errorAnswers: Record<ClientError, { description: string; headers?: object; schema?: object }> = {
  400: { description: '`bad_request`: the body does not parse (JSON), or the upload was cut off' },
  401: {
    description: `The token is missing or refused: \`error.code\` is \`unauthorized\`, \`error.details.reason\` one of ${tokenRefusals.join(', ')}, and the message names the setting to change`,
    schema: {
      ...errorRef,
      type: 'object',
      properties: {
        error: {
          type: 'object',
          properties: {
            code: { const: 'unauthorized' },
            message: { type: 'string' },
            details: { type: 'object', properties: { reason: { enum: [...tokenRefusals] } }, required: ['reason'] },
          },
          required: ['code', 'message', 'details'],
        },
      },
      required: ['error'],
    },
  },
  403: {
    description:
      '`forbidden`: the caller can see the resource but their role may not take this action, or acts in an account outside their claims; also any write from an origin not in SECURE_INBOX_ALLOWED_ORIGINS',
  },
  404: { description: '`not_found`: an unknown id and an id the caller may not see answer alike' },
  409: {
    description:
      '`conflict`: the file waits for its virus scan (`details.scanStatus` `pending`, with Retry-After) or was found infected; a conversation that cannot be rated yet (not answered or solved), or a rating past the days it may be changed',
    headers: retryAfter,
  },
  413: { description: '`too_large`: the body is over its limit (1 MiB of JSON; SECURE_INBOX_MAX_UPLOAD_BYTES for a file, in `details.limit`)' },
  415: {
    description: '`unsupported_type`: a body that is not JSON (resp. not multipart/form-data), or a file type outside the allow-list, decided from its bytes',
  },
  422: { description: '`invalid`: well-formed input that breaks a rule, unknown fields included; `details` names the fields (`[{"field","message"}]`)' },
  429: { description: '`rate_limited`: too many requests this minute (SECURE_INBOX_RATE_LIMIT writes per user, reads and sign-ins too)', headers: retryAfter },
};

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[]; description?: string };

/** One registry's schemas as components; references between them point at `#/components/schemas/<Name>`. */
function components(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: out } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const named: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(out)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    named[id] = rest;
  }
  return named;
}

const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export function openApiDocument() {
  const schemas = { ...components(requestSchemas, 'input'), ...components(responseSchemas, 'output') };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const parameters: unknown[] = [];
    for (const match of op.path.matchAll(/\{(\w+)\}/g)) parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
    if (op.query) {
      const query = schemas[op.query]!;
      for (const [name, { description, ...schema }] of Object.entries(query.properties ?? {})) {
        parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, ...(description ? { description } : {}), schema });
      }
    }
    if (op.media === 'text/event-stream') {
      parameters.push({
        name: 'Last-Event-ID',
        in: 'header',
        required: false,
        description: 'The id of the last event received: the stream resumes after it',
        schema: { type: 'string' },
      });
    }
    const success = op.response
      ? { description: 'OK', content: json(ref(op.response)) }
      : op.media === 'text/event-stream'
        ? { description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }
        : op.media === 'application/octet-stream'
          ? {
              description: 'The bytes, with Content-Disposition: attachment',
              content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
            }
          : op.media === 'text/plain'
            ? { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }
            : op.operationId === 'getOpenApiDocument'
              ? { description: 'This document', content: json({ type: 'object' }) }
              : { description: 'Done' };
    const responses: Record<string, unknown> = { [op.ok]: success };
    for (const status of clientErrors(op)) {
      const { description, headers, schema } = errorAnswers[status];
      responses[status] = { description, ...(headers ? { headers } : {}), content: json(schema ?? errorRef) };
    }
    if (op.path === '/healthz') responses[503] = { description: 'The store does not answer: a sentence saying why' };
    if (op.path === '/readyz') responses[503] = { description: 'The server is starting or draining (`state`): send requests to another instance' };
    if (op.path === '/metrics') {
      responses[401] = { description: '`unauthorized`: the metrics token is missing or wrong', content: json(errorRef) };
      responses[404] = { description: '`not_found`: metrics are off (SECURE_INBOX_METRICS_TOKEN is not set)', content: json(errorRef) };
    }
    paths[op.path] ??= rootPaths.includes(op.path) ? { servers: [{ url: '/' }] } : {};
    paths[op.path]![op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.public ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: json(ref(op.body)) } } : {}),
      ...(op.upload
        ? {
            requestBody: {
              required: true,
              content: {
                'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } },
              },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Secure Inbox API',
      version: '1.0.0',
      description:
        "The backend-for-frontend of the Secure Inbox message centre. Every answer under this path carries the server's version in `Secure-Inbox-Version` (also in `GET /healthz`, which is public and open to every origin). " +
        'Every error is JSON: `{"error":{"code","message","details"?}}` (the `Error` schema).',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: p.API_BASE_PATH }],
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A short-lived JWT minted by the host site. Claims: sub, name, email (optional), role (customer | staff | admin), accounts, aud, exp; ' +
            'extension: staffKind (optional, staff and admins only): "support" marks the portal vendor\'s support, shown as the Support sender type ' +
            '(author.staffKind, lastMessage.authorStaffKind); it grants nothing.',
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
