import * as p from '@secure-inbox/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import { NotificationList, NotificationsQuery, NotifyAdminsResult, UnreadNotifications } from '../notify/routes.js';
import { AuditList, AuditQuery } from './audit.js';

type Op = {
  method: 'get' | 'post' | 'patch' | 'put';
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  ok: number;
  response?: z.ZodType;
  public?: boolean;
  /** A multipart/form-data upload with one `file` field instead of a JSON body. */
  upload?: boolean;
};

const conversationOut = z.object({ conversation: p.Conversation });
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** Every route of the API; a test checks this list against the app's routes so the document cannot drift. */
export const operations: Op[] = [
  { method: 'get', path: '/me', summary: 'The caller, their accounts and unread count', ok: 200, response: p.Me },
  { method: 'get', path: '/topics', summary: "Topics for the compose form: those of the caller's accounts (or of `accountId`, one of them) and those of every account", query: p.TopicsQuery, ok: 200, response: z.object({ items: z.array(p.Topic) }) },
  { method: 'get', path: '/directory', summary: 'People the caller may address in an account', query: p.AccountQuery, ok: 200, response: z.object({ items: z.array(p.UserRef) }) },
  { method: 'get', path: '/status-updates', summary: "The account's Status tab", query: p.AccountQuery, ok: 200, response: z.object({ items: z.array(p.Message) }) },
  { method: 'put', path: '/accounts/{id}', summary: 'Provision an account name (admin)', body: p.PutAccountBody, ok: 200, response: z.object({ account: p.Account }) },
  { method: 'get', path: '/queues', summary: 'Staff queue counts per status and assignee filter', query: p.QueueQuery, ok: 200, response: p.QueueCounts },
  { method: 'get', path: '/conversations', summary: 'List a folder, search, filter (keyset pagination)', query: p.ListConversationsQuery, ok: 200, response: page(p.ConversationSummary) },
  { method: 'post', path: '/conversations', summary: 'Start a conversation', body: p.CreateConversationBody, ok: 201, response: conversationOut },
  { method: 'get', path: '/conversations/{id}', summary: 'A conversation and a page of its messages (oldest first)', query: p.ThreadQuery, ok: 200, response: z.object({ conversation: p.Conversation, messages: z.array(p.Message), nextCursor: z.string().nullable() }) },
  { method: 'patch', path: '/conversations/{id}', summary: 'Change status or assignee (staff)', body: p.PatchConversationBody, ok: 200, response: conversationOut },
  { method: 'post', path: '/conversations/{id}/messages', summary: 'Post a message with one of the six actions', body: p.PostMessageBody, ok: 201, response: z.object({ message: p.Message }) },
  { method: 'post', path: '/conversations/{id}/participants', summary: 'Add participants from the account', body: p.AddParticipantsBody, ok: 200, response: conversationOut },
  ...(['read', 'unread', 'trash', 'restore', 'leave'] as const).map(
    (change): Op => ({ method: 'post', path: `/conversations/{id}/${change}`, summary: `Per-user state: ${change}`, ok: 204 }),
  ),
  { method: 'post', path: '/attachments', summary: 'Upload a file (multipart, field `file`), typed from its bytes; deleted if not sent with a message within 24 hours', upload: true, ok: 201, response: z.object({ attachment: p.Attachment }) },
  { method: 'get', path: '/attachments/{id}', summary: 'Download a file, always as an attachment (409 while scanning or when infected)', ok: 200 },
  { method: 'post', path: '/conversations/{id}/notify-admins', summary: 'Notify all administrators about a conversation (staff)', ok: 202, response: NotifyAdminsResult },
  { method: 'get', path: '/notifications', summary: "The caller's notification centre, newest first (staff; keyset pagination)", query: NotificationsQuery, ok: 200, response: NotificationList },
  { method: 'get', path: '/notifications/unread-count', summary: 'Unread notices in the notification centre (staff)', ok: 200, response: UnreadNotifications },
  { method: 'post', path: '/notifications/{id}/read', summary: 'Mark one notice read (staff)', ok: 204 },
  { method: 'post', path: '/notifications/read-all', summary: 'Mark every notice read (staff)', ok: 204 },
  { method: 'get', path: '/events', summary: 'Live events as text/event-stream (message.created, conversation.updated, unread.changed, notification.created); resume with Last-Event-ID; ends at the token expiry, or with a stream.closed event ({"reason":"too_many_streams","limit"}) when the user opens more than SECURE_INBOX_STREAMS_PER_USER streams (do not reconnect from it); 429 past the opens per user per minute or the streams per address', ok: 200 },
  { method: 'get', path: '/audit', summary: 'The audit log, newest first (admin; keyset pagination, filters actor, action, outcome)', query: AuditQuery, ok: 200, response: AuditList },
  { method: 'get', path: '/openapi.json', summary: 'This document', ok: 200, public: true },
];

function toJsonSchema(schema: z.ZodType) {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

/** Why a token was refused, in `error.details.reason`; `missing` when none was sent (which never counts as a failed sign-in). */
const REFUSALS = ['missing', 'expired', 'audience', 'issuer', 'signature', 'claims', 'lifetime'];

const refused = {
  description: `The token is missing or refused: \`error.code\` is \`unauthorized\`, \`error.details.reason\` one of ${REFUSALS.join(', ')}, and the message names the setting to change`,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: {
              code: { const: 'unauthorized' },
              message: { type: 'string' },
              details: { type: 'object', properties: { reason: { enum: REFUSALS } }, required: ['reason'] },
            },
            required: ['code', 'message', 'details'],
          },
        },
        required: ['error'],
      },
    },
  },
};

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const parameters: unknown[] = [];
    for (const match of op.path.matchAll(/\{(\w+)\}/g)) parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
    if (op.query) {
      const schema = toJsonSchema(op.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
      }
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(op.public ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema(op.body) } } } } : {}),
      ...(op.upload
        ? { requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } } } } }
        : {}),
      responses: {
        [op.ok]: op.response ? { description: 'OK', content: { 'application/json': { schema: toJsonSchema(op.response) } } } : { description: 'Done' },
        ...(op.public ? {} : { 401: refused }),
        default: { description: 'Error', content: { 'application/json': { schema: toJsonSchema(p.ErrorBody) } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Secure Inbox API', version: '1.0.0', description:
        "The backend-for-frontend of the Secure Inbox message centre. Every answer under this path carries the server's version in `Secure-Inbox-Version` (also in `GET /healthz`, which is public and open to every origin).",
    },
    servers: [{ url: p.API_BASE_PATH }],
    components: {
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

let cached: ReturnType<typeof openApiDocument> | undefined;
export const openapi = new Hono().get('/openapi.json', (c) => c.json((cached ??= openApiDocument())));
