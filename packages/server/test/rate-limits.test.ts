/**
 * Rate limits: writes per user, sends / new conversations / uploads per client address, failed
 * sign-ins per client address. Each refusal is 429 `rate_limited` with Retry-After and is audited once.
 *
 * In-process calls pass the socket the way @hono/node-server does (`env.incoming.socket`), so the
 * address seen by the app is the one the test chooses; one test runs over real sockets.
 */
import { serve } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { FixedWindows } from '../src/rate-limit.js';
import { expectError, makeTestApp, readAnswer, people, SECRET, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { firstRow, rows as allRows } from '../src/store/sql.js';

const { alice, adam, bob, sam } = people;

/** A request as if it came over a socket from `address`. */
async function from(
  t: TestApp,
  address: string | null,
  user: TestUser | null | string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const h: Record<string, string> = { ...headers };
  if (typeof user === 'string') h.authorization = `Bearer ${user}`;
  else if (user) h.authorization = `Bearer ${await t.token(user)}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    h['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const env = address === null ? undefined : { incoming: { socket: { remoteAddress: address, remotePort: 40000, remoteFamily: 'IPv4' } } };
  return readAnswer(await t.app.request(`/api/v1${path}`, { method, headers: h, body: payload }, env));
}

const upload = (name = 'notes.txt') => {
  const form = new FormData();
  form.append('file', new Blob(['Plain notes for the case file.\n'], { type: 'text/plain' }), name);
  return form;
};

const auditRows = (t: TestApp, action: string) =>
  allRows<{ actorId: string | null; outcome: string; detail: string | null }>(
    t.db,
    sql`SELECT actor_id AS "actorId", outcome, detail FROM audit_events WHERE action = ${action} ORDER BY id`,
  );

function expect429(res: Awaited<ReturnType<typeof readAnswer>>) {
  expectError(res as never, 429, 'rate_limited');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.json.error.message).toContain(`${retryAfter} s`);
}

describe('sends, new conversations and uploads per client address', () => {
  it('counts all three across users of one address, answers 429 with Retry-After above it, and spares other addresses', async () => {
    const t = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '1000', SECURE_INBOX_RATE_LIMIT_IP: '3' });
    await signInAll(t);
    const office = '198.51.100.7';
    const conversation = await from(t, office, alice, 'POST', '/conversations', { accountId: 'acme', subject: 'One', body: 'first' });
    expect(conversation.status).toBe(201);
    const id = conversation.json.conversation.id as string;
    expect((await from(t, office, adam, 'POST', '/attachments', upload())).status).toBe(201);
    expect((await from(t, office, sam, 'POST', `/conversations/${id}/messages`, { body: 'staff answer' })).status).toBe(201);

    // The fourth create from the same address, whoever sends it and whichever kind it is, is refused.
    expect429(await from(t, office, bob, 'POST', '/conversations', { accountId: 'globex', subject: 'Two', body: 'second' }));
    expect429(await from(t, office, alice, 'POST', `/conversations/${id}/messages`, { body: 'again' }));
    expect429(await from(t, office, adam, 'POST', '/attachments', upload()));
    // Nothing was stored by the refused requests.
    expect((await from(t, null, root(), 'GET', `/conversations/${id}`)).json.messages).toHaveLength(2);
    expect((await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM conversations`))!.n).toBe(1);

    // Reads and per-user state from the same address are not creates.
    expect((await from(t, office, alice, 'GET', `/conversations/${id}`)).status).toBe(200);
    expect((await from(t, office, alice, 'POST', `/conversations/${id}/read`)).status).toBe(204);
    // Another address is counted on its own.
    expect((await from(t, '203.0.113.9', alice, 'POST', `/conversations/${id}/messages`, { body: 'from home' })).status).toBe(201);

    // One audit row for the window, not one per refused request.
    const rows = await auditRows(t, 'rate_limit');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'denied', actorId: 'bob' });
    expect(JSON.parse(rows[0]!.detail!)).toEqual({ scope: 'address', limit: 3 });
  });

  it('applies to real connections (the socket peer), and in-process calls without a socket are not limited by address', async () => {
    const t = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '1000', SECURE_INBOX_RATE_LIMIT_IP: '2' });
    await signInAll(t);
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    try {
      const post = async (user: TestUser) =>
        fetch(`${base}/conversations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await t.token(user)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ accountId: 'acme', subject: 'Over the wire', body: 'hello' }),
        });
      expect((await post(alice)).status).toBe(201);
      expect((await post(adam)).status).toBe(201);
      const refused = await post(alice);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    } finally {
      await new Promise((r) => server.close(r));
    }
    for (let i = 0; i < 4; i++)
      expect((await from(t, null, alice, 'POST', '/conversations', { accountId: 'acme', subject: `In process ${i}`, body: 'x' })).status).toBe(201);
  });

  it('ignores X-Forwarded-For unless SECURE_INBOX_TRUST_PROXY is set, and then keys on the entry the proxy added', async () => {
    const direct = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '1000', SECURE_INBOX_RATE_LIMIT_IP: '2' });
    await signInAll(direct);
    const c = await startConversation(direct, alice);
    for (let i = 0; i < 2; i++) {
      expect(
        (await from(direct, '192.0.2.1', alice, 'POST', `/conversations/${c.id}/messages`, { body: `m${i}` }, { 'x-forwarded-for': `10.0.0.${i}` })).status,
      ).toBe(201);
    }
    // A client inventing a new X-Forwarded-For for each request does not get a new budget.
    expect429(await from(direct, '192.0.2.1', alice, 'POST', `/conversations/${c.id}/messages`, { body: 'm2' }, { 'x-forwarded-for': '10.0.0.99' }));

    const proxied = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '1000', SECURE_INBOX_RATE_LIMIT_IP: '2', SECURE_INBOX_TRUST_PROXY: 'true' });
    await signInAll(proxied);
    const p = await startConversation(proxied, alice);
    const proxy = '10.1.1.1';
    const send = (xff: string) => from(proxied, proxy, alice, 'POST', `/conversations/${p.id}/messages`, { body: 'via proxy' }, { 'x-forwarded-for': xff });
    expect((await send('198.51.100.1')).status).toBe(201);
    expect((await send('1.2.3.4, 198.51.100.1')).status).toBe(201);
    // Same client (the last entry) with a different spoofed first entry: still the same budget.
    expect429(await send('5.6.7.8, 198.51.100.1'));
    // Another client behind the same proxy has its own.
    expect((await send('198.51.100.2')).status).toBe(201);
  });
});

describe('writes per user', () => {
  it('counts a user across addresses, and other users are not affected', async () => {
    const t = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '2', SECURE_INBOX_RATE_LIMIT_IP: '1000' });
    await signInAll(t);
    const c = await from(t, '192.0.2.10', alice, 'POST', '/conversations', { accountId: 'acme', subject: 'S', body: 'b' });
    expect(c.status).toBe(201);
    expect((await from(t, '192.0.2.11', alice, 'POST', '/attachments', upload())).status).toBe(201);
    expect429(await from(t, '192.0.2.12', alice, 'POST', `/conversations/${c.json.conversation.id}/messages`, { body: 'third' }));
    expect((await from(t, '192.0.2.12', adam, 'POST', '/conversations', { accountId: 'acme', subject: 'S', body: 'b' })).status).toBe(201);
    const rows = await auditRows(t, 'rate_limit');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorId: 'alice', outcome: 'denied' });
    expect(JSON.parse(rows[0]!.detail!)).toEqual({ scope: 'user', limit: 2 });
  });
});

describe('reads per user and per client address', () => {
  it('answers 429 with Retry-After to a user past SECURE_INBOX_READ_RATE_LIMIT, on every GET route, across addresses; other users read on', async () => {
    const t = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '1000', SECURE_INBOX_READ_RATE_LIMIT: '5', SECURE_INBOX_READ_RATE_LIMIT_IP: '1000' });
    await signInAll(t);
    // signInAll read /me once already.
    expect((await from(t, '192.0.2.20', alice, 'GET', '/me')).status).toBe(200);
    expect((await from(t, '192.0.2.21', alice, 'GET', '/conversations')).status).toBe(200);
    expect((await from(t, '192.0.2.22', alice, 'GET', '/conversations?q=permit')).status).toBe(200);
    expect((await from(t, null, alice, 'GET', '/topics')).status).toBe(200);
    for (const path of ['/me', '/conversations', '/conversations?q=permit', '/events', '/conversations/nope'])
      expect429(await from(t, '192.0.2.23', alice, 'GET', path));
    expect((await from(t, '192.0.2.23', adam, 'GET', '/me')).status).toBe(200);
    // Writes have their own budget.
    expect((await from(t, '192.0.2.23', alice, 'POST', '/conversations', { accountId: 'acme', subject: 'S', body: 'b' })).status).toBe(201);
    const rows = await auditRows(t, 'rate_limit');
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.detail!)).toEqual({ scope: 'reads-user', limit: 5 });
  });

  it('answers 429 to an address past SECURE_INBOX_READ_RATE_LIMIT_IP, whoever asks, and spares other addresses', async () => {
    const t = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '1000', SECURE_INBOX_READ_RATE_LIMIT: '1000', SECURE_INBOX_READ_RATE_LIMIT_IP: '3' });
    await signInAll(t);
    const office = '198.51.100.30';
    expect((await from(t, office, alice, 'GET', '/me')).status).toBe(200);
    expect((await from(t, office, adam, 'GET', '/me')).status).toBe(200);
    expect((await from(t, office, bob, 'GET', '/conversations')).status).toBe(200);
    expect429(await from(t, office, sam, 'GET', '/me'));
    expect((await from(t, '198.51.100.31', sam, 'GET', '/me')).status).toBe(200);
  });

  it('is on by default, generous enough for the widget (a page load, counts, several tabs)', async () => {
    const t = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '120' });
    await signInAll(t);
    expect(t.config.readRateLimitPerMinute).toBeGreaterThanOrEqual(600);
    expect(t.config.readRateLimitPerIpPerMinute).toBeGreaterThanOrEqual(10 * t.config.readRateLimitPerMinute);
    // Five tabs, each loading the widget (me, topics, list, a thread, counts) and reconnecting its stream a few times.
    const conversation = await startConversation(t, alice);
    for (let tab = 0; tab < 5; tab++) {
      for (const path of [
        '/me',
        '/topics',
        '/conversations?folder=inbox&unread=true',
        `/conversations/${conversation.id}`,
        '/me',
        '/conversations?folder=sent',
        '/conversations?folder=trash',
      ]) {
        expect((await from(t, '192.0.2.40', alice, 'GET', path)).status, path).toBe(200);
      }
    }
  });
});

describe('failed sign-ins per client address', () => {
  it('answers 429 to the address after the limit, even with a valid token, and audits each failure and the lock once', async () => {
    const t = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '1000', SECURE_INBOX_AUTH_FAILURES_PER_MINUTE: '3' });
    await signInAll(t);
    const attacker = '203.0.113.66';
    // Change the first character of the signature: all six of its bits are signature bits
    // (the last character also carries two padding bits, and a change there alone can still verify).
    const [head, claims, signature] = (await t.token(alice)).split('.');
    const forged = `${head}.${claims}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    for (const token of [forged, 'not-a-token', 'a.b.c']) {
      const res = await from(t, attacker, token, 'GET', '/me');
      expectError(res as never, 401, 'unauthorized');
    }
    expect429(await from(t, attacker, forged, 'GET', '/me'));
    // Locked for the rest of the minute: no token is even looked at.
    expect429(await from(t, attacker, alice, 'GET', '/me'));
    expect429(await from(t, attacker, alice, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b' }));
    // Other addresses and in-process calls sign in as usual.
    expect((await from(t, '203.0.113.67', alice, 'GET', '/me')).status).toBe(200);
    expect((await from(t, null, alice, 'GET', '/me')).status).toBe(200);
    // The public document needs no token and stays reachable.
    expect((await from(t, attacker, null, 'GET', '/openapi.json')).status).toBe(200);

    expect((await auditRows(t, 'auth')).filter((r) => r.outcome === 'denied')).toHaveLength(3);
    const locks = await auditRows(t, 'rate_limit');
    expect(locks).toHaveLength(1);
    expect(locks[0]!.actorId).toBeNull();
    expect(JSON.parse(locks[0]!.detail!)).toEqual({ scope: 'sign-in', limit: 3 });
  });

  it('never counts requests without credentials: page loads before the token is set lock no one out', async () => {
    const t = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '1000', SECURE_INBOX_AUTH_FAILURES_PER_MINUTE: '3' });
    const office = '198.51.100.20';
    for (let i = 0; i < 20; i++) {
      const res = await from(t, office, null, 'GET', i % 2 ? '/me' : '/conversations');
      expect(expectError(res as never, 401, 'unauthorized').details).toEqual({ reason: 'missing' });
    }
    expect((await from(t, office, alice, 'GET', '/me')).status).toBe(200);
    // A presented token that fails still counts.
    for (let i = 0; i < 3; i++) expect((await from(t, office, 'bad', 'GET', '/me')).status).toBe(401);
    expect429(await from(t, office, alice, 'GET', '/me'));
  });

  it('does not count successful sign-ins', async () => {
    const t = makeTestApp({ SECURE_INBOX_RATE_LIMIT: '1000', SECURE_INBOX_AUTH_FAILURES_PER_MINUTE: '2' });
    for (let i = 0; i < 10; i++) expect((await from(t, '192.0.2.50', alice, 'GET', '/me')).status).toBe(200);
    expect((await from(t, '192.0.2.50', 'bad', 'GET', '/me')).status).toBe(401);
    expect((await from(t, '192.0.2.50', alice, 'GET', '/me')).status).toBe(200);
  });
});

describe('windows', () => {
  it('open again after a minute, and Retry-After counts down to the end of the window', () => {
    let now = 1_000_000;
    const windows = new FixedWindows(2, 60_000, () => now);
    expect(windows.hit('k')).toBeNull();
    expect(windows.hit('k')).toBeNull();
    now += 15_000;
    expect(windows.hit('k')).toEqual({ retryAfter: 45, first: true });
    now += 40_500;
    expect(windows.hit('k')).toEqual({ retryAfter: 5, first: false });
    expect(windows.hit('other')).toBeNull();
    now += 5_000;
    expect(windows.hit('k')).toBeNull();
  });

  it('never refuses with a limit of 0', () => {
    const windows = new FixedWindows(0);
    for (let i = 0; i < 1000; i++) expect(windows.hit('k')).toBeNull();
  });
});

describe('configuration', () => {
  const base = { SECURE_INBOX_JWT_SECRET: SECRET };
  it('has sensible defaults, and SECURE_INBOX_RATE_LIMIT=0 turns every limit off unless one is set on its own', () => {
    expect(loadConfig(base)).toMatchObject({ rateLimitPerMinute: 120, rateLimitPerIpPerMinute: 600, authFailuresPerMinute: 30, trustProxy: false });
    expect(loadConfig({ ...base, SECURE_INBOX_RATE_LIMIT: '0' })).toMatchObject({
      rateLimitPerMinute: 0,
      rateLimitPerIpPerMinute: 0,
      authFailuresPerMinute: 0,
      readRateLimitPerMinute: 0,
      readRateLimitPerIpPerMinute: 0,
      streamsPerAddress: 0,
    });
    expect(loadConfig(base)).toMatchObject({ readRateLimitPerMinute: 3000, readRateLimitPerIpPerMinute: 30_000, streamsPerUser: 8, streamsPerAddress: 1000 });
    expect(loadConfig({ ...base, SECURE_INBOX_RATE_LIMIT: '0', SECURE_INBOX_AUTH_FAILURES_PER_MINUTE: '10' })).toMatchObject({ authFailuresPerMinute: 10 });
    expect(loadConfig({ ...base, SECURE_INBOX_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  it('refuses bad values with a sentence naming the variable', () => {
    expect(() => loadConfig({ ...base, SECURE_INBOX_RATE_LIMIT_IP: 'lots' })).toThrow(/SECURE_INBOX_RATE_LIMIT_IP must be a whole number/);
    expect(() => loadConfig({ ...base, SECURE_INBOX_AUTH_FAILURES_PER_MINUTE: '-1' })).toThrow(/SECURE_INBOX_AUTH_FAILURES_PER_MINUTE must be a whole number/);
    expect(() => loadConfig({ ...base, SECURE_INBOX_TRUST_PROXY: 'maybe' })).toThrow(/SECURE_INBOX_TRUST_PROXY must be true or false/);
    expect(() => loadConfig({ ...base, SECURE_INBOX_STREAMS_PER_USER: '0' })).toThrow(/SECURE_INBOX_STREAMS_PER_USER must be a whole number from 1/);
    expect(() => loadConfig({ ...base, SECURE_INBOX_READ_RATE_LIMIT: 'many' })).toThrow(/SECURE_INBOX_READ_RATE_LIMIT must be a whole number/);
  });
});

function root(): TestUser {
  return people.root;
}
