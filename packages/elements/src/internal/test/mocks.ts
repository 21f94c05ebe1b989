/**
 * msw handlers and fixtures for every endpoint the elements call, modelled on API.md (shapes, status codes,
 * the `{"error":{code,message,details}}` body, customer visibility of `doNotReply` messages, cursor paging).
 * `useMocks()` starts the worker once per page and resets the data before each test.
 */
import type {
  Account,
  Conversation,
  ConversationDetails,
  ConversationSummary,
  Folder,
  Me,
  Message,
  Rating,
  ReplyTime,
  ReplyTimes,
  Role,
  Topic,
  UserRef,
  NotificationItem,
} from '@secure-inbox/protocol';
import { http, HttpResponse, type JsonBodyType } from 'msw';
import { setupWorker } from 'msw/browser';

type User = UserRef & { email: string | null; accounts: string[] };

export const users = {
  alice: { id: 'u-alice', name: 'Alice Ng', email: 'alice@example.com', role: 'customer', accounts: ['acc-permit'] },
  carl: { id: 'u-carl', name: 'Carl Ode', email: null, role: 'customer', accounts: ['acc-permit'] },
  bob: { id: 'u-bob', name: 'Bob Staff', email: 'bob@city.example', role: 'staff', accounts: ['acc-permit', 'acc-cafe'] },
  sam: { id: 'u-sam', name: 'Sam Support', email: 'sam@city.example', role: 'admin', accounts: ['*'], staffKind: 'support' },
  dora: { id: 'u-dora', name: 'Dora Reviewer', email: null, role: 'staff', accounts: ['acc-permit'] },
  erin: { id: 'u-erin', name: 'Erin Harbour', email: null, role: 'customer', accounts: ['acc-cafe'] },
} satisfies Record<string, User>;

/** A JWT-shaped token for `user` (unsigned: the mock looks tokens up, it does not verify them). */
export const jwtFor = (user: User): string =>
  ['{"alg":"HS256"}', JSON.stringify({ sub: user.id, name: user.name, role: user.role, accounts: user.accounts })]
    .map((part) => btoa(part).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'))
    .join('.') + '.signature';

/** Bearer tokens the mock accepts, and whose they are. */
export const tokens: Record<string, User> = {
  'token-alice': users.alice,
  'token-bob': users.bob,
  'token-sam': users.sam,
  [jwtFor(users.alice)]: users.alice,
  [jwtFor(users.bob)]: users.bob,
};

export const accounts: Account[] = [
  { id: 'acc-permit', name: 'Permit 2024-117, 12 Elm St' },
  { id: 'acc-cafe', name: 'Harbour Café Ltd' },
];

export const topics: Topic[] = [
  { id: 'top-permits', name: 'Building permits', description: 'Applications, inspections and certificates', accountId: 'acc-permit' },
  { id: 'top-billing', name: 'Fees and billing', description: 'Invoices and payments', accountId: null },
  { id: 'top-cafe', name: 'Food licence', description: 'Renewals and inspections of the café', accountId: 'acc-cafe' },
];

const ref = (user: User): UserRef => ({ id: user.id, name: user.name, role: user.role as Role, ...(user.staffKind ? { staffKind: user.staffKind } : {}) });
const error = (status: number, code: string, message: string, details?: unknown) =>
  HttpResponse.json({ error: details === undefined ? { code, message } : { code, message, details } }, { status });

interface Stored {
  conversation: Conversation;
  messages: Message[];
  unread: number;
  trashed: boolean;
  left: boolean;
  authors: Set<string>;
  /** What the thread answer adds (expected reply time, "seen", ratings); tests set them. */
  details: ConversationDetails;
}

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  auth: string | null;
  body: unknown;
}

let clock = Date.parse('2025-03-01T09:00:00Z');
const at = () => new Date((clock += 60_000)).toISOString();

function message(conversationId: string, author: User, body: string, extra: Partial<Message> = {}): Message {
  const doNotReply = extra.doNotReply ?? false;
  return {
    id: `m-${conversationId}-${Math.random().toString(36).slice(2, 8)}`,
    conversationId,
    kind: 'message',
    body,
    author: ref(author),
    createdAt: at(),
    attachments: [],
    tip: null,
    doNotReply,
    properties: { doNotReply },
    ...extra,
  };
}

function conversation(id: string, subject: string, accountId: string, participants: User[], extra: Partial<Conversation> = {}): Conversation {
  const now = at();
  return {
    id,
    subject,
    status: 'open',
    accountId,
    accountName: accounts.find((account) => account.id === accountId)?.name ?? accountId,
    topic: null,
    context: null,
    assigneeId: null,
    assignee: null,
    participants: participants.map(ref),
    departures: [],
    createdAt: now,
    updatedAt: now,
    ...extra,
  };
}

/** The mock's data; rebuilt by `resetMocks()`. Tests may change it directly. */
export const db = {
  conversations: new Map<string, Stored>(),
  statusUpdates: [] as Message[],
  requests: [] as Recorded[],
  /** The API's default page size is 25; tests may lower it. */
  pageSize: 25,
  /** The API's default thread page is 50 messages. */
  threadPageSize: 50,
  /** The bytes of an attachment, by id (others download as a small PDF). */
  files: new Map<string, Blob>(),
  /** Saved replies (staff), as `GET /saved-replies` lists them. */
  savedReplies: [] as { id: string; accountId: string | null; title: string; body: string; placeholders: string[] }[],
  /** Expected reply times per account (`GET /reply-times`); none by default. */
  replyTimes: {} as Record<string, ReplyTimes>,
};

/** A message as the server's acknowledgement of a new question is (written as the asker's). */
export function acknowledgement(conversationId: string, author: User, sentTo: string, replyAmount: number, replyUnit: string): Message {
  return message(conversationId, author, `<p>Your question went to ${sentTo}.</p>`, {
    kind: 'acknowledgement',
    properties: { doNotReply: false, sentTo, replyAmount, replyUnit },
  });
}

function store(conv: Conversation, messages: Message[], unread = 0): Stored {
  const stored: Stored = {
    conversation: conv,
    messages,
    unread,
    trashed: false,
    left: false,
    authors: new Set(messages.map((m) => m.author.id)),
    details: { expectedReply: null, seen: null, ratings: [] },
  };
  conv.updatedAt = messages.at(-1)?.createdAt ?? conv.updatedAt;
  db.conversations.set(conv.id, stored);
  return stored;
}

export function resetMocks(): void {
  clock = Date.parse('2025-03-01T09:00:00Z');
  db.conversations.clear();
  db.requests.length = 0;
  db.pageSize = 25;
  db.threadPageSize = 50;
  db.replyTimes = {};
  db.files.clear();
  db.savedReplies = [
    {
      id: 'sr-permit',
      accountId: 'acc-permit',
      title: 'Permit received',
      body: '<p>Hello {{customer.firstName}}, we received your request about {{conversation.subject}}.</p><p>{{staff.name}}</p>',
      placeholders: ['customer.firstName', 'conversation.subject', 'staff.name'],
    },
    { id: 'sr-perm-fees', accountId: null, title: 'Permit fees', body: '<p>The fee is listed on the permit.</p>', placeholders: [] },
    { id: 'sr-cafe', accountId: 'acc-cafe', title: 'Permit for the terrace', body: '<p>Terrace.</p>', placeholders: [] },
  ];
  adminCount.value = 3;
  const { alice, bob, sam, carl } = users;
  // 28 older conversations so the Inbox needs a second page.
  for (let i = 1; i <= 28; i++) {
    const id = `c-old-${String(i).padStart(2, '0')}`;
    const author = i % 3 === 0 ? sam : i % 2 === 0 ? bob : alice;
    store(conversation(id, `Question number ${i}`, 'acc-permit', [alice, bob]), [message(id, author, `<p>Older message ${i}</p>`)], i % 4 === 0 ? 1 : 0);
  }
  const permit = conversation('c-permit', 'Inspection date for permit 2024-117', 'acc-permit', [alice, bob, carl], {
    topic: { id: 'top-permits', name: 'Building permits' },
    context: { kind: 'permit', ref: '2024-117', title: 'Permit 2024-117', url: 'https://portal.example/permits/2024-117' },
    status: 'attentive',
  });
  store(
    permit,
    [
      message('c-permit', alice, '<p>When can the <strong>inspection</strong> take place?</p>'),
      message('c-permit', bob, '<p>We can come on <em>Tuesday</em>. Please upload the plan.</p>', {
        kind: 'resolve_note',
        tip: 'Upload plans as PDF to speed up the review.',
        attachments: [{ id: 'att-checklist', name: 'inspection-checklist.pdf', size: 48_213, contentType: 'application/pdf' }],
      }),
      message('c-permit', bob, '<p>Customer called twice, be kind.</p>', { kind: 'internal_note', doNotReply: true }),
      message('c-permit', alice, '<p>Here is the plan, see <a href="https://example.com/plan">the drawing</a>.</p>', {
        attachments: [{ id: 'att-plan', name: 'plan.pdf', size: 1_234_567, contentType: 'application/pdf' }],
      }),
    ],
    2,
  );
  const xss = conversation('c-xss', 'Strange formatting', 'acc-permit', [alice, bob]);
  store(
    xss,
    [
      message(
        'c-xss',
        alice,
        '<p>Hello<img src="x" onerror="window.__xss = 1"><script>window.__xss = 2</script></p>' +
          '<a href="javascript:window.__xss=3">click me</a> <a href="data:text/html,<script>alert(1)</script>">data link</a>' +
          '<iframe src="https://evil.example"></iframe><p onclick="window.__xss=4" style="color:red">styled</p>' +
          '<svg><a href="javascript:alert(1)">svg</a></svg><a href="mailto:help@example.com">mail us</a>',
      ),
    ],
    1,
  );
  const cafe = conversation('c-cafe', 'Terrace licence renewal', 'acc-cafe', [bob, sam]);
  store(cafe, [message('c-cafe', sam, '<p>The terrace licence expires in May.</p>')]);
  db.statusUpdates = [
    message('c-permit', bob, '<p>Your application is <strong>under review</strong>.</p>', { kind: 'status_update' }),
    message('c-permit', bob, '<p>Application received.</p>', { kind: 'status_update' }),
  ];
}

// ---------------------------------------------------------------- visibility, as API.md says
const seesAccount = (user: User, accountId: string) => user.accounts.includes('*') || user.accounts.includes(accountId);
const knownPlaceholders = ['customer.firstName', 'conversation.subject', 'staff.name'];
const placeholdersOf = (body: string) => [...new Set([...body.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]))];
/** What the server answers a change to a saved reply that it refuses (as API.md's saved replies say), else nothing. */
function savedReplyRefusal(user: User, accountId: string | null, body: string) {
  if (user.role === 'customer') return error(403, 'forbidden', 'Saved replies are for staff.');
  if (accountId === null ? user.role !== 'admin' : !seesAccount(user, accountId)) return error(403, 'forbidden', 'Only admins change shared saved replies.');
  const unknown = placeholdersOf(body).filter((name) => !knownPlaceholders.includes(name));
  if (unknown.length)
    return error(422, 'invalid', 'Invalid body.', [
      {
        field: 'body',
        message: `unknown placeholders: ${unknown.map((n) => `{{${n}}}`).join(', ')}; known: ${knownPlaceholders.map((n) => `{{${n}}}`).join(', ')}`,
      },
    ]);
}
function visible(user: User, stored: Stored): boolean {
  if (stored.left) return false;
  const participant = stored.conversation.participants.some((p) => p.id === user.id);
  if (user.role === 'admin') return true;
  if (user.role === 'staff') return participant || seesAccount(user, stored.conversation.accountId);
  return participant && seesAccount(user, stored.conversation.accountId);
}
const visibleMessages = (user: User, stored: Stored) => (user.role === 'customer' ? stored.messages.filter((m) => !m.doNotReply) : stored.messages);

/** In Sent, a summary shows the caller's own last message (and its time), as the server does. */
function summary(user: User, stored: Stored, folder: Folder = 'inbox'): ConversationSummary {
  const messages = visibleMessages(user, stored).filter((m) => folder !== 'sent' || (m.author.id === user.id && m.kind !== 'acknowledgement'));
  const last = messages.at(-1)!;
  const text = last.body.replace(/<[^>]*>/g, '').slice(0, 140);
  return {
    id: stored.conversation.id,
    subject: stored.conversation.subject,
    status: stored.conversation.status,
    accountId: stored.conversation.accountId,
    topic: stored.conversation.topic,
    context: stored.conversation.context,
    unreadCount: stored.unread,
    updatedAt: last.createdAt,
    lastMessage: {
      id: last.id,
      preview: text,
      authorName: last.author.name,
      authorRole: last.author.role,
      authorStaffKind: last.author.staffKind,
      createdAt: last.createdAt,
      ...(last.kind === 'acknowledgement'
        ? {
            acknowledgement: {
              sentTo: String(last.properties.sentTo),
              replyTime: { amount: Number(last.properties.replyAmount), unit: last.properties.replyUnit as ReplyTime['unit'] },
            },
          }
        : {}),
    },
    assigneeId: stored.conversation.assigneeId,
  };
}

function match(stored: Stored, user: User, q: string): boolean {
  if (!q || q === '%') return true;
  const haystack = [stored.conversation.subject, ...visibleMessages(user, stored).map((m) => m.body.replace(/<[^>]*>/g, ' '))].join(' ').toLowerCase();
  const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => new RegExp(word.endsWith('%') ? `\\b${escape(word.slice(0, -1))}` : `\\b${escape(word)}\\b`).test(haystack));
}

const api = (path: string) => `*/api/v1${path}`;

/** The names a customer's folder gives statuses, as the server reads them. */
const statusAliases = (status: string) => ({ waiting_for_me: 'attentive', solved: 'resolved' })[status] ?? status;

/** The staff queue filter: `me`, `none`, a user id, or absent for all. */
function assigneeMatches(user: User, stored: Stored, assignee: string | null): boolean {
  if (!assignee || assignee === 'all') return true;
  const id = stored.conversation.assigneeId;
  return assignee === 'none' ? id === null : id === (assignee === 'me' ? user.id : assignee);
}

/** Administrators `notify-admins` reaches. */
export const adminCount = { value: 3 };

async function record(request: Request, params: Record<string, unknown> = {}): Promise<{ user?: User; body: unknown }> {
  const url = new URL(request.url);
  let body: unknown;
  if (request.method !== 'GET' && request.headers.get('content-type')?.includes('json')) body = await request.clone().json();
  const auth = request.headers.get('authorization');
  db.requests.push({ method: request.method, path: url.pathname, query: url.searchParams, auth, body });
  void params;
  const token = auth?.match(/^Bearer (.+)$/)?.[1];
  return { user: token ? tokens[token] : undefined, body };
}

const unauthorized = () => error(401, 'unauthorized', 'The token is missing, malformed, expired or not for this audience.');
const notFound = () => error(404, 'not_found', 'No such conversation.');

function find(user: User, id: string): Stored | undefined {
  const stored = db.conversations.get(id);
  return stored && visible(user, stored) ? stored : undefined;
}

export const handlers = [
  // The server's /healthz: as if it were down whenever a request reaches it (tests of a server that refuses the page's origin answer it).
  http.get('*/healthz', () => HttpResponse.error()),
  http.get(api('/me'), async ({ request }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const seen = [...db.conversations.values()].filter((s) => visible(user, s));
    const mine = seen.filter((s) => !s.trashed && s.unread > 0);
    const folder = (list: Stored[]) => ({ total: list.length, unread: list.filter((s) => s.unread > 0).length });
    const me: Me = {
      user: { id: user.id, name: user.name, email: user.email, role: user.role as Role },
      accounts: accounts.filter((a) => seesAccount(user, a.id)),
      unread: { inbox: mine.length },
      folders: {
        inbox: folder(seen.filter((s) => !s.trashed)),
        sent: folder(seen.filter((s) => !s.trashed && s.authors.has(user.id))),
        trash: folder(seen.filter((s) => s.trashed)),
      },
    };
    return HttpResponse.json(me);
  }),
  http.get(api('/topics'), async ({ request }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    // As the server: the topics of the caller's accounts and those of every account.
    return HttpResponse.json({ items: topics.filter((t) => !t.accountId || user.accounts.includes('*') || user.accounts.includes(t.accountId)) });
  }),
  http.get(api('/directory'), async ({ request }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const accountId = new URL(request.url).searchParams.get('accountId') ?? '';
    if (!accountId) return error(422, 'invalid', 'Invalid query: accountId is required.', [{ field: 'accountId', message: 'Required' }]);
    if (!seesAccount(user, accountId)) return error(403, 'forbidden', 'You do not act in this account.');
    const items = Object.values(users as Record<string, User>)
      // As the server: the caller is not in their own directory.
      .filter((u) => u.accounts.includes(accountId) && u.id !== user.id)
      .map(ref);
    return HttpResponse.json({ items });
  }),
  http.get(api('/status-updates'), async ({ request }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const accountId = new URL(request.url).searchParams.get('accountId') ?? '';
    if (!seesAccount(user, accountId)) return error(403, 'forbidden', 'You do not act in this account.');
    return HttpResponse.json({ items: accountId === 'acc-permit' ? db.statusUpdates : [] });
  }),
  http.get(api('/conversations'), async ({ request }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const query = new URL(request.url).searchParams;
    const folder = (query.get('folder') ?? 'inbox') as Folder;
    const limit = Number(query.get('limit') ?? db.pageSize);
    if (!['inbox', 'sent', 'trash'].includes(folder)) return error(422, 'invalid', 'Invalid query: folder.', [{ field: 'folder', message: 'Invalid option' }]);
    if (!(limit >= 1 && limit <= 100)) return error(422, 'invalid', 'Invalid query: limit.', [{ field: 'limit', message: 'Too big' }]);
    const all = [...db.conversations.values()]
      .filter((s) => visible(user, s))
      .filter((s) => (folder === 'trash' ? s.trashed : !s.trashed && (folder === 'inbox' || s.authors.has(user.id))))
      .filter((s) => query.get('unread') !== 'true' || s.unread > 0)
      .filter((s) => !query.get('accountId') || s.conversation.accountId === query.get('accountId'))
      .filter((s) => !query.get('status') || s.conversation.status === statusAliases(query.get('status')!))
      .filter((s) => assigneeMatches(user, s, query.get('assignee')))
      .filter((s) => match(s, user, query.get('q') ?? ''))
      .map((s) => summary(user, s, folder))
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id));
    if (query.get('sort') === 'oldest') all.reverse();
    // Opaque keyset cursor: the (updatedAt, id) of the last row sent.
    const cursor = query.get('cursor');
    let start = 0;
    if (cursor) {
      const [updatedAt, id] = atob(cursor).split('|');
      start = all.findIndex((s) => s.updatedAt < updatedAt || (s.updatedAt === updatedAt && s.id < id));
      if (start < 0) start = all.length;
    }
    const items = all.slice(start, start + limit);
    const last = items.at(-1);
    const nextCursor = start + limit < all.length && last ? btoa(`${last.updatedAt}|${last.id}`) : null;
    return HttpResponse.json({ items, nextCursor });
  }),
  http.post(api('/conversations'), async ({ request }) => {
    const { user, body } = await record(request);
    if (!user) return unauthorized();
    const input = body as { accountId?: string; subject?: string; body?: string; recipientIds?: string[]; topicId?: string; context?: Conversation['context'] };
    const problems: { field: string; message: string }[] = [];
    if (!input?.accountId) problems.push({ field: 'accountId', message: 'Required' });
    if (!input?.subject?.trim()) problems.push({ field: 'subject', message: 'Too small: expected string to have >=1 characters' });
    if (!input?.body?.trim()) problems.push({ field: 'body', message: 'Too small: expected string to have >=1 characters' });
    if (user.role !== 'customer' && !input?.recipientIds?.length) problems.push({ field: 'recipientIds', message: 'staff must name at least one recipient' });
    if (problems.length) return error(422, 'invalid', `Invalid request body: ${problems.map((p) => p.field).join(', ')}.`, problems);
    if (!seesAccount(user, input.accountId!)) return error(403, 'forbidden', 'You do not act in this account.');
    const id = `c-new-${db.conversations.size + 1}`;
    const recipients = (input.recipientIds ?? []).map((rid) => Object.values(users as Record<string, User>).find((u) => u.id === rid)!);
    const conv = conversation(id, input.subject!, input.accountId!, [user, ...recipients], {
      status: user.role === 'customer' ? 'open' : 'attentive',
      topic: topics.find((t) => t.id === input.topicId) ?? null,
      context: input.context ? { ...input.context, title: input.context.title ?? null, url: input.context.url ?? null } : null,
    });
    store(conv, [message(id, user, input.body!)]);
    return HttpResponse.json({ conversation: conv }, { status: 201 });
  }),
  http.get(api('/conversations/:id'), async ({ request, params }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const stored = find(user, String(params.id));
    if (!stored) return notFound();
    const query = new URL(request.url).searchParams;
    const limit = Number(query.get('limit') ?? db.threadPageSize);
    const all = visibleMessages(user, stored);
    const before = query.get('before');
    const end = before ? all.findIndex((m) => m.id === before) : all.length;
    const start = Math.max(0, end - limit);
    const messages = all.slice(start, end);
    // Staff read every rating; a customer only their own.
    const ratings = stored.details.ratings.filter((r) => user.role !== 'customer' || r.author.id === user.id);
    const conversation = { ...stored.conversation, ...stored.details, ratings };
    return HttpResponse.json({ conversation, messages, nextCursor: start > 0 ? messages[0].id : null });
  }),
  http.post(api('/conversations/:id/messages'), async ({ request, params }) => {
    const { user, body } = await record(request);
    if (!user) return unauthorized();
    const stored = find(user, String(params.id));
    if (!stored) return notFound();
    const input = body as { body?: string; action?: string; tip?: string; attachmentIds?: string[] };
    if (!input?.body?.trim()) return error(422, 'invalid', 'Invalid request body: body.', [{ field: 'body', message: 'Required' }]);
    const action = input.action ?? 'reply';
    if (action !== 'reply' && user.role === 'customer') return error(403, 'forbidden', 'Only staff may use this action.');
    const kinds: Record<string, Message['kind']> = {
      reply: 'message',
      send: 'resolve_note',
      send_leave_open: 'public_note',
      resolve: 'resolve_note',
      internal_note: 'internal_note',
      status_update: 'status_update',
    };
    const hidden = action === 'resolve' || action === 'internal_note';
    const created = message(stored.conversation.id, user, input.body, { kind: kinds[action], doNotReply: hidden, tip: input.tip ?? null });
    created.attachments = (input.attachmentIds ?? []).map((id) => live.uploads.get(id)!);
    stored.messages.push(created);
    stored.authors.add(user.id);
    if (action === 'send') stored.conversation.status = 'answered';
    if (action === 'resolve') stored.conversation.status = 'resolved';
    if (action === 'reply' && user.role === 'customer') stored.conversation.status = 'open';
    return HttpResponse.json({ message: created }, { status: 201 });
  }),
  http.post(api('/conversations/:id/participants'), async ({ request, params }) => {
    const { user, body } = await record(request);
    if (!user) return unauthorized();
    const stored = find(user, String(params.id));
    if (!stored) return notFound();
    const ids = (body as { userIds?: string[] })?.userIds ?? [];
    const added = Object.values(users as Record<string, User>).filter((u) => ids.includes(u.id));
    if (added.length !== ids.length || added.some((u) => !u.accounts.includes(stored.conversation.accountId))) {
      return error(422, 'invalid', 'Invalid request body: userIds.', [{ field: 'userIds', message: 'must belong to the account' }]);
    }
    for (const u of added) if (!stored.conversation.participants.some((p) => p.id === u.id)) stored.conversation.participants.push(ref(u));
    return HttpResponse.json({ conversation: stored.conversation });
  }),
  http.get(api('/queues'), async ({ request }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    if (user.role === 'customer') return error(403, 'forbidden', 'Queues are for staff.');
    const query = new URL(request.url).searchParams;
    const inbox = [...db.conversations.values()]
      .filter((s) => visible(user, s) && !s.trashed)
      .filter((s) => !query.get('accountId') || s.conversation.accountId === query.get('accountId'));
    const byAssignee = inbox.filter((s) => assigneeMatches(user, s, query.get('assignee')));
    const byStatus = inbox.filter((s) => !query.get('status') || s.conversation.status === query.get('status'));
    const count = (list: Stored[], test: (s: Stored) => boolean) => list.filter(test).length;
    return HttpResponse.json({
      status: Object.fromEntries(['open', 'attentive', 'answered', 'resolved'].map((st) => [st, count(byAssignee, (s) => s.conversation.status === st)])),
      assignee: {
        me: count(byStatus, (s) => s.conversation.assigneeId === user.id),
        none: count(byStatus, (s) => s.conversation.assigneeId === null),
        all: byStatus.length,
      },
    });
  }),
  http.patch(api('/conversations/:id'), async ({ request, params }) => {
    const { user, body } = await record(request);
    if (!user) return unauthorized();
    const stored = find(user, String(params.id));
    if (!stored) return notFound();
    if (user.role === 'customer') return error(403, 'forbidden', 'Only staff may change the status or assignee.');
    const input = body as { status?: Conversation['status']; assigneeId?: string | null };
    if (input.assigneeId && !Object.values(users as Record<string, User>).some((u) => u.id === input.assigneeId && u.role !== 'customer')) {
      return error(422, 'invalid', 'Invalid request body: assigneeId.', [{ field: 'assigneeId', message: 'must be staff of the account' }]);
    }
    if (input.status) stored.conversation.status = input.status;
    if (input.assigneeId !== undefined) stored.conversation.assigneeId = input.assigneeId;
    return HttpResponse.json({ conversation: stored.conversation });
  }),
  http.post(api('/conversations/:id/notify-admins'), async ({ request, params }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    if (!find(user, String(params.id))) return notFound();
    if (user.role === 'customer') return error(403, 'forbidden', 'Only staff can notify the administrators.');
    return HttpResponse.json({ notified: adminCount.value }, { status: 202 });
  }),
  http.post(api('/conversations/:id/solve'), async ({ request, params }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const stored = find(user, String(params.id));
    if (!stored) return notFound();
    stored.conversation.status = 'resolved';
    return HttpResponse.json({ conversation: stored.conversation });
  }),
  http.post(api('/conversations/:id/reopen'), async ({ request, params }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const stored = find(user, String(params.id));
    if (!stored) return notFound();
    stored.conversation.status = 'open';
    return HttpResponse.json({ conversation: stored.conversation });
  }),
  http.put(api('/conversations/:id/rating'), async ({ request, params }) => {
    const { user, body } = await record(request);
    if (!user) return unauthorized();
    const stored = find(user, String(params.id));
    if (!stored) return notFound();
    if (user.role !== 'customer') return error(403, 'forbidden', 'Staff read ratings; they do not give them.');
    const input = body as { score?: number; comment?: string };
    if (!(Number.isInteger(input?.score) && input.score! >= 1 && input.score! <= 5)) {
      return error(422, 'invalid', 'Invalid request body: score.', [{ field: 'score', message: 'Too small' }]);
    }
    if (!['answered', 'resolved'].includes(stored.conversation.status)) return error(409, 'conflict', 'Only an answered or solved conversation can be rated.');
    const now = at();
    const given = stored.details.ratings.find((r) => r.author.id === user.id);
    const rating: Rating = {
      score: input.score!,
      comment: input.comment ?? null,
      author: ref(user),
      createdAt: given?.createdAt ?? now,
      updatedAt: now,
      changeableUntil: given?.changeableUntil ?? new Date(Date.now() + 7 * 86_400_000).toISOString(),
    };
    stored.details.ratings = [...stored.details.ratings.filter((r) => r.author.id !== user.id), rating];
    return HttpResponse.json({ rating });
  }),
  http.get(api('/reply-times'), async ({ request }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const accountId = new URL(request.url).searchParams.get('accountId') ?? '';
    if (!seesAccount(user, accountId)) return error(403, 'forbidden', 'You do not act in this account.');
    return HttpResponse.json(db.replyTimes[accountId] ?? { accountId, replyTime: null, topics: [] });
  }),
  http.get(api('/saved-replies'), async ({ request }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    if (user.role === 'customer') return error(403, 'forbidden', 'Saved replies are for staff.');
    const query = new URL(request.url).searchParams;
    const q = (query.get('q') ?? '').toLowerCase();
    const accountId = query.get('accountId');
    const items = db.savedReplies
      .filter((r) => r.accountId === null || (accountId ? r.accountId === accountId : seesAccount(user, r.accountId)))
      .filter(
        (r) =>
          !q ||
          `${r.title} ${r.body.replace(/<[^>]*>/g, ' ')}`
            .toLowerCase()
            .split(/[^\p{L}\p{N}]+/u)
            .some((word) => word.startsWith(q)),
      )
      .sort((a, b) => a.title.localeCompare(b.title));
    return HttpResponse.json({ items, nextCursor: null });
  }),
  http.post(api('/saved-replies'), async ({ request }) => {
    const { user, body } = await record(request);
    if (!user) return unauthorized();
    const input = body as { accountId: string | null; title: string; body: string };
    const refused = savedReplyRefusal(user, input.accountId, input.body);
    if (refused) return refused;
    const reply = {
      id: `sr-${db.savedReplies.length + 1}-${Date.now()}`,
      accountId: input.accountId,
      title: input.title,
      body: input.body,
      placeholders: placeholdersOf(input.body),
    };
    db.savedReplies.push(reply);
    return HttpResponse.json({ savedReply: reply }, { status: 201 });
  }),
  http.patch(api('/saved-replies/:id'), async ({ request, params }) => {
    const { user, body } = await record(request);
    if (!user) return unauthorized();
    const reply = db.savedReplies.find((r) => r.id === params.id);
    if (!reply || (reply.accountId !== null && !seesAccount(user, reply.accountId))) return error(404, 'not_found', 'Not found.');
    const input = body as { title?: string; body?: string };
    const refused = savedReplyRefusal(user, reply.accountId, input.body ?? reply.body);
    if (refused) return refused;
    Object.assign(reply, input, { placeholders: placeholdersOf(input.body ?? reply.body) });
    return HttpResponse.json({ savedReply: reply });
  }),
  http.delete(api('/saved-replies/:id'), async ({ request, params }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const reply = db.savedReplies.find((r) => r.id === params.id);
    if (!reply || (reply.accountId !== null && !seesAccount(user, reply.accountId))) return error(404, 'not_found', 'Not found.');
    const refused = savedReplyRefusal(user, reply.accountId, reply.body);
    if (refused) return refused;
    db.savedReplies = db.savedReplies.filter((r) => r !== reply);
    return new HttpResponse(null, { status: 204 });
  }),
  http.post(api('/saved-replies/:id/render'), async ({ request, params }) => {
    const { user, body } = await record(request);
    if (!user) return unauthorized();
    if (user.role === 'customer') return error(403, 'forbidden', 'Saved replies are for staff.');
    const reply = db.savedReplies.find((r) => r.id === params.id);
    const stored = find(user, String((body as { conversationId?: string })?.conversationId));
    if (!reply || !stored) return error(404, 'not_found', 'Not found.');
    const customer = stored.conversation.participants.find((p) => p.role === 'customer');
    const values: Record<string, string> = {
      'customer.firstName': customer?.name.split(' ')[0] ?? '',
      'conversation.subject': stored.conversation.subject,
      'staff.name': user.name,
    };
    const missing = reply.placeholders.filter((name) => !values[name]);
    const filled = reply.body.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => values[name] ?? '');
    return HttpResponse.json({ rendered: { savedReplyId: reply.id, conversationId: stored.conversation.id, title: reply.title, body: filled, missing } });
  }),
  http.post(api('/conversations/:id/typing'), async ({ request, params }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    if (!find(user, String(params.id))) return notFound();
    if (user.role === 'customer') return error(403, 'forbidden', 'Only staff tell others they are writing.');
    return new HttpResponse(null, { status: 204 });
  }),
  http.post(api('/conversations/:id/:change'), async ({ request, params }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const change = String(params.change);
    if (!['read', 'unread', 'trash', 'restore', 'leave'].includes(change)) return error(404, 'not_found', 'Not found.');
    const stored = find(user, String(params.id));
    if (!stored) return notFound();
    if (change === 'read') stored.unread = 0;
    if (change === 'unread') stored.unread = Math.max(1, stored.unread);
    if (change === 'trash') stored.trashed = true;
    if (change === 'restore') stored.trashed = false;
    if (change === 'leave') stored.left = true;
    return new HttpResponse(null, { status: 204 });
  }),
  http.get(api('/attachments/:id'), async ({ request, params }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const attachment = [...db.conversations.values()]
      .filter((s) => visible(user, s))
      .flatMap((s) => visibleMessages(user, s).flatMap((m) => m.attachments))
      .find((a) => a.id === params.id);
    if (!attachment) return error(404, 'not_found', 'No such attachment.');
    return new HttpResponse(db.files.get(attachment.id) ?? '%PDF-1.4 test', {
      headers: {
        'Content-Type': attachment.contentType,
        'Content-Disposition': `attachment; filename="${attachment.name}"`,
        'X-Content-Type-Options': 'nosniff',
      },
    });
  }),
];

// ---------------------------------------------------------------- events, uploads, notifications

const encoder = new TextEncoder();

/**
 * The event stream and the other newer endpoints: tests write events to the open streams with `send`,
 * drop them with `drop`, refuse new ones with `refuse`, and read what each connection sent in `connects`.
 */
export const live = {
  streams: new Set<ReadableStreamDefaultController<Uint8Array>>(),
  connects: [] as { auth: string | null; lastEventId: string | null }[],
  /** A status to answer `GET /events` with instead of a stream. */
  refuse: 0,
  uploads: new Map<string, { id: string; name: string; size: number; contentType: string; scanStatus?: 'pending' | 'clean' | 'infected' }>(),
  uploadLimit: 1024 * 1024,
  notices: [] as NotificationItem[],
  write(text: string): void {
    for (const stream of live.streams) stream.enqueue(encoder.encode(text));
  },
  send(type: string, data: Record<string, unknown>, id: string | number): void {
    live.write(`event: ${type}\ndata: ${JSON.stringify(data)}\nid: ${id}\n\n`);
  },
  drop(): void {
    for (const stream of live.streams) stream.close();
    live.streams.clear();
  },
  reset(): void {
    live.drop();
    live.connects = [];
    live.refuse = 0;
    live.uploads.clear();
    live.uploadLimit = 1024 * 1024;
    live.notices = [
      {
        id: '2',
        reason: 'new_message',
        reasonText: 'New message from a customer',
        conversationId: 'c-permit',
        subject: 'Inspection date',
        messageId: null,
        preview: 'Here is the plan.',
        authorName: 'Alice Ng',
        createdAt: '2025-03-01T10:00:00Z',
        read: false,
      },
      {
        id: '1',
        reason: 'assigned',
        reasonText: 'Assigned to you',
        conversationId: 'c-xss',
        subject: 'Strange formatting',
        messageId: null,
        preview: null,
        authorName: null,
        createdAt: '2025-03-01T09:00:00Z',
        read: true,
      },
    ];
  },
};

const staffOnly = (user: User | undefined) =>
  !user ? unauthorized() : user.role === 'customer' ? error(403, 'forbidden', 'The notification centre is for staff and administrators.') : undefined;
const unreadNotices = () => live.notices.filter((n) => !n.read).length;

export const liveHandlers = [
  http.get(api('/events'), async ({ request }) => {
    const { user } = await record(request);
    live.connects.push({ auth: request.headers.get('authorization'), lastEventId: request.headers.get('last-event-id') });
    if (!user) return unauthorized();
    if (live.refuse) return error(live.refuse, live.refuse === 403 ? 'forbidden' : 'not_found', 'Refused for the test.');
    let controller: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        live.streams.add(c);
        c.enqueue(encoder.encode(': connected\n\n'));
      },
      cancel() {
        live.streams.delete(controller);
      },
    });
    return new HttpResponse(stream, { headers: { 'Content-Type': 'text/event-stream' } });
  }),
  http.post(api('/attachments'), async ({ request }) => {
    const { user } = await record(request);
    if (!user) return unauthorized();
    const file = (await request.formData()).get('file');
    if (!(file instanceof File) || !file.size) return error(422, 'invalid', 'The file is empty.', [{ field: 'file', message: 'is empty' }]);
    if (file.size > live.uploadLimit)
      return error(413, 'too_large', `The file is larger than the ${live.uploadLimit}-byte limit.`, { limit: live.uploadLimit });
    if (file.name.endsWith('.svg')) return error(415, 'unsupported_type', 'Files of type image/svg+xml are not accepted.');
    const attachment = {
      id: `att-up-${live.uploads.size + 1}`,
      name: file.name,
      size: file.size,
      contentType: file.type || 'application/octet-stream',
      scanStatus: 'clean' as const,
    };
    live.uploads.set(attachment.id, attachment);
    return HttpResponse.json({ attachment }, { status: 201 });
  }),
  http.get(api('/notifications'), async ({ request }) => {
    const { user } = await record(request);
    return staffOnly(user) ?? HttpResponse.json({ items: live.notices, nextCursor: null, unread: unreadNotices() });
  }),
  http.get(api('/notifications/unread-count'), async ({ request }) => {
    const { user } = await record(request);
    return staffOnly(user) ?? HttpResponse.json({ unread: unreadNotices() });
  }),
  http.post(api('/notifications/read-all'), async ({ request }) => {
    const { user } = await record(request);
    for (const notice of live.notices) notice.read = true;
    return staffOnly(user) ?? new HttpResponse(null, { status: 204 });
  }),
  http.post(api('/notifications/:id/read'), async ({ request, params }) => {
    const { user } = await record(request);
    const notice = live.notices.find((n) => n.id === params.id);
    if (!notice) return staffOnly(user) ?? error(404, 'not_found', 'No such notification.');
    notice.read = true;
    return staffOnly(user) ?? new HttpResponse(null, { status: 204 });
  }),
];

export const worker = setupWorker(...handlers, ...liveHandlers);
let started: Promise<unknown> | undefined;

/** Registers mocha hooks: start the worker once, fresh data before each test, per-test overrides removed after. */
export function useMocks(): void {
  before(async () => {
    started ??= worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, onUnhandledRequest: 'bypass', quiet: true });
    await started;
  });
  beforeEach(() => {
    resetMocks();
    live.reset();
  });
  afterEach(() => worker.resetHandlers());
}

/** The requests the mock received for a path (optionally a method). */
export const requestsTo = (path: string, method?: string) => db.requests.filter((r) => r.path === `/api/v1${path}` && (!method || r.method === method));

/** Answers every request to `path` with an error, for the error-state tests. */
export function failWith(method: 'get' | 'post' | 'patch', path: string, status: number, body?: JsonBodyType) {
  worker.use(
    http[method](api(path), async ({ request }) => {
      await record(request);
      return HttpResponse.json(body ?? { error: { code: status >= 500 ? 'internal' : 'error', message: 'Failure for the test.' } }, { status });
    }),
  );
}

/** Makes `path` unreachable (a network error, as when the server is down). */
export function unreachable(method: 'get' | 'post', path: string) {
  worker.use(http[method](api(path), () => HttpResponse.error()));
}

/** Waits until `check` passes (the elements load asynchronously). */
export async function until<T>(check: () => T | undefined | null | false, timeout = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - started > timeout) throw new Error(`Timed out waiting for ${check.toString().slice(0, 120)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Deep query through open shadow roots: `q(el, 'secure-thread-view', '[part~="subject"]')`. */
export function q<E extends Element = HTMLElement>(root: Element | ShadowRoot, ...selectors: string[]): E | null {
  let current: Element | ShadowRoot | null = root;
  for (const selector of selectors) {
    const scope: Element | ShadowRoot = current instanceof Element && current.shadowRoot ? current.shadowRoot : current!;
    current = scope.querySelector(selector);
    if (!current) return null;
  }
  return current as E | null;
}

export function qa<E extends Element = HTMLElement>(root: Element, ...selectors: string[]): E[] {
  const last = selectors.pop()!;
  const parent = selectors.length ? q(root, ...selectors) : root;
  if (!parent) return [];
  const scope = parent.shadowRoot ?? parent;
  return [...scope.querySelectorAll<E>(last)];
}

/** The deepest focused element, through shadow roots. */
export function focused(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/** Visible text, whitespace collapsed. */
export const text = (element: Element | null | undefined) => (element?.textContent ?? '').replace(/\s+/g, ' ').trim();
