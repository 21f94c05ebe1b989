/**
 * GET /api/v1/audit: admins only, newest first, keyset pages, filters; and values that look like log
 * lines or terminal escapes stay data — stored as written, answered JSON-escaped.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../src/store/runtime.js';
import { expectError, makeTestApp, people, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { execute, firstRow, rows as allRows } from '../src/store/sql.js';

const { alice, adam, bob, sam, root } = people;

interface Row {
  id: string;
  at: string;
  actorId: string | null;
  action: string;
  outcome: 'ok' | 'denied';
  targetType: string | null;
  targetId: string | null;
  detail: unknown;
}

let t: TestApp;
beforeAll(async () => {
  t = makeTestApp();
  await signInAll(t);
  const c = await startConversation(t, alice, { subject: 'Audited' });
  await t.call(alice, 'POST', `/conversations/${c.id}/messages`, { body: 'reply' });
  await t.call(alice, 'POST', `/conversations/${c.id}/messages`, { body: 'x', action: 'internal_note' }); // denied
  await t.call(bob, 'GET', `/conversations/${c.id}`); // denied (404)
  await t.call(null, 'GET', '/me'); // auth denied
  for (let i = 0; i < 7; i++) await t.call(alice, 'POST', `/conversations/${c.id}/read`);
});

const list = async (query = '', as: TestUser = root) => {
  const res = await t.call(as, 'GET', `/audit${query ? `?${query}` : ''}`);
  expect(res.status, res.text).toBe(200);
  return res.json as { items: Row[]; nextCursor: string | null };
};

describe('GET /api/v1/audit', () => {
  it('lists rows newest first with their fields, detail as JSON', async () => {
    const { items } = await list();
    const ids = items.map((r) => Number(r.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const create = items.find((r) => r.action === 'conversation.create')!;
    expect(create).toMatchObject({ actorId: 'alice', outcome: 'ok', targetType: 'conversation', targetId: expect.stringMatching(/^c_/) });
    expect(create.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    const auth = items.find((r) => r.action === 'auth')!;
    expect(auth).toMatchObject({ actorId: null, outcome: 'denied', detail: { path: '/api/v1/me', reason: expect.any(String) } });
  });

  it('walks every row exactly once with the keyset cursor', async () => {
    const all = (await list('limit=200')).items.map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Row[]; nextCursor: string | null } = await list(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
    expect(all.length).toBeGreaterThan(10);
  });

  it('filters by actor (and "-" for none), action (exact or a prefix ending in "."), and outcome', async () => {
    const byAlice = (await list('actor=alice&limit=200')).items;
    expect(byAlice.length).toBeGreaterThan(0);
    expect(byAlice.every((r) => r.actorId === 'alice')).toBe(true);
    const anonymous = (await list('actor=-')).items;
    expect(anonymous.length).toBeGreaterThan(0);
    expect(anonymous.every((r) => r.actorId === null)).toBe(true);
    const reads = (await list('action=conversation.read&limit=200')).items;
    expect(reads.filter((r) => r.outcome === 'ok' && r.actorId === 'alice')).toHaveLength(7);
    expect(reads.every((r) => r.action === 'conversation.read')).toBe(true);
    const conversationRows = (await list('action=conversation.&limit=200')).items;
    expect(new Set(conversationRows.map((r) => r.action))).toEqual(new Set(['conversation.create', 'conversation.read']));
    const denied = (await list('outcome=denied&limit=200')).items;
    expect(denied.every((r) => r.outcome === 'denied')).toBe(true);
    expect(denied.map((r) => `${r.actorId} ${r.action}`)).toEqual(
      expect.arrayContaining(['alice message.internal_note', 'bob conversation.read', 'null auth']),
    );
    const combined = (await list('actor=bob&outcome=denied')).items;
    expect(combined.map((r) => r.action)).toEqual(['conversation.read']);
  });

  it('answers 422 for a bad cursor, limit, outcome or unknown parameter', async () => {
    for (const q of ['cursor=nope', 'limit=0', 'limit=201', 'outcome=maybe', 'actorId=alice', 'actor=']) {
      const res = await t.call(root, 'GET', `/audit?${q}`);
      expectError(res, 422, 'invalid');
    }
  });

  it('refuses customers and staff with 403, and records the refusal', async () => {
    for (const user of [alice, sam]) {
      expectError(await t.call(user, 'GET', '/audit'), 403, 'forbidden');
    }
    // The refusals' rows are written beside the answers, each in a transaction of its own (domain/audit.ts `refusal`),
    // so in either order on a store that writes them side by side (PostgreSQL).
    await expect
      .poll(async () => (await list('action=audit.read')).items.map((r) => `${r.actorId} ${r.outcome}`).sort())
      .toEqual(['alice denied', 'sam denied']);
  });
});

describe('repeated refusals', () => {
  it('make one row with a count per user, action, target and minute: 500 GETs of a foreign id do not add 500 rows', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const c = await startConversation(t, alice, { subject: 'Not for Bob' });
    const other = await startConversation(t, alice, { subject: 'Not for Bob either' });
    const before = (await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM audit_events`))!.n;
    for (let i = 0; i < 500; i++) expect((await t.call(bob, 'GET', `/conversations/${c.id}`)).status).toBe(404);
    await t.call(bob, 'GET', `/conversations/${other.id}`);
    await t.call(adam, 'GET', `/conversations/${c.id}`);
    const denied = async () => (await t.call(root, 'GET', '/audit?outcome=denied&limit=200')).json.items as (Row & { count: number })[];
    // The rows are written beside the answers, each in a transaction of its own (domain/audit.ts `refusal`).
    await expect.poll(async () => (await denied()).filter((r) => r.actorId !== 'bob' || r.targetId !== c.id).length).toBe(2);
    await expect.poll(async () => (await denied()).filter((r) => r.actorId === 'bob' && r.targetId === c.id).reduce((n, r) => n + r.count, 0)).toBe(500);
    const rows = await denied();
    const probes = rows.filter((r) => r.actorId === 'bob' && r.targetId === c.id);
    // One row, or two when a minute turned over during the loop; every refusal counted.
    expect(probes.length).toBeGreaterThanOrEqual(1);
    expect(probes.length).toBeLessThanOrEqual(2);
    expect(probes.reduce((n, r) => n + r.count, 0)).toBe(500);
    expect(probes[0]).toMatchObject({ action: 'conversation.read', outcome: 'denied', targetType: 'conversation' });
    // Another target, another user: rows of their own.
    expect(rows.filter((r) => r.actorId === 'bob' && r.targetId === other.id).map((r) => r.count)).toEqual([1]);
    expect(rows.filter((r) => r.actorId === 'adam' && r.targetId === c.id).map((r) => r.count)).toEqual([1]);
    expect((await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM audit_events`))!.n - before).toBeLessThanOrEqual(2 + 2 + 1);
  });

  it('make one row with the right count when they arrive together: 40 refusals at once add one row counting 40', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const c = await startConversation(t, alice, { subject: 'Probed at once' });
    // Rows are kept per minute: start well inside one, so that the burst cannot straddle two.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    const answers = await Promise.all(Array.from({ length: 40 }, () => t.call(bob, 'GET', `/conversations/${c.id}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(404));
    const probes = async () =>
      ((await t.call(root, 'GET', `/audit?actor=bob&outcome=denied&limit=200`)).json.items as (Row & { count: number })[]).filter((r) => r.targetId === c.id);
    await expect.poll(async () => (await probes()).reduce((n, r) => n + r.count, 0)).toBe(40);
    expect((await probes()).map((r) => r.count)).toEqual([40]);
  });

  it('stay append-only: only a count may change, and only upwards', async () => {
    const t = makeTestApp();
    // The trigger's own message, not the driver's wrapping of it.
    const run = (source: string) =>
      execute(t.db, sql.raw(source)).catch((error: Error) => {
        throw error.cause ?? error;
      });
    await run(`INSERT INTO audit_events (actor_id, action, outcome) VALUES ('bob', 'conversation.read', 'denied')`);
    await expect(run(`UPDATE audit_events SET detail = '{}'`)).rejects.toThrow(/append-only/);
    await expect(run(`UPDATE audit_events SET action = 'x', count = count + 1`)).rejects.toThrow(/append-only/);
    await expect(run(`UPDATE audit_events SET count = 0`)).rejects.toThrow(/only grow/);
    await expect(run(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
    await run(`UPDATE audit_events SET count = count + 1`);
    expect((await firstRow<{ count: number }>(t.db, sql`SELECT count FROM audit_events`))!.count).toBe(2);
  });
});

describe('log injection', () => {
  const CRLF_LINE = 'mallory\r\n2026-11-23T10:00:00.000Z INFO auth ok actor=ada.nwosu action=account.update';
  const ANSI = '\u001b[2J\u001b[1;31mADMIN\u001b[0m\u0007';
  const fakeJson = '"},{"actorId":"root","action":"account.update","outcome":"ok"}';
  const nasty: TestUser = { sub: `${CRLF_LINE}${ANSI}`, name: `Eve\r\n[INFO] login ok${ANSI}`, role: 'customer', accounts: [`acme\nX-Injected: 1${ANSI}`] };
  // (U+0000 is refused in ids: auth.test.ts.)
  const admin2: TestUser = { sub: `ops\r\n${fakeJson}\u0007`, name: 'Ops', role: 'admin', accounts: ['*'] };

  it('stores CR/LF, ANSI escapes and fake log lines in ids and names as data, and answers them JSON-escaped', async () => {
    // A denied action by a user whose id is a fake log line.
    expectError(await t.call(nasty, 'POST', '/conversations', { accountId: 'globex', subject: 's', body: 'b' }), 403, 'forbidden');
    // An admin provisioning an account whose id and name carry escapes and line breaks.
    const accountId = `acc\r\nFAKE ${ANSI}`;
    const put = await t.call(admin2, 'PUT', `/accounts/${encodeURIComponent(accountId)}`, { name: `Name\n${fakeJson}${ANSI}` });
    expect(put.status, put.text).toBe(200);
    // A rejected token on a path with encoded line breaks.
    expect((await t.app.request('/api/v1/me%0D%0A2026%20INFO%20ok', { headers: { authorization: 'Bearer x' } })).status).toBe(401);

    // The refusal's row is written beside its answer (domain/audit.ts `refusal`): perhaps after the update's.
    const storedRows = () =>
      allRows<{ actorId: string | null; action: string; targetId: string | null; detail: string | null }>(
        t.db,
        sql`SELECT actor_id AS "actorId", action, target_id AS "targetId", detail FROM audit_events WHERE actor_id IN (${nasty.sub}, ${admin2.sub}) ORDER BY action DESC`,
      );
    await expect.poll(async () => (await storedRows()).length).toBe(2);
    const stored = await storedRows();
    expect(stored.map((r) => [r.actorId, r.action])).toEqual([
      [nasty.sub, 'conversation.create'],
      [admin2.sub, 'account.update'],
    ]);
    expect(stored[1]!.targetId).toBe(accountId);
    expect(JSON.parse(stored[1]!.detail!)).toEqual({ name: `Name\n${fakeJson}${ANSI}` });

    // The rejected token's row too is written beside its answer.
    const authRows = async () => (await t.call(root, 'GET', '/audit?action=auth&limit=200')).json.items as Row[];
    await expect.poll(async () => (await authRows()).some((r) => String((r.detail as { path: string }).path).includes('INFO'))).toBe(true);
    const res = await t.call(root, 'GET', '/audit?limit=200');
    expect(res.status).toBe(200);
    // The raw answer holds no line break, escape or NUL character: JSON escaped them all.
    expect(res.text).not.toMatch(/[\r\n\u0000-\u001f]/);
    expect(res.text).toContain('mallory\\r\\n2026-11-23T10:00:00.000Z INFO');
    expect(res.text).toContain('\\u001b[2J');
    const items = res.json.items as Row[];
    // Parsed back, the values are exactly what was written, and the fake JSON did not create a row.
    expect(items.find((r) => r.actorId === nasty.sub)).toMatchObject({ action: 'conversation.create', outcome: 'denied', targetId: 'globex' });
    expect(items.find((r) => r.actorId === admin2.sub)).toMatchObject({
      action: 'account.update',
      targetId: accountId,
      detail: { name: `Name\n${fakeJson}${ANSI}` },
    });
    expect(items.filter((r) => r.actorId === 'root' && r.action === 'account.update')).toEqual([]);
    const path = items.find((r) => r.action === 'auth' && String((r.detail as { path: string }).path).includes('INFO'));
    expect((path!.detail as { path: string }).path).toContain('2026');

    // The filter finds the exact value, line breaks and all.
    const filtered = await t.call(root, 'GET', `/audit?actor=${encodeURIComponent(nasty.sub)}`);
    expect(filtered.json.items.map((r: Row) => r.actorId)).toEqual([nasty.sub]);
  });
});

describe('refusals while a transaction holds the database', () => {
  it('answers a refused read promptly and writes its audit row once the transaction has ended', async () => {
    const app = makeTestApp();
    await signInAll(app);
    const c = await startConversation(app, alice, { subject: 'Held' });
    const started = Date.now();
    const held = transaction(app.db, async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    const res = await app.call(bob, 'GET', `/conversations/${c.id}`);
    const answeredIn = Date.now() - started;
    expect(res.status, res.text).toBe(404);
    // Well under the 5 s busy timeout a write beside the transaction would wait for.
    expect(answeredIn).toBeLessThan(1_000);
    await held;
    const rows = () =>
      allRows<{ action: string; outcome: string; target_id: string }>(
        app.db,
        sql`SELECT action, outcome, target_id FROM audit_events WHERE actor_id = 'bob' AND outcome = 'denied'`,
      );
    await expect.poll(rows).toEqual([{ action: 'conversation.read', outcome: 'denied', target_id: c.id }]);
  });
});
