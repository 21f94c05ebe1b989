/**
 * Transport security over the app's own route list: CORS for the configured origins only, writes
 * from foreign pages refused, security headers on every answer, no GET that changes state, and an
 * audit row for every state change and every denial.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, expectError, makeTestApp, onPostgres, people, postMessage, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { firstRow, rows as allRows } from '../src/store/sql.js';

const { alice, adam, bob, sam, gina, root } = people;
const PORTAL = 'https://portal.example';
const EVIL = 'https://evil.example';

const routeKey = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

interface World {
  t: TestApp;
  conv: string;
  bobConv: string;
  attachment: string;
  notice: string;
  savedReply: string;
}

async function upload(t: TestApp, user: TestUser, text = 'Plain notes.\n'): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([text], { type: 'text/plain' }), 'notes.txt');
  const res = await t.app.request('/api/v1/attachments', { method: 'POST', headers: { authorization: `Bearer ${await t.token(user)}` }, body: form });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { attachment: { id: string } }).attachment.id;
}

async function insertNotice(t: TestApp, userId: string, conversationId: string): Promise<string> {
  return String(
    (await firstRow<{ id: number }>(
      t.db,
      sql`
      INSERT INTO notifications (user_id, channel, reason, conversation_id, dedupe_key)
      VALUES (${userId}, 'in_app', 'message', ${conversationId}, ${`security-${randomBytes(6).toString('hex')}`}) RETURNING id`,
    ))!.id,
  );
}

async function freshReply(t: TestApp): Promise<string> {
  const res = await t.call(sam, 'POST', '/saved-replies', { accountId: 'acme', title: 'Audited reply', body: 'Hello {{customer.firstName}}' });
  if (res.status !== 201) throw new Error(`saving a reply failed: ${res.status} ${res.text}`);
  return res.json.savedReply.id as string;
}

async function makeWorld(): Promise<World> {
  const t = makeTestApp({ SECURE_INBOX_ALLOWED_ORIGINS: PORTAL });
  await signInAll(t);
  const conv = (await startConversation(t, alice, { subject: 'Permit question' })).id;
  const attachment = await upload(t, alice);
  await postMessage(t, alice, conv, { body: '<p>See the <b>file</b></p>', attachmentIds: [attachment] });
  await postMessage(t, sam, conv, { body: 'Checking internally', action: 'internal_note' });
  await postMessage(t, sam, conv, { body: 'Works progress', action: 'status_update', tip: 'A tip' });
  const bobConv = (await startConversation(t, bob, { subject: 'Bob' })).id;
  return { t, conv, bobConv, attachment, notice: await insertNotice(t, 'sam', conv), savedReply: await freshReply(t) };
}

let shared: Promise<World> | undefined;
const world = () => (shared ??= makeWorld());
// Made for the whole file, outside any test: an app made inside a test ends with that test (test/helpers.ts).
beforeAll(async () => {
  await world();
});

/** A concrete path for a route: its `:id` filled with something the caller can see. */
function concrete(w: World, path: string): string {
  const id = path.startsWith('/api/v1/attachments/')
    ? w.attachment
    : path.startsWith('/api/v1/notifications/')
      ? w.notice
      : path.startsWith('/api/v1/accounts/')
        ? 'acme'
        : path.startsWith('/api/v1/saved-replies/')
          ? w.savedReply
          : w.conv;
  const filled = path.replace(/:id\b/, id);
  const queries: Record<string, string> = { '/api/v1/directory': 'accountId=acme', '/api/v1/status-updates': 'accountId=acme' };
  return queries[path] ? `${filled}?${queries[path]}` : filled;
}

async function request(t: TestApp, user: TestUser | null, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (user) headers.authorization = `Bearer ${await t.token(user)}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await t.app.request(path, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { res, text: '' };
  }
  return { res, text: await res.text() };
}

/** Everything the database holds, except the audit log (which records reads that were refused). */
async function snapshot(t: TestApp): Promise<Record<string, unknown[]>> {
  const tables = (
    await allRows<{ name: string }>(
      t.db,
      onPostgres
        ? sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
        : sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' ORDER BY name`,
    )
  )
    .map((r) => r.name)
    .filter((name) => name !== 'audit_events' && !name.includes('_fts'));
  const out: Record<string, unknown[]> = {};
  // Rows sorted by their content, so tables without a rowid compare as well.
  for (const name of tables) out[name] = (await allRows(t.db, sql`SELECT * FROM ${sql.identifier(name)}`)).map((r) => JSON.stringify(r)).sort();
  return out;
}

// ------------------------------------------------------------------ CORS
describe('CORS', () => {
  it('answers the configured origin with Access-Control-Allow-Origin, on success and on errors', async () => {
    const { t } = await world();
    const ok = await request(t, alice, 'GET', '/api/v1/me', { headers: { origin: PORTAL } });
    expect(ok.res.status).toBe(200);
    expect(ok.res.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(ok.res.headers.get('vary')?.toLowerCase()).toContain('origin');
    const denied = await request(t, null, 'GET', '/api/v1/me', { headers: { origin: PORTAL } });
    expect(denied.res.status).toBe(401);
    expect(denied.res.headers.get('access-control-allow-origin')).toBe(PORTAL);
  });

  it('gives a foreign origin no CORS headers at all', async () => {
    const { t } = await world();
    for (const origin of [EVIL, 'null', `${PORTAL}.evil.example`, 'http://portal.example', `${PORTAL}:8443`]) {
      const res = await request(t, alice, 'GET', '/api/v1/me', { headers: { origin } });
      expect(res.res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.res.headers.get('access-control-allow-credentials'), origin).toBeNull();
    }
  });

  it('answers preflights for the configured origin only, allowing the headers the widget sends', async () => {
    const { t } = await world();
    const preflight = (origin: string, method = 'POST') =>
      t.app.request('/api/v1/conversations', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type, last-event-id' },
      });
    const allowed = await preflight(PORTAL);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const headers = allowed.headers.get('access-control-allow-headers')?.toLowerCase() ?? '';
    for (const h of ['authorization', 'content-type', 'last-event-id']) expect(headers).toContain(h);
    expect(Number(allowed.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    const foreign = await preflight(EVIL, 'PATCH');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the bundle with Access-Control-Allow-Origin: * to any page', async () => {
    const { t } = await world();
    writeFileSync(join(t.dir, 'missing-bundle.js'), 'export {};\n');
    const res = await t.app.request('/secure-inbox.js', { headers: { origin: EVIL } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses every state-changing route called from a foreign page with 403, changing nothing, and accepts the portal and the same origin', async () => {
    const w = await world();
    const { t } = w;
    const writes = apiRoutes(t.app).filter((r) => r.method !== 'GET');
    expect(writes.length).toBeGreaterThanOrEqual(12);
    const before = await snapshot(t);
    for (const route of writes) {
      const res = await request(t, root, route.method, concrete(w, route.path), { body: {}, headers: { origin: EVIL } });
      expectError({ status: res.res.status, json: JSON.parse(res.text), headers: res.res.headers, text: res.text }, 403, 'forbidden');
      expect(JSON.parse(res.text).error.message, routeKey(route)).toContain('SECURE_INBOX_ALLOWED_ORIGINS');
    }
    expect(await snapshot(t)).toEqual(before);
    const fromPortal = await request(t, alice, 'POST', `/api/v1/conversations/${w.conv}/read`, { headers: { origin: PORTAL } });
    expect(fromPortal.res.status).toBe(204);
    const sameOrigin = await request(t, alice, 'POST', `http://localhost/api/v1/conversations/${w.conv}/read`, { headers: { origin: 'http://localhost' } });
    expect(sameOrigin.res.status).toBe(204);
  });
});

// ------------------------------------------------------------------ headers
function expectSecurityHeaders(res: Response, what: string, api: boolean) {
  const h = res.headers;
  expect(h.get('x-content-type-options'), what).toBe('nosniff');
  expect(h.get('referrer-policy'), what).toBe('no-referrer');
  expect(h.get('x-frame-options'), what).toMatch(/^(DENY|SAMEORIGIN)$/);
  expect(h.get('strict-transport-security'), what).toMatch(/max-age=\d+/);
  expect(h.get('cross-origin-opener-policy'), what).toBe('same-origin');
  expect(h.get('x-powered-by'), what).toBeNull();
  if (api) {
    // JSON answers carry the API policy; downloads may carry their own, as strict (a sandbox).
    const csp = h.get('content-security-policy') ?? '';
    if ((h.get('content-type') ?? '').startsWith('application/json')) expect(csp, what).toBe("default-src 'none'; frame-ancestors 'none'");
    else expect(csp, what).toMatch(/^default-src 'none'; (frame-ancestors 'none'|sandbox)/);
    const type = h.get('content-type') ?? '';
    if (type.startsWith('application/json') || res.status === 204) expect(h.get('cache-control'), what).toBe('no-store');
    else expect(h.get('cache-control'), what).toMatch(/no-store|no-cache/);
  }
}

describe('security headers', () => {
  it('are on every answer of every API route: success, refusal, validation error, 404', async () => {
    const w = await world();
    const { t } = w;
    let checked = 0;
    for (const route of apiRoutes(t.app)) {
      const path = concrete(w, route.path);
      const cases: [TestUser | null, string, unknown][] = [
        [route.method === 'GET' ? alice : null, path, undefined],
        [alice, path.replace(/\/(c_|att_)[\w-]+|\/\d+(?=\/read)/, '/unknown-id'), route.method === 'GET' ? undefined : { unknownField: true }],
        [root, path, route.method === 'GET' ? undefined : {}],
      ];
      for (const [user, p, body] of cases) {
        const { res } = await request(t, user, route.method, p, { body });
        expect(res.status, `${route.method} ${p}`).toBeLessThan(500);
        expectSecurityHeaders(res, `${route.method} ${p} → ${res.status}`, true);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(60);
  });

  it('are on preflights, unknown API paths, the health check, the bundle and the JSON 404', async () => {
    const { t } = await world();
    const preflight = await t.app.request('/api/v1/me', { method: 'OPTIONS', headers: { origin: PORTAL, 'access-control-request-method': 'GET' } });
    expectSecurityHeaders(preflight, 'preflight', true);
    const unknown = await request(t, alice, 'GET', '/api/v1/no-such-thing');
    expect(unknown.res.status).toBe(404);
    expectSecurityHeaders(unknown.res, 'unknown API path', true);
    for (const path of ['/healthz', '/secure-inbox.js', '/no-such-page']) expectSecurityHeaders(await t.app.request(path), path, false);
  });

  it('sends downloads as attachments that the browser may not sniff or render', async () => {
    const w = await world();
    const { res } = await request(w.t, alice, 'GET', `/api/v1/attachments/${w.attachment}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(res.headers.get('cache-control')).toContain('no-store');
    expectSecurityHeaders(res, 'download', true);
  });
});

// ------------------------------------------------------------------ GET never changes state
describe('GET requests', () => {
  it('leave the database unchanged on every GET route, for customers, staff and admins', async () => {
    const w = await world();
    const { t } = w;
    const gets = apiRoutes(t.app).filter((r) => r.method === 'GET');
    expect(gets.length).toBeGreaterThanOrEqual(10);
    const before = await snapshot(t);
    const auditBefore = (await firstRow<{ n: number }>(t.db, sql`SELECT max(id) AS n FROM audit_events`))!.n;
    let ok = 0;
    for (const route of gets) {
      for (const user of [alice, adam, sam, root]) {
        const path = concrete(w, route.path);
        for (const p of [path, route.path === '/api/v1/conversations' ? `${path}?folder=inbox&unread=true` : path]) {
          const { res } = await request(t, user, 'GET', p);
          expect(res.status, `${user.sub} GET ${p}`).toBeLessThan(500);
          if (res.status === 200) ok += 1;
        }
      }
    }
    expect(ok).toBeGreaterThanOrEqual(gets.length * 2);
    const after = await snapshot(t);
    for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(before.conversation_users!.length).toBeGreaterThan(0);
    // The only trace a GET may leave is a refusal in the audit log.
    const added = await allRows<{ outcome: string }>(t.db, sql`SELECT outcome FROM audit_events WHERE id > ${auditBefore}`);
    expect(added.every((r) => r.outcome === 'denied')).toBe(true);
  });

  it('keep a thread unread when it is opened: reading is a POST', async () => {
    const w = await world();
    const thread = (await w.t.call(sam, 'GET', `/conversations?folder=inbox`)).json.items.find((i: { id: string }) => i.id === w.conv);
    const count = thread.unreadCount;
    expect((await w.t.call(sam, 'GET', `/conversations/${w.conv}`)).status).toBe(200);
    const again = (await w.t.call(sam, 'GET', `/conversations?folder=inbox`)).json.items.find((i: { id: string }) => i.id === w.conv);
    expect(again.unreadCount).toBe(count);
  });
});

// ------------------------------------------------------------------ audit rows
interface WriteCase {
  as: TestUser;
  path: (w: World) => Promise<string> | string;
  /** The body, or what makes it from the world (a conversation's id). */
  body?: unknown;
  upload?: boolean;
  status: number;
  /** The action its ok row records; null for a POST that changes nothing, which writes no ok row. */
  action: string | null;
  /** A refused variant and the action its denied row records. */
  denied?: { as: TestUser; path?: (w: World) => Promise<string> | string; body?: unknown; status: 403 | 404; action: string };
}

const fresh = async (w: World) => (await startConversation(w.t, alice, { subject: 'Fresh' })).id;
const conversationChange = (change: string): WriteCase => ({
  as: alice,
  path: async (w) => `/api/v1/conversations/${await fresh(w)}/${change}`,
  status: 204,
  action: `conversation.${change}`,
  denied: { as: bob, status: 404, action: `conversation.${change}` },
});

const writes: Record<string, WriteCase> = {
  'PUT /api/v1/accounts/:id': {
    as: root,
    path: () => '/api/v1/accounts/acme',
    body: { name: 'Acme Ltd' },
    status: 200,
    action: 'account.update',
    denied: { as: sam, status: 403, action: 'account.update' },
  },
  'POST /api/v1/conversations': {
    as: alice,
    path: () => '/api/v1/conversations',
    body: { accountId: 'acme', subject: 'Audited', body: 'Hello' },
    status: 201,
    action: 'conversation.create',
    denied: { as: alice, body: { accountId: 'globex', subject: 'Not mine', body: 'Hello' }, status: 403, action: 'conversation.create' },
  },
  'PATCH /api/v1/conversations/:id': {
    as: sam,
    path: async (w) => `/api/v1/conversations/${await fresh(w)}`,
    body: { status: 'answered' },
    status: 200,
    action: 'conversation.update',
    denied: { as: alice, status: 403, action: 'conversation.update' },
  },
  'POST /api/v1/conversations/:id/messages': {
    as: alice,
    path: async (w) => `/api/v1/conversations/${await fresh(w)}/messages`,
    body: { body: 'A reply' },
    status: 201,
    action: 'message.reply',
    denied: { as: alice, body: { body: 'x', action: 'internal_note' }, status: 403, action: 'message.internal_note' },
  },
  'POST /api/v1/conversations/:id/participants': {
    as: alice,
    path: async (w) => `/api/v1/conversations/${await fresh(w)}/participants`,
    body: { userIds: ['adam'] },
    status: 200,
    action: 'conversation.participants',
    denied: { as: bob, status: 404, action: 'conversation.participants' },
  },
  ...Object.fromEntries(['read', 'unread', 'trash', 'restore', 'leave'].map((c) => [`POST /api/v1/conversations/:id/${c}`, conversationChange(c)])),
  'POST /api/v1/conversations/:id/notify-admins': {
    as: sam,
    path: async (w) => `/api/v1/conversations/${await fresh(w)}/notify-admins`,
    status: 202,
    action: 'conversation.notify_admins',
    denied: { as: alice, status: 403, action: 'conversation.notify_admins' },
  },
  ...Object.fromEntries(['solve', 'reopen'].map((c) => [`POST /api/v1/conversations/:id/${c}`, { ...conversationChange(c), status: 200 }])),
  'PUT /api/v1/conversations/:id/rating': {
    as: alice,
    path: async (w) => {
      const id = await fresh(w);
      await postMessage(w.t, sam, id, { body: 'The answer', action: 'send' });
      return `/api/v1/conversations/${id}/rating`;
    },
    body: { score: 4 },
    status: 200,
    action: 'conversation.rate',
    denied: { as: sam, status: 403, action: 'conversation.rate' },
  },
  'PUT /api/v1/reply-times': {
    as: sam,
    path: () => '/api/v1/reply-times',
    body: { accountId: 'acme', replyTime: { amount: 1, unit: 'days' } },
    status: 200,
    action: 'reply_times.update',
    denied: { as: alice, status: 403, action: 'reply_times.update' },
  },
  'PATCH /api/v1/accounts/:id/settings': {
    as: root,
    path: () => '/api/v1/accounts/acme/settings',
    body: { showReaderNames: true },
    status: 200,
    action: 'account_settings.update',
    denied: { as: sam, status: 403, action: 'account_settings.update' },
  },
  'POST /api/v1/saved-replies': {
    as: sam,
    path: () => '/api/v1/saved-replies',
    body: { accountId: 'acme', title: 'Audited', body: 'Hello' },
    status: 201,
    action: 'saved_reply.create',
    denied: { as: alice, status: 403, action: 'saved_reply.create' },
  },
  'PATCH /api/v1/saved-replies/:id': {
    as: sam,
    path: async (w) => `/api/v1/saved-replies/${await freshReply(w.t)}`,
    body: { title: 'Changed' },
    status: 200,
    action: 'saved_reply.update',
    denied: { as: gina, status: 404, action: 'saved_reply.update' },
  },
  'DELETE /api/v1/saved-replies/:id': {
    as: sam,
    path: async (w) => `/api/v1/saved-replies/${await freshReply(w.t)}`,
    status: 204,
    action: 'saved_reply.delete',
    denied: { as: alice, status: 403, action: 'saved_reply.delete' },
  },
  'POST /api/v1/saved-replies/:id/render': {
    as: sam,
    path: async (w) => `/api/v1/saved-replies/${await freshReply(w.t)}/render`,
    body: (w: World) => ({ conversationId: w.conv }),
    status: 200,
    action: null,
    denied: { as: gina, status: 404, action: 'saved_reply.render' },
  },
  'POST /api/v1/conversations/:id/typing': {
    as: sam,
    path: async (w) => `/api/v1/conversations/${await fresh(w)}/typing`,
    status: 204,
    action: null,
    denied: { as: alice, status: 403, action: 'conversation.typing' },
  },
  'POST /api/v1/attachments': { as: alice, path: () => '/api/v1/attachments', upload: true, status: 201, action: 'attachment.upload' },
  'POST /api/v1/notifications/read-all': {
    as: sam,
    path: () => '/api/v1/notifications/read-all',
    status: 204,
    action: 'notifications.read_all',
    denied: { as: alice, status: 403, action: 'notifications.read_all' },
  },
  'POST /api/v1/notifications/:id/read': {
    as: sam,
    path: async (w) => `/api/v1/notifications/${await insertNotice(w.t, 'sam', await fresh(w))}/read`,
    status: 204,
    action: 'notifications.mark_read',
    denied: { as: alice, status: 403, action: 'notifications.mark_read' },
  },
};

async function sendUpload(w: World, as: TestUser, path: string) {
  const form = new FormData();
  form.append('file', new Blob(['Plain text.\n'], { type: 'text/plain' }), 'a.txt');
  return w.t.app.request(path, { method: 'POST', headers: { authorization: `Bearer ${await w.t.token(as)}` }, body: form });
}

describe('the audit log records', () => {
  const lastId = async (t: TestApp) => (await firstRow<{ n: number | null }>(t.db, sql`SELECT max(id) AS n FROM audit_events`))!.n ?? 0;
  const rowsAfter = (t: TestApp, id: number) =>
    allRows<{ actorId: string | null; action: string; outcome: string; targetId: string | null }>(
      t.db,
      sql`SELECT actor_id AS "actorId", action, outcome, target_id AS "targetId" FROM audit_events WHERE id > ${id} ORDER BY id`,
    );

  const countsOf = async (t: TestApp) =>
    new Map((await allRows<{ id: number; count: number }>(t.db, sql`SELECT id, count FROM audit_events WHERE outcome = 'denied'`)).map((r) => [r.id, r.count]));
  const countedAgain = async (t: TestApp, before: Map<number, number>) =>
    (
      await allRows<{ id: number; count: number; actorId: string | null; action: string; outcome: string; targetId: string | null }>(
        t.db,
        sql`SELECT id, count, actor_id AS "actorId", action, outcome, target_id AS "targetId" FROM audit_events WHERE outcome = 'denied'`,
      )
    ).filter((r) => before.has(r.id) && r.count > before.get(r.id)!);

  let w: World;
  beforeAll(async () => {
    w = await world();
  });

  it('has a case for every state-changing route of the app', () => {
    const missing = apiRoutes(w.t.app)
      .filter((r) => r.method !== 'GET')
      .map(routeKey)
      .filter((k) => !writes[k]);
    expect(missing, `state-changing routes without an audit case in test/security.test.ts: ${missing.join(', ')}`).toEqual([]);
  });

  for (const [key, c] of Object.entries(writes)) {
    it(`${key}: ${c.action === null ? 'no ok row (it changes nothing)' : 'an ok row by the caller for the change'}${c.denied ? ', a denied row for a refusal' : ''}`, async () => {
      const method = key.split(' ')[0]!;
      const path = await c.path(w);
      let mark = await lastId(w.t);
      const body = typeof c.body === 'function' ? (c.body as (w: World) => unknown)(w) : c.body;
      const res = c.upload ? await sendUpload(w, c.as, path) : (await request(w.t, c.as, method, path, { body })).res;
      expect(res.status).toBe(c.status);
      const rows = (await rowsAfter(w.t, mark)).filter((r) => r.outcome === 'ok' && r.actorId === c.as.sub);
      if (c.action === null) expect(rows, `${key} changes nothing`).toEqual([]);
      else
        expect(
          rows.map((r) => r.action),
          key,
        ).toContain(c.action);
      if (c.denied) {
        const d = c.denied;
        // A 404 refusal is the same path called by someone who may not see it.
        const deniedPath = d.path ? await d.path(w) : path;
        mark = await lastId(w.t);
        const counted = await countsOf(w.t);
        const refused = await request(w.t, d.as, method, deniedPath, { body: d.body ?? body });
        expect(refused.res.status, refused.text).toBe(d.status);
        // A new denied row, or (a repeat within the minute of an earlier refusal) that row counted once more; written
        // beside the answer, in a transaction of its own (domain/audit.ts `refusal`).
        const deniedActions = async () =>
          [...(await rowsAfter(w.t, mark)).filter((r) => r.outcome === 'denied'), ...(await countedAgain(w.t, counted))]
            .filter((r) => r.actorId === d.as.sub)
            .map((r) => r.action);
        await expect.poll(deniedActions, { message: key }).toContain(d.action);
        const rows = await rowsAfter(w.t, mark);
        expect(
          rows.filter((r) => r.outcome === 'ok'),
          'a refusal changes nothing',
        ).toEqual([]);
      }
    });
  }

  it('a denied row with no actor for each rejected token, naming the reason and never the token', async () => {
    const mark = await lastId(w.t);
    const good = await w.t.token(alice);
    const token = `${good.slice(0, -4)}${good.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const res = await request(w.t, null, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
    expect(res.res.status).toBe(401);
    const refusals = () =>
      allRows<{ actorId: string | null; outcome: string; action: string; detail: string }>(
        w.t.db,
        sql`SELECT actor_id AS "actorId", outcome, action, detail FROM audit_events WHERE id > ${mark}`,
      );
    // Written beside the answer, in a transaction of its own (domain/audit.ts `refusal`).
    await expect.poll(refusals).toHaveLength(1);
    const rows = await refusals();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorId: null, outcome: 'denied', action: 'auth' });
    expect(JSON.parse(rows[0]!.detail)).toMatchObject({ path: '/api/v1/me', reason: expect.any(String) });
    expect(rows[0]!.detail).not.toContain(token.split('.')[2]);
  });
});
