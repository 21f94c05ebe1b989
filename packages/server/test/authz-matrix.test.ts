/**
 * The authorization matrix, generated from the app's own route list.
 *
 * Every API route must have an entry in `table` below (the suite fails for a route without one, so a
 * new route cannot ship without authorization tests) and in the OpenAPI operations (packages/protocol/src/openapi.ts).
 * From the table each route gets:
 *  - no token → 401 (except public routes);
 *  - the allowed caller → the success status (so the matrix cannot pass vacuously);
 *  - role checks → 403;
 *  - for routes with an `:id`: an unknown id and ids of resources the caller may not see (another
 *    customer's conversation in the same account, one in another account; for staff one in an account
 *    outside their claims) answer byte-identical 404s, for every request variant, and change nothing.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../src/routes/openapi.js';
import { apiRoutes, makeTestApp, people, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { firstRow } from '../src/store/sql.js';

const { alice, adam, bob, sam, gina, root } = people;
const nina: TestUser = { sub: 'nina', name: 'Nina Initech', role: 'customer', accounts: ['initech'] };

type IdKind = 'conversation' | 'attachment' | 'notification' | 'account' | 'savedReply';

interface Variant {
  body?: unknown;
  query?: string;
}

interface Entry {
  /** Reachable without a token. */
  public?: boolean;
  /** What the route's `:id` names. */
  id?: IdKind;
  /** A request that succeeds for the allowed caller, so only authorization decides the answers below. */
  request?: Variant & { upload?: boolean; stream?: boolean };
  /** The allowed caller and the status they get (on a fresh resource of their own for `:id` routes). */
  ok: { as: TestUser; status: number };
  /** Callers the route refuses with 403 (on a resource they can see), with the request variant that is refused. */
  forbidden?: (Variant & { as: TestUser })[];
  /** Brings a fresh resource (`:id`) into the state the success case needs (a conversation answered, to be rated). */
  prepare?: (t: TestApp, id: string) => Promise<void>;
}

/** Staff answer the conversation: it may be rated. */
async function answer(t: TestApp, id: string) {
  const res = await t.call(sam, 'POST', `/conversations/${id}/messages`, { body: 'An answer', action: 'send' });
  if (res.status !== 201) throw new Error(`answer failed: ${res.status} ${res.text}`);
}

/** Stands for the fixtures' conversation of Alice's in a request body (`send` puts its id in). */
const ALICE_CONVERSATION = '<alice-conversation>';

const staffActions = ['send', 'send_leave_open', 'resolve', 'internal_note', 'status_update'];

/** The expected cases, per route. A route of the app missing here fails the suite. */
const table: Record<string, Entry> = {
  'GET /api/v1/openapi.json': { public: true, ok: { as: alice, status: 200 } },
  'GET /api/v1/me': { ok: { as: alice, status: 200 } },
  'GET /api/v1/topics': { ok: { as: alice, status: 200 } },
  'GET /api/v1/directory': {
    request: { query: 'accountId=acme' },
    ok: { as: alice, status: 200 },
    forbidden: [
      { as: alice, query: 'accountId=globex' },
      { as: gina, query: 'accountId=acme' },
      { as: bob, query: 'accountId=initech' },
    ],
  },
  'GET /api/v1/status-updates': {
    request: { query: 'accountId=acme' },
    ok: { as: alice, status: 200 },
    forbidden: [
      { as: alice, query: 'accountId=globex' },
      { as: gina, query: 'accountId=acme' },
      { as: sam, query: 'accountId=initech' },
    ],
  },
  'PUT /api/v1/accounts/:id': {
    id: 'account',
    request: { body: { name: 'Renamed' } },
    ok: { as: root, status: 200 },
    forbidden: [{ as: alice }, { as: adam }, { as: sam }, { as: gina }],
  },
  'GET /api/v1/queues': { ok: { as: sam, status: 200 }, forbidden: [{ as: alice }, { as: bob }] },
  'GET /api/v1/audit': { ok: { as: root, status: 200 }, forbidden: [{ as: alice }, { as: sam }, { as: gina }] },
  'GET /api/v1/conversations': { ok: { as: alice, status: 200 } },
  'POST /api/v1/conversations': {
    request: { body: { accountId: 'acme', subject: 'Hello', body: 'Hi' } },
    ok: { as: alice, status: 201 },
    forbidden: [
      { as: alice, body: { accountId: 'globex', subject: 'Hello', body: 'Hi' } },
      { as: bob, body: { accountId: 'acme', subject: 'Hello', body: 'Hi' } },
      { as: gina, body: { accountId: 'acme', subject: 'Hello', body: 'Hi', recipientIds: ['alice'] } },
      { as: alice, body: { accountId: 'acme', subject: 'Hello', body: 'Hi', notifyAdmins: true } },
    ],
  },
  'GET /api/v1/conversations/:id': { id: 'conversation', ok: { as: alice, status: 200 } },
  'PATCH /api/v1/conversations/:id': {
    id: 'conversation',
    request: { body: { status: 'answered' } },
    ok: { as: sam, status: 200 },
    forbidden: [{ as: alice }, { as: alice, body: { assigneeId: 'sam' } }],
  },
  'POST /api/v1/conversations/:id/messages': {
    id: 'conversation',
    request: { body: { body: 'A reply' } },
    ok: { as: alice, status: 201 },
    forbidden: [
      ...staffActions.map((action) => ({ as: alice, body: { body: 'x', action } })),
      { as: alice, body: { body: 'x', tip: 'psst' } },
      { as: alice, body: { body: 'x', action: 'reply', tip: 'psst' } },
    ],
  },
  'POST /api/v1/conversations/:id/participants': {
    id: 'conversation',
    request: { body: { userIds: ['adam'] } },
    ok: { as: alice, status: 200 },
  },
  ...Object.fromEntries(
    ['read', 'unread', 'trash', 'restore', 'leave'].map((change) => [
      `POST /api/v1/conversations/:id/${change}`,
      { id: 'conversation', ok: { as: alice, status: 204 } } satisfies Entry,
    ]),
  ),
  'POST /api/v1/conversations/:id/notify-admins': {
    id: 'conversation',
    ok: { as: sam, status: 202 },
    forbidden: [{ as: alice }],
  },
  ...Object.fromEntries(
    ['solve', 'reopen'].map((change) => [`POST /api/v1/conversations/:id/${change}`, { id: 'conversation', ok: { as: alice, status: 200 } } satisfies Entry]),
  ),
  'PUT /api/v1/conversations/:id/rating': {
    id: 'conversation',
    request: { body: { score: 4, comment: 'Helpful' } },
    prepare: answer,
    ok: { as: alice, status: 200 },
    forbidden: [{ as: sam }, { as: root }, { as: sam, body: { score: 1 } }],
  },
  'GET /api/v1/ratings': {
    request: { query: 'accountId=acme' },
    ok: { as: sam, status: 200 },
    forbidden: [
      { as: alice, query: 'accountId=acme' },
      { as: gina, query: 'accountId=acme' },
      { as: bob, query: 'accountId=globex' },
    ],
  },
  'GET /api/v1/reply-times': {
    request: { query: 'accountId=acme' },
    ok: { as: alice, status: 200 },
    forbidden: [
      { as: alice, query: 'accountId=globex' },
      { as: gina, query: 'accountId=acme' },
    ],
  },
  'PUT /api/v1/reply-times': {
    request: { body: { accountId: 'acme', replyTime: { amount: 2, unit: 'working_days' } } },
    ok: { as: sam, status: 200 },
    forbidden: [{ as: alice }, { as: adam }, { as: gina }, { as: bob, body: { accountId: 'globex', replyTime: { amount: 1, unit: 'days' } } }],
  },
  'GET /api/v1/accounts/:id/settings': {
    id: 'account',
    ok: { as: sam, status: 200 },
    forbidden: [{ as: alice }, { as: adam }],
  },
  'PATCH /api/v1/accounts/:id/settings': {
    id: 'account',
    request: { body: { showReaderNames: true } },
    ok: { as: root, status: 200 },
    forbidden: [{ as: alice }, { as: sam }],
  },
  'POST /api/v1/conversations/:id/typing': { id: 'conversation', ok: { as: sam, status: 204 }, forbidden: [{ as: alice }] },
  'GET /api/v1/saved-replies': {
    ok: { as: sam, status: 200 },
    forbidden: [{ as: alice }, { as: adam, query: 'accountId=acme&q=hello' }, { as: gina, query: 'accountId=acme' }],
  },
  'POST /api/v1/saved-replies': {
    request: { body: { accountId: 'acme', title: 'Hello', body: 'Hello {{customer.firstName}}' } },
    ok: { as: sam, status: 201 },
    forbidden: [
      { as: alice },
      { as: gina },
      { as: sam, body: { accountId: null, title: 'For everyone', body: 'Hi' } },
      { as: bob, body: { accountId: 'globex', title: 'Mine', body: 'Hi' } },
    ],
  },
  'GET /api/v1/saved-replies/:id': { id: 'savedReply', ok: { as: sam, status: 200 }, forbidden: [{ as: alice }] },
  'PATCH /api/v1/saved-replies/:id': { id: 'savedReply', request: { body: { title: 'Renamed' } }, ok: { as: sam, status: 200 }, forbidden: [{ as: alice }] },
  'DELETE /api/v1/saved-replies/:id': { id: 'savedReply', ok: { as: sam, status: 204 }, forbidden: [{ as: alice }] },
  'POST /api/v1/saved-replies/:id/render': {
    id: 'savedReply',
    request: { body: { conversationId: ALICE_CONVERSATION } },
    ok: { as: sam, status: 200 },
    forbidden: [{ as: alice }],
  },
  'GET /api/v1/notifications': { ok: { as: sam, status: 200 }, forbidden: [{ as: alice }] },
  'GET /api/v1/notifications/unread-count': { ok: { as: sam, status: 200 }, forbidden: [{ as: alice }] },
  'POST /api/v1/notifications/read-all': { ok: { as: sam, status: 204 }, forbidden: [{ as: alice }] },
  'POST /api/v1/notifications/:id/read': { id: 'notification', ok: { as: sam, status: 204 }, forbidden: [{ as: alice }] },
  'GET /api/v1/events': { request: { stream: true }, ok: { as: alice, status: 200 } },
  'POST /api/v1/attachments': { request: { upload: true }, ok: { as: alice, status: 201 } },
  'GET /api/v1/attachments/:id': { id: 'attachment', ok: { as: alice, status: 200 } },
};

const appRoutes = apiRoutes(makeTestApp().app);
const routeKey = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
const covered = appRoutes.filter((r) => table[routeKey(r)]);

// ------------------------------------------------------------------ calling
interface Answer {
  status: number;
  text: string;
  contentType: string | null;
}

async function send(
  t: TestApp,
  user: TestUser | null,
  method: string,
  path: string,
  variant: Variant & { upload?: boolean; stream?: boolean } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (user) headers.authorization = `Bearer ${await t.token(user)}`;
  let body: BodyInit | undefined;
  if (variant.upload) {
    const form = new FormData();
    form.append('file', new Blob(['Plain notes for the case file.\n'], { type: 'text/plain' }), 'notes.txt');
    body = form;
  } else if (variant.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(variant.body).replaceAll(JSON.stringify(ALICE_CONVERSATION), JSON.stringify(aliceConversation));
  }
  const res = await t.app.request(`${path}${variant.query ? `?${variant.query}` : ''}`, { method, headers, body });
  const contentType = res.headers.get('content-type');
  if (variant.stream && res.status === 200) {
    await res.body?.cancel();
    return { status: res.status, text: '', contentType };
  }
  return { status: res.status, text: await res.text(), contentType };
}

const fill = (path: string, id: string) => path.replace(/:id\b/, encodeURIComponent(id));
const unknownIds: Record<IdKind, string> = {
  conversation: `c_${randomBytes(12).toString('base64url')}`,
  attachment: `att_${randomBytes(12).toString('base64url')}`,
  notification: '987654321',
  account: 'no-such-account',
  savedReply: `sr_${randomBytes(12).toString('base64url')}`,
};

/** The id ALICE_CONVERSATION stands for, once the fixtures are made. */
let aliceConversation = '';

// ------------------------------------------------------------------ fixtures
interface Fixtures {
  aliceConv: string;
  adamConv: string;
  bobConv: string;
  initechConv: string;
  bobPending: string;
  bobSent: string;
  aliceSent: string;
  samNotice: string;
  ginaNotice: string;
  acmeReply: string;
  initechReply: string;
}

async function savedReply(t: TestApp, user: TestUser, accountId: string): Promise<string> {
  const res = await t.call(user, 'POST', '/saved-replies', { accountId, title: `Of ${user.sub}`, body: 'Hello {{customer.firstName}}' });
  if (res.status !== 201) throw new Error(`saving a reply failed: ${res.status} ${res.text}`);
  return res.json.savedReply.id as string;
}

async function upload(t: TestApp, user: TestUser, text: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([text], { type: 'text/plain' }), 'file.txt');
  const res = await t.app.request('/api/v1/attachments', { method: 'POST', headers: { authorization: `Bearer ${await t.token(user)}` }, body: form });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { attachment: { id: string } }).attachment.id;
}

let noticeCounter = 0;
async function insertNotice(t: TestApp, userId: string, conversationId: string): Promise<string> {
  noticeCounter += 1;
  const row = await firstRow<{ id: number }>(
    t.db,
    sql`
    INSERT INTO notifications (user_id, channel, reason, conversation_id, dedupe_key)
    VALUES (${userId}, 'in_app', 'message', ${conversationId}, ${`matrix-${noticeCounter}-${randomBytes(4).toString('hex')}`}) RETURNING id`,
  );
  return String(row!.id);
}

const hasRoute = (key: string) => appRoutes.some((r) => routeKey(r) === key);

async function makeFixtures(t: TestApp): Promise<Fixtures> {
  await signInAll(t);
  await t.call(nina, 'GET', '/me');
  const aliceConv = (await startConversation(t, alice, { subject: 'Alice private' })).id;
  const adamConv = (await startConversation(t, adam, { subject: 'Adam private' })).id;
  const bobConv = (await startConversation(t, bob, { subject: 'Bob private' })).id;
  const initechConv = (await startConversation(t, root, { accountId: 'initech', recipientIds: ['nina'], subject: 'Initech' })).id;
  let bobPending = 'att_unavailable1';
  let bobSent = 'att_unavailable2';
  let aliceSent = 'att_unavailable3';
  if (hasRoute('POST /api/v1/attachments')) {
    bobPending = await upload(t, bob, 'Bob draft file\n');
    bobSent = await upload(t, bob, 'Bob sent file\n');
    aliceSent = await upload(t, alice, 'Alice sent file\n');
    expect((await t.call(bob, 'POST', `/conversations/${bobConv}/messages`, { body: 'see file', attachmentIds: [bobSent] })).status).toBe(201);
    expect((await t.call(alice, 'POST', `/conversations/${aliceConv}/messages`, { body: 'see file', attachmentIds: [aliceSent] })).status).toBe(201);
  }
  const samNotice = await insertNotice(t, 'sam', bobConv);
  const ginaNotice = await insertNotice(t, 'gina', bobConv);
  aliceConversation = aliceConv;
  const acmeReply = await savedReply(t, sam, 'acme');
  const initechReply = await savedReply(t, root, 'initech');
  return { aliceConv, adamConv, bobConv, initechConv, bobPending, bobSent, aliceSent, samNotice, ginaNotice, acmeReply, initechReply };
}

/** Who calls an `:id` route with which ids that they may not see. */
function foreignCases(kind: IdKind, f: Fixtures): { as: TestUser; ids: Record<string, string> }[] {
  switch (kind) {
    case 'conversation':
      return [
        { as: alice, ids: { 'another customer of the same account': f.adamConv, 'another account': f.bobConv, 'a third account': f.initechConv } },
        { as: adam, ids: { 'a co-owner who is not a participant': f.aliceConv } },
        { as: bob, ids: { 'another account': f.aliceConv } },
        { as: gina, ids: { 'an account not in the staff claims': f.aliceConv, 'a third account': f.initechConv } },
        { as: sam, ids: { 'an account not in the staff claims': f.initechConv } },
        { as: nina, ids: { 'another account': f.bobConv } },
      ];
    case 'attachment':
      return [
        { as: alice, ids: { "another user's unsent upload": f.bobPending, 'a file in another account': f.bobSent } },
        { as: adam, ids: { 'a file in a conversation of the same account he is not in': f.aliceSent } },
        { as: gina, ids: { 'a file in an account not in the staff claims': f.aliceSent, "another user's unsent upload": f.bobPending } },
      ];
    case 'notification':
      return [
        { as: gina, ids: { "another staff member's notice": f.samNotice } },
        { as: sam, ids: { "another staff member's notice": f.ginaNotice } },
      ];
    case 'account':
      return [];
    case 'savedReply':
      return [
        { as: gina, ids: { 'a reply of an account not in the staff claims': f.acmeReply, 'a reply of a third account': f.initechReply } },
        { as: sam, ids: { 'a reply of an account not in the staff claims': f.initechReply } },
      ];
  }
}

/** A fresh resource for the allowed caller's success case. */
async function ownId(t: TestApp, kind: IdKind, user: TestUser): Promise<string> {
  switch (kind) {
    case 'conversation':
      return (await startConversation(t, alice, { subject: `For ${user.sub}` })).id;
    case 'attachment':
      return upload(t, user, `Own file of ${user.sub}\n`);
    case 'notification':
      return insertNotice(t, user.sub, (await startConversation(t, alice)).id);
    case 'account':
      return 'acme';
    case 'savedReply':
      return savedReply(t, user, 'acme');
  }
}

/** A resource the caller may see, for the 403 cases. */
async function visibleId(t: TestApp, kind: IdKind, user: TestUser, f: Fixtures): Promise<string> {
  switch (kind) {
    case 'conversation':
      return user.sub === 'alice' ? (await startConversation(t, alice, { subject: 'For a refused action' })).id : f.aliceConv;
    case 'attachment':
      return upload(t, user, 'visible\n');
    case 'notification':
      return f.samNotice;
    case 'account':
      return 'acme';
    case 'savedReply':
      return f.acmeReply;
  }
}

/** One app and one set of fixtures for the whole matrix: every success case works on a fresh resource. */
let world: Promise<{ t: TestApp; f: Fixtures }> | undefined;
function sharedWorld() {
  world ??= (async () => {
    const t = makeTestApp();
    return { t, f: await makeFixtures(t) };
  })();
  return world;
}

// ------------------------------------------------------------------ the suite
describe('the route table', () => {
  it('covers every API route of the app', () => {
    const missing = appRoutes.map(routeKey).filter((key) => !table[key]);
    expect(missing, `routes without authorization cases in test/authz-matrix.test.ts: ${missing.join(', ')}`).toEqual([]);
    expect(covered.length).toBeGreaterThanOrEqual(17);
  });

  it('documents every route in the OpenAPI operations, and only routes that exist', () => {
    const documented = new Set(operations.map((op) => `${op.method.toUpperCase()} /api/v1${op.path.replace(/\{(\w+)\}/g, ':$1')}`));
    const undocumented = appRoutes.map(routeKey).filter((key) => !documented.has(key));
    expect(undocumented, `routes missing from the operations in packages/protocol/src/openapi.ts: ${undocumented.join(', ')}`).toEqual([]);
    const routed = new Set(appRoutes.map(routeKey));
    const phantom = [...documented].filter((key) => !routed.has(key));
    expect(phantom, `operations with no route: ${phantom.join(', ')}`).toEqual([]);
  });

  it('serves the same list at GET /api/v1/openapi.json', async () => {
    const t = makeTestApp();
    const res = await t.app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const route of appRoutes) {
      const path = route.path.replace(/^\/api\/v1/, '').replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path} in openapi.json`).toBeDefined();
    }
  });
});

describe.each(covered.map((r) => [routeKey(r), r] as const))('%s', (key, route) => {
  const entry = table[key]!;
  let t: TestApp;
  let f: Fixtures;
  beforeAll(async () => {
    ({ t, f } = await sharedWorld());
  });

  if (entry.public) {
    it('is public', async () => {
      const res = await send(t, null, route.method, route.path, entry.request);
      expect(res.status).toBe(entry.ok.status);
    });
  } else {
    it('answers 401 without a token, before anything else', async () => {
      const path = entry.id ? fill(route.path, entry.id === 'account' ? 'acme' : await ownId(t, entry.id, entry.ok.as)) : route.path;
      for (const authorization of [null, 'Bearer not-a-token']) {
        const headers: Record<string, string> = authorization ? { authorization } : {};
        const res = await t.app.request(path, {
          method: route.method,
          headers: entry.request?.body !== undefined ? { ...headers, 'content-type': 'application/json' } : headers,
          body: entry.request?.body !== undefined ? JSON.stringify(entry.request.body) : undefined,
        });
        expect(res.status).toBe(401);
        const json = (await res.json()) as { error: { code: string; message: string } };
        expect(json.error.code).toBe('unauthorized');
        expect(json.error.message).toEqual(expect.any(String));
      }
    });
  }

  it(`succeeds for ${entry.ok.as.sub} (${entry.ok.status})`, async () => {
    const id = entry.id ? await ownId(t, entry.id, entry.ok.as) : undefined;
    if (entry.prepare && id !== undefined) await entry.prepare(t, id);
    const res = await send(t, entry.ok.as, route.method, id !== undefined ? fill(route.path, id) : route.path, entry.request);
    expect(res.status, res.text).toBe(entry.ok.status);
    if (res.contentType?.startsWith('application/json')) expect(() => JSON.parse(res.text)).not.toThrow();
  });

  for (const [i, refused] of (entry.forbidden ?? []).entries()) {
    it(`refuses ${refused.as.sub} with 403 (case ${i + 1}${refused.body ? `: ${JSON.stringify(refused.body)}` : refused.query ? `: ${refused.query}` : ''})`, async () => {
      const path = entry.id ? fill(route.path, await visibleId(t, entry.id, refused.as, f)) : route.path;
      const variant = {
        ...entry.request,
        ...(refused.body !== undefined ? { body: refused.body } : {}),
        ...(refused.query !== undefined ? { query: refused.query } : {}),
      };
      const res = await send(t, refused.as, route.method, path, variant);
      expect(res.status, res.text).toBe(403);
      expect(JSON.parse(res.text).error.code).toBe('forbidden');
    });
  }

  if (entry.id && entry.id !== 'account') {
    const kind = entry.id;
    it('answers unknown and foreign ids with byte-identical 404s, for every request variant, changing nothing', async () => {
      const variants: Variant[] = [
        entry.request ?? {},
        ...(entry.forbidden ?? []).map(({ body, query }) => ({
          ...entry.request,
          ...(body !== undefined ? { body } : {}),
          ...(query !== undefined ? { query } : {}),
        })),
      ];
      const snapshot = async () =>
        JSON.stringify(
          await Promise.all([f.aliceConv, f.adamConv, f.bobConv, f.initechConv].map(async (id) => (await t.call(root, 'GET', `/conversations/${id}`)).json)),
        );
      const before = await snapshot();
      let compared = 0;
      for (const { as, ids } of foreignCases(kind, f)) {
        const sameCallerVariants = variants.filter((_, i) => i === 0 || (entry.forbidden ?? [])[i - 1]?.as.sub === as.sub);
        for (const variant of sameCallerVariants) {
          const unknown = await send(t, as, route.method, fill(route.path, unknownIds[kind]), variant);
          expect(unknown.status, unknown.text).toBe(404);
          expect(JSON.parse(unknown.text).error.code).toBe('not_found');
          for (const [what, id] of Object.entries(ids)) {
            const foreign = await send(t, as, route.method, fill(route.path, id), variant);
            expect({ status: foreign.status, text: foreign.text, type: foreign.contentType }, `${as.sub}, ${what}`).toEqual({
              status: unknown.status,
              text: unknown.text,
              type: unknown.contentType,
            });
            compared += 1;
          }
        }
      }
      expect(compared).toBeGreaterThan(0);
      expect(await snapshot()).toBe(before);
    });
  }
});
