import { serve, type ServerType } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { eventBus } from '../src/realtime/bus.js';
import { KEEP_PER_USER, pruneEvents } from '../src/realtime/prune.js';
import { DEFAULT_HEARTBEAT_MS } from '../src/realtime/stream.js';
import { makeTestApp, people, postMessage, SECRET, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { execute, firstRow, rows as allRows } from '../src/store/sql.js';

interface SseEvent {
  event: string;
  id: string;
  data: any;
}

interface Client {
  status: number;
  events: SseEvent[];
  raw: () => string;
  close: () => void;
  /** Settles when the server ends the response. */
  ended: Promise<void>;
  /** Waits until an event matches, and returns it. */
  waitFor: (match: (e: SseEvent) => boolean, timeoutMs?: number) => Promise<SseEvent>;
}

const open: { close: () => void }[] = [];
const servers: ServerType[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.close(resolve);
          if ('closeAllConnections' in s) s.closeAllConnections();
        }),
    ),
  );
});

/** The app on a real HTTP server on 127.0.0.1, sharing the test app's database. */
async function listen(t: TestApp, heartbeatMs = 20_000) {
  const app = createApp({ db: t.db, config: t.config, logger: t.logger, realtime: { heartbeatMs } }, { bundlePath: join(t.dir, 'missing-bundle.js') });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  servers.push(server);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function connect(t: TestApp, base: string, user: TestUser | null, headers: Record<string, string> = {}, path = '/api/v1/events'): Promise<Client> {
  const controller = new AbortController();
  const h: Record<string, string> = { accept: 'text/event-stream', ...headers };
  if (user) h.authorization = `Bearer ${await t.token(user)}`;
  const res = await fetch(`${base}${path}`, { headers: h, signal: controller.signal });
  const events: SseEvent[] = [];
  let raw = '';
  let buffer = '';
  const waiters = new Set<() => void>();
  let ended: Promise<void> = Promise.resolve();
  if (res.body) {
    ended = (async () => {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        raw += text;
        buffer += text;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
          }
          if (fields.data !== undefined) events.push({ event: fields.event ?? 'message', id: fields.id ?? '', data: JSON.parse(fields.data) });
        }
        for (const wake of [...waiters]) wake();
      }
    })().catch(() => {});
  }
  const client: Client = {
    status: res.status,
    events,
    raw: () => raw,
    close: () => controller.abort(),
    ended,
    waitFor(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
  open.push(client);
  return client;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const created = (messageId: string) => (e: SseEvent) => e.event === 'message.created' && e.data.messageId === messageId;

async function setup() {
  const t = makeTestApp();
  await signInAll(t);
  return { t, base: await listen(t) };
}

describe('GET /api/v1/events', () => {
  it('needs a bearer token in the Authorization header, never in the URL', async () => {
    const { t, base } = await setup();
    const anonymous = await connect(t, base, null);
    expect(anonymous.status).toBe(401);
    const inUrl = await connect(t, base, null, {}, `/api/v1/events?token=${await t.token(people.alice)}`);
    expect(inUrl.status).toBe(401);
    const res = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${await t.token(people.alice)}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    await res.body?.cancel();
  });

  it('sends each user only what they may see: no hidden note reaches a customer, a status change does', async () => {
    const { t, base } = await setup();
    const [alice, sam, bob, gina, root] = await Promise.all([people.alice, people.sam, people.bob, people.gina, people.root].map((u) => connect(t, base, u)));
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice'] });
    const first = (await t.call(people.sam, 'GET', `/conversations/${conv.id}`)).json.messages[0].id;
    const note = await postMessage(t, people.sam, conv.id, { body: 'zebracorn', action: 'internal_note' });
    const resolve = await postMessage(t, people.sam, conv.id, { body: 'quietly resolved', action: 'resolve' });
    const reply = await postMessage(t, people.sam, conv.id, { body: 'visible', action: 'send_leave_open' });

    await alice.waitFor(created(reply.id));
    await sam.waitFor(created(reply.id));
    await root.waitFor(created(reply.id));
    expect(alice.events.map((e) => [e.event, e.data.messageId ?? null])).toEqual([
      ['message.created', first],
      ['unread.changed', null],
      ['conversation.updated', null],
      ['message.created', reply.id],
      ['unread.changed', null],
    ]);
    expect(alice.raw()).not.toContain(note.id);
    expect(alice.raw()).not.toContain(resolve.id);
    expect(alice.events.every((e) => e.data.conversationId === conv.id)).toBe(true);
    expect(alice.events.filter((e) => e.event === 'unread.changed').map((e) => e.data.unread)).toEqual([1, 1]);

    const staffSees = sam.events.filter((e) => e.event === 'message.created').map((e) => e.data.messageId);
    expect(staffSees).toEqual([first, note.id, resolve.id, reply.id]);
    expect(root.events.filter((e) => e.event === 'message.created')).toHaveLength(4);
    // Ids are the event log's: increasing, per stream.
    const ids = alice.events.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    // Other accounts hear nothing.
    await wait(100);
    expect(bob.events).toEqual([]);
    expect(gina.events).toEqual([]);
  });

  it('tells everyone who sees the conversation about status, assignee and participant changes', async () => {
    const { t, base } = await setup();
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice'] });
    const [alice, adam, bob] = await Promise.all([people.alice, people.adam, people.bob].map((u) => connect(t, base, u)));
    expect((await t.call(people.sam, 'PATCH', `/conversations/${conv.id}`, { status: 'resolved' })).status).toBe(200);
    await alice.waitFor((e) => e.event === 'conversation.updated');
    expect((await t.call(people.sam, 'POST', `/conversations/${conv.id}/participants`, { userIds: ['adam'] })).status).toBe(200);
    await adam.waitFor((e) => e.event === 'conversation.updated');
    const unread = await adam.waitFor((e) => e.event === 'unread.changed');
    expect(unread.data).toEqual({ conversationId: conv.id, unread: 1 });
    expect((await t.call(people.adam, 'POST', `/conversations/${conv.id}/read`)).status).toBe(204);
    await adam.waitFor((e) => e.event === 'unread.changed' && e.data.unread === 0);
    expect(alice.events.filter((e) => e.event === 'conversation.updated')).toHaveLength(2);
    await wait(50);
    expect(bob.events).toEqual([]);
  });

  it('replays what a client missed after Last-Event-ID, and only that', async () => {
    const { t, base } = await setup();
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice'] });
    const before = await connect(t, base, people.alice);
    const m1 = await postMessage(t, people.sam, conv.id, { body: 'one', action: 'send_leave_open' });
    const seen = await before.waitFor(created(m1.id));
    await before.waitFor((e) => e.event === 'unread.changed' && Number(e.id) > Number(seen.id));
    const lastId = before.events[before.events.length - 1]!.id;
    before.close();

    const m2 = await postMessage(t, people.sam, conv.id, { body: 'two', action: 'send_leave_open' });
    const m3 = await postMessage(t, people.sam, conv.id, { body: 'three', action: 'send_leave_open' });
    const again = await connect(t, base, people.alice, { 'Last-Event-ID': lastId });
    await again.waitFor(created(m3.id));
    expect(again.events.filter((e) => e.event === 'message.created').map((e) => e.data.messageId)).toEqual([m2.id, m3.id]);
    expect(again.events.every((e) => Number(e.id) > Number(lastId))).toBe(true);

    // Without Last-Event-ID a stream starts from now.
    const fresh = await connect(t, base, people.alice);
    const m4 = await postMessage(t, people.sam, conv.id, { body: 'four', action: 'send_leave_open' });
    await fresh.waitFor(created(m4.id));
    expect(fresh.events.filter((e) => e.event === 'message.created').map((e) => e.data.messageId)).toEqual([m4.id]);

    // Replay still applies visibility: a customer who left no longer receives the conversation's events.
    expect((await t.call(people.alice, 'POST', `/conversations/${conv.id}/leave`)).status).toBe(204);
    const replay = await connect(t, base, people.alice, { 'Last-Event-ID': '0' });
    await wait(150);
    expect(replay.events.filter((e) => e.event !== 'unread.changed')).toEqual([]);
  });

  it('ends a stream when its token expires; a fresh token with Last-Event-ID resumes it, missing nothing', async () => {
    const { t, base } = await setup();
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice'] });
    const { sub, ...claims } = people.alice;
    const exp = Math.floor(Date.now() / 1000) + 2;
    const shortLived = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setAudience('secure-inbox')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(SECRET));
    const bus = eventBus(t.db);
    const baseline = bus.connections;
    const expiring = await connect(t, base, null, { authorization: `Bearer ${shortLived}` });
    expect(expiring.status).toBe(200);
    const m1 = await postMessage(t, people.sam, conv.id, { body: 'before expiry', action: 'send_leave_open' });
    await expiring.waitFor(created(m1.id));
    await expiring.ended;
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    expect(Date.now()).toBeLessThan(exp * 1000 + 1000);
    await expect.poll(() => bus.connections).toBe(baseline);

    // Written after the end: the expired session does not receive it.
    const m2 = await postMessage(t, people.sam, conv.id, { body: 'after expiry', action: 'send_leave_open' });
    await wait(100);
    expect(expiring.raw()).not.toContain(m2.id);
    // The same token, though inside the verifier's clock-skew allowance, cannot open another stream.
    const stale = await connect(t, base, null, { authorization: `Bearer ${shortLived}` });
    expect(stale.status).toBe(401);
    await stale.ended;
    expect(JSON.parse(stale.raw()).error.details).toEqual({ reason: 'expired' });
    const denied = await allRows<{ detail: string }>(t.db, sql`SELECT detail FROM audit_events WHERE action = 'auth' AND outcome = 'denied'`);
    expect(denied.map((r) => JSON.parse(r.detail))).toContainEqual({ reason: 'the token has expired', path: '/api/v1/events' });
    // A fresh token resuming from the last id receives what came in between.
    const resumed = await connect(t, base, people.alice, { 'Last-Event-ID': expiring.events.at(-1)!.id });
    await resumed.waitFor(created(m2.id));
    expect(resumed.events.filter((e) => e.event === 'message.created').map((e) => e.data.messageId)).toEqual([m2.id]);
  });

  it('tells a new notice to its recipient only (notification.created), never to others who see the message', async () => {
    const { t, base } = await setup();
    const stella: TestUser = { sub: 'stella', name: 'Stella Staff', role: 'staff', accounts: ['acme'] };
    expect((await t.call(stella, 'GET', '/me')).status).toBe(200);
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice'] });
    expect((await t.call(people.sam, 'PATCH', `/conversations/${conv.id}`, { assigneeId: 'stella' })).status).toBe(200);
    const [assignee, other, root, alice, gina] = await Promise.all(
      [stella, people.sam, people.root, people.alice, people.gina].map((u) => connect(t, base, u)),
    );

    // A customer's question notifies the assignee.
    const question = await postMessage(t, people.alice, conv.id, { body: 'When is the inspection?' });
    const notice = await assignee.waitFor((e) => e.event === 'notification.created');
    expect(notice.data).toEqual({ conversationId: conv.id, messageId: question.id, notificationId: expect.any(String) });
    const centre = await t.call(stella, 'GET', '/notifications');
    expect(centre.json.items[0]).toMatchObject({ id: notice.data.notificationId, messageId: question.id, read: false });
    await other.waitFor(created(question.id));
    await root.waitFor(created(question.id));

    // "Notify all administrators": the admin's notice, about the conversation.
    expect((await t.call(people.sam, 'POST', `/conversations/${conv.id}/notify-admins`)).status).toBe(202);
    const adminNotice = await root.waitFor((e) => e.event === 'notification.created');
    expect(adminNotice.data).toEqual({ conversationId: conv.id, notificationId: expect.any(String) });
    expect(adminNotice.data.notificationId).not.toBe(notice.data.notificationId);

    await wait(100);
    const notices = (c: Client) => c.events.filter((e) => e.event === 'notification.created');
    expect(notices(assignee)).toHaveLength(1);
    expect(notices(root)).toHaveLength(1);
    for (const c of [other, alice, gina]) expect(notices(c)).toEqual([]);
    for (const c of [assignee, other, root, alice, gina]) expect(c.raw().match(/notificationId/g)?.length ?? 0).toBe(notices(c).length);

    // Replay re-checks visibility: once the assignee is out of the account, their notice is no longer sent.
    const outside: TestUser = { ...stella, accounts: ['globex'] };
    const replay = await connect(t, base, outside, { 'Last-Event-ID': '0' });
    await wait(150);
    expect(notices(replay)).toEqual([]);
  });

  it('answers 422 for a Last-Event-ID that is not an event id', async () => {
    const { t, base } = await setup();
    const res = await connect(t, base, people.alice, { 'Last-Event-ID': 'abc' });
    expect(res.status).toBe(422);
  });

  it('keeps idle streams alive with comment lines', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const base = await listen(t, 50);
    const client = await connect(t, base, people.alice);
    await expect.poll(() => (client.raw().match(/^: keep-alive$/gm) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(DEFAULT_HEARTBEAT_MS).toBeGreaterThanOrEqual(15_000);
    expect(DEFAULT_HEARTBEAT_MS).toBeLessThanOrEqual(25_000);
  });

  it('serves 200 concurrent clients; clients that drop off do not disturb the others or stay registered', async () => {
    const { t, base } = await setup();
    const customers: TestUser[] = Array.from({ length: 200 }, (_, i) => ({ sub: `cust${i}`, name: `Customer ${i}`, role: 'customer', accounts: ['acme'] }));
    for (const c of customers) expect((await t.call(c, 'GET', '/me')).status).toBe(200);
    const conv = await startConversation(t, people.sam, { recipientIds: customers.slice(0, 50).map((c) => c.sub) });
    for (let i = 50; i < 200; i += 50) {
      const res = await t.call(people.sam, 'POST', `/conversations/${conv.id}/participants`, { userIds: customers.slice(i, i + 50).map((c) => c.sub) });
      expect(res.status).toBe(200);
    }
    const bus = eventBus(t.db);
    const baseline = bus.connections;
    const clients = await Promise.all(customers.map((c) => connect(t, base, c)));
    expect(clients.every((c) => c.status === 200)).toBe(true);
    await expect.poll(() => bus.connections).toBe(baseline + 200);

    const m1 = await postMessage(t, people.sam, conv.id, { body: 'to everyone', action: 'send_leave_open' });
    await Promise.all(clients.map((c) => c.waitFor(created(m1.id))));

    // Half of them go away, some in the middle of a burst.
    const m2 = postMessage(t, people.sam, conv.id, { body: 'second', action: 'send_leave_open' });
    for (const c of clients.slice(0, 100)) c.close();
    await m2;
    const m3 = await postMessage(t, people.sam, conv.id, { body: 'third', action: 'send_leave_open' });
    await Promise.all(clients.slice(100).map((c) => c.waitFor(created(m3.id))));
    for (const c of clients.slice(100)) {
      expect(c.events.filter((e) => e.event === 'message.created').map((e) => e.data.messageId)).toEqual([m1.id, (await m2).id, m3.id]);
    }
    await expect.poll(() => bus.connections).toBe(baseline + 100);
    for (const c of clients.slice(100)) c.close();
    await expect.poll(() => bus.connections).toBe(baseline);
  });
});

describe('open streams are bounded', () => {
  const closing = (e: SseEvent) => e.event === 'stream.closed';

  it('keeps at most the default number of streams per user: one token opening 30 closes the oldest, each told why', async () => {
    const { t, base } = await setup();
    const clients: Client[] = [];
    for (let i = 0; i < 30; i++) clients.push(await connect(t, base, people.alice));
    expect(clients.every((c) => c.status === 200)).toBe(true);
    const open = t.config.streamsPerUser;
    expect(open).toBeLessThan(30);
    const closed = clients.slice(0, 30 - open);
    await Promise.all(closed.map((c) => c.ended));
    for (const c of closed)
      expect(c.events.filter(closing)).toEqual([
        { event: 'stream.closed', id: expect.stringMatching(/^\d+$/), data: { reason: 'too_many_streams', limit: open } },
      ]);
    await expect.poll(() => eventBus(t.db).connections).toBe(open);
    // The newest ones stay and keep receiving.
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice'] });
    const m = await postMessage(t, people.sam, conv.id, { body: 'still live', action: 'send_leave_open' });
    await Promise.all(clients.slice(30 - open).map((c) => c.waitFor(created(m.id))));
    for (const c of clients.slice(30 - open)) expect(c.events.some(closing)).toBe(false);
  });

  it('closes the oldest stream past SECURE_INBOX_STREAMS_PER_USER and leaves other users alone', async () => {
    const t = makeTestApp({ SECURE_INBOX_STREAMS_PER_USER: '2' });
    await signInAll(t);
    const base = await listen(t);
    const bob = await connect(t, base, people.bob);
    const [a1, a2] = [await connect(t, base, people.alice), await connect(t, base, people.alice)];
    const a3 = await connect(t, base, people.alice);
    await a1.ended;
    expect(a1.events).toEqual([{ event: 'stream.closed', id: expect.stringMatching(/^\d+$/), data: { reason: 'too_many_streams', limit: 2 } }]);
    await expect.poll(() => eventBus(t.db).connections).toBe(3);
    const conv = await startConversation(t, people.gina, { accountId: 'globex', recipientIds: ['bob'] });
    const m = await postMessage(t, people.gina, conv.id, { body: 'hello bob', action: 'send_leave_open' });
    await bob.waitFor(created(m.id));
    expect([a2, a3, bob].some((c) => c.events.some(closing))).toBe(false);
    // Resuming from the closing event's id misses nothing written since.
    const toAlice = await startConversation(t, people.sam, { recipientIds: ['alice'] });
    const missed = await postMessage(t, people.sam, toAlice.id, { body: 'while closed', action: 'send_leave_open' });
    const resumed = await connect(t, base, people.alice, { 'Last-Event-ID': a1.events[0]!.id });
    await resumed.waitFor(created(missed.id));
  });

  it('refuses a user opening streams faster than SECURE_INBOX_STREAM_OPENS_PER_MINUTE with 429 and Retry-After; others open theirs', async () => {
    const t = makeTestApp({ SECURE_INBOX_STREAM_OPENS_PER_MINUTE: '3' });
    await signInAll(t);
    const base = await listen(t);
    for (let i = 0; i < 3; i++) (await connect(t, base, people.alice)).close();
    const refused = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${await t.token(people.alice)}` } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect((await connect(t, base, people.bob)).status).toBe(200);
    expect(makeTestApp({ SECURE_INBOX_RATE_LIMIT: '120' }).config.streamOpensPerMinute).toBe(60);
  });

  it('refuses a stream past SECURE_INBOX_STREAMS_PER_ADDRESS with 429 and Retry-After, and admits one again when another ends', async () => {
    const t = makeTestApp({ SECURE_INBOX_STREAMS_PER_ADDRESS: '2' });
    await signInAll(t);
    const base = await listen(t);
    const alice = await connect(t, base, people.alice);
    await connect(t, base, people.bob);
    const refused = await connect(t, base, people.adam);
    expect(refused.status).toBe(429);
    await refused.ended;
    expect(JSON.parse(refused.raw()).error.code).toBe('rate_limited');
    expect(
      Number((await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${await t.token(people.adam)}` } })).headers.get('retry-after')),
    ).toBeGreaterThan(0);
    alice.close();
    await expect.poll(() => eventBus(t.db).connections).toBe(1);
    const again = await connect(t, base, people.adam);
    expect(again.status).toBe(200);
  });
});

describe('event log retention', () => {
  it('keeps each user’s last 1,000 events or the last 24 hours, whichever is more', async () => {
    const t = makeTestApp();
    const old = '2000-01-01T00:00:00.000Z';
    const insert = async (userId: string, n: number, createdAt?: string) =>
      execute(
        t.db,
        sql`INSERT INTO events (user_id, type, data, created_at)
                   SELECT ${userId}, 'message.created', '{"conversationId":"c"}', ${createdAt ?? new Date().toISOString()}
                   FROM (WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n}) SELECT i FROM k) AS numbers`,
      );
    await insert('many-old', 1100, old);
    await insert('few-old', 5, old);
    await insert('many-new', 1200);
    await insert('mixed', 1000, old);
    await insert('mixed', 10);
    expect(await pruneEvents(t.db)).toBe(100 + 10);
    const count = async (u: string) => (await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM events WHERE user_id = ${u}`))!.n;
    expect(await count('many-old')).toBe(KEEP_PER_USER);
    expect(await count('few-old')).toBe(5);
    expect(await count('many-new')).toBe(1200);
    expect(await count('mixed')).toBe(1000);
    // The newest are the ones kept.
    const kept = await firstRow<{ min: number; max: number }>(t.db, sql`SELECT min(id) AS min, max(id) AS max FROM events WHERE user_id = 'many-old'`);
    expect(kept).toEqual({ min: 101, max: 1100 });
  });
});
