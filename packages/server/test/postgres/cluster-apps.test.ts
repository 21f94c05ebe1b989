/**
 * Two instances in one process, each a store opened as `serve` opens it (its own pool and wake listener) and an app
 * on it, both on ONE database: what a client sees does not depend on which of them answers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { pruneUnsentUploads, storedFileKey } from '../../src/attachments/service.js';
import { loadConfig } from '../../src/config.js';
import { eventBus } from '../../src/realtime/bus.js';
import { sendToStreams } from '../../src/store/postgres/cluster/instance.js';
import { PAYLOAD_MAX_BYTES } from '../../src/store/postgres/cluster/wakeups.js';
import type { PgDb } from '../../src/store/postgres/db.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { serializeFor, transaction } from '../../src/store/runtime.js';
import { execute } from '../../src/store/sql.js';
import type { Store } from '../../src/store/types.js';
import { captureLogs, people, readAnswer, SECRET, type TestUser } from '../helpers.js';
import { createTestDatabase, type TestDatabase } from './database.js';

const { alice, sam, root } = people;
const stan: TestUser = { sub: 'stan', name: 'Stan Second Staff', role: 'staff', accounts: ['acme'] };

const ends: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const end of ends.splice(0).reverse()) await end();
});

async function token(user: TestUser, overrides: Record<string, unknown> = {}) {
  const { sub, ...claims } = user;
  return new SignJWT({ ...claims, ...overrides })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience('secure-inbox')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

/** One instance: a store opened on `database` as the server opens it, and an app on it. */
async function instance(database: TestDatabase, env: Record<string, string> = {}, catchUpMs?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-cluster-'));
  const config = loadConfig({
    SECURE_INBOX_JWT_SECRET: SECRET,
    SECURE_INBOX_DATA_DIR: dir,
    SECURE_INBOX_DATABASE_URL: database.url,
    SECURE_INBOX_RATE_LIMIT: '0',
    ...env,
  });
  const store: Store = await openPostgresStore(config, config.database!, { poolSize: 4, ...(catchUpMs !== undefined ? { catchUpMs } : {}) });
  ends.push(() => store.close());
  const app = createApp({ db: store.db, config, logger: captureLogs().logger, writes: store.writes }, { bundlePath: join(dir, 'missing-bundle.js') });

  async function call(user: TestUser | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (user) h.authorization = `Bearer ${await token(user)}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    return readAnswer(await app.request(`/api/v1${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) }));
  }

  /** An open event stream of `user` on this instance; `frames` are the SSE blocks that arrived so far. */
  async function stream(user: TestUser) {
    const controller = new AbortController();
    const res = await app.request('/api/v1/events', { headers: { authorization: `Bearer ${await token(user)}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (chunk.done) return;
        text += decoder.decode(chunk.value, { stream: true });
      }
    })();
    const frames = () => text.split('\n\n').filter((frame) => frame.startsWith('event: '));
    ends.push(async () => {
      await reader.cancel().catch(() => undefined);
      await reading;
    });
    await until(() => text.includes(': connected'), 'the stream to open');
    return { frames };
  }

  async function upload(user: TestUser, content: string, name: string) {
    const form = new FormData();
    form.append('file', new Blob([content], { type: 'text/plain' }), name);
    return readAnswer(await app.request('/api/v1/attachments', { method: 'POST', body: form, headers: { authorization: `Bearer ${await token(user)}` } }));
  }

  return { app, store, config, call, stream, upload };
}

/** Waits for `check` for at most `ms`, well under the listener's catch-up tick (5 s): only a wake-up can be this quick. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function twoInstances(env: Record<string, string> = {}) {
  const database = await createTestDatabase();
  ends.push(() => database.drop());
  const a = await instance(database, env);
  const b = await instance(database, env);
  for (const user of [alice, sam, root, stan]) expect((await a.call(user, 'GET', '/me')).status).toBe(200);
  return { a, b };
}

async function conversationOn(on: Awaited<ReturnType<typeof instance>>) {
  const res = await on.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Across instances', body: '<p>Hello</p>' });
  expect(res.status).toBe(201);
  return res.json.conversation.id as string;
}

let pair: Awaited<ReturnType<typeof twoInstances>>;

describe('two instances on one database', () => {
  beforeEach(async () => {
    pair = await twoInstances();
  });

  it("a customer's stream on B receives a staff reply posted on A, at once", async () => {
    const { a, b } = pair;
    const id = await conversationOn(a);
    const watching = await b.stream(alice);
    const sent = Date.now();
    const reply = await a.call(sam, 'POST', `/conversations/${id}/messages`, { body: '<p>On it</p>' });
    expect(reply.status).toBe(201);
    await until(() => watching.frames().some((f) => f.includes(reply.json.message.id)), 'the reply on B');
    expect(Date.now() - sent).toBeLessThan(2_000);
    expect(watching.frames().filter((f) => f.startsWith('event: message.created'))).toHaveLength(1);
  });

  it('"is writing" on A reaches the other staff\'s stream on B, and never the customer\'s', async () => {
    const { a, b } = pair;
    const id = await conversationOn(a);
    const staff = await b.stream(stan);
    const customer = await b.stream(alice);
    expect((await a.call(sam, 'POST', `/conversations/${id}/typing`)).status).toBe(204);
    await until(() => staff.frames().some((f) => f.startsWith('event: typing')), 'the typing frame on B');
    const frame = staff.frames().find((f) => f.startsWith('event: typing'))!;
    expect(JSON.parse(frame.split('\ndata: ')[1]!)).toMatchObject({ conversationId: id, user: { id: 'sam' } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(customer.frames().some((f) => f.startsWith('event: typing'))).toBe(false);
  });

  it('an ephemeral frame for more users than one notification holds reaches each of them on B, once', async () => {
    const { a, b } = pair;
    // 120 ids of 200 characters: about 24 KB of ids, three times what one notification may carry.
    const ids = Array.from({ length: 120 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(197)}`);
    expect(Buffer.byteLength(JSON.stringify(ids))).toBeGreaterThan(3 * PAYLOAD_MAX_BYTES);
    const received = new Map<string, string[]>();
    for (const id of ids) eventBus(b.store.db).subscribe(id, (frame) => void (frame && received.set(id, [...(received.get(id) ?? []), frame])));
    const frame = 'event: typing\ndata: {"conversationId":"c_x"}\n\n';
    await sendToStreams(a.store.db, ids, frame);
    await until(() => received.size === ids.length, 'every user on B');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([...received.values()].every((frames) => frames.length === 1 && frames[0] === frame)).toBe(true);
  });

  it('a page kept by B goes stale when A writes, and when a sign-in on A renames someone', async () => {
    const { a, b } = pair;
    const id = await conversationOn(a);
    const subjects = async () => (await b.call(sam, 'GET', '/conversations')).json.items.map((i: { id: string; status: string }) => `${i.id}:${i.status}`);
    expect(await subjects()).toEqual([`${id}:open`]);
    expect(await subjects()).toEqual([`${id}:open`]);
    expect((await a.call(sam, 'PATCH', `/conversations/${id}`, { status: 'resolved' })).status).toBe(200);
    await until(async () => (await subjects())[0] === `${id}:resolved`, "B's page to show A's change");

    const author = async () => (await b.call(sam, 'GET', '/conversations')).json.items[0].lastMessage.authorName as string;
    expect(await author()).toBe(alice.name);
    expect((await a.call({ ...alice, name: 'Alice Renamed' }, 'GET', '/me')).status).toBe(200);
    await until(async () => (await author()) === 'Alice Renamed', "B's page to show the new name");
  });
});

describe('catching up on lost notifications', () => {
  it('a stream is woken by the catch-up read for an event whose notification was lost, and streams with nothing left to read are left alone', async () => {
    const database = await createTestDatabase();
    ends.push(() => database.drop());
    const a = await instance(database, {}, 100);
    for (const user of [alice, sam]) expect((await a.call(user, 'GET', '/me')).status).toBe(200);
    const id = await conversationOn(a);
    const watching = await a.stream(alice);
    let samWakes = 0;
    eventBus(a.store.db).subscribe(sam.sub, (frame) => void (frame === undefined && samWakes++));
    // A stream of alice's that has read everything already is not woken by a catch-up either.
    let readAllWakes = 0;
    eventBus(a.store.db).subscribe(
      alice.sub,
      (frame) => void (frame === undefined && readAllWakes++),
      () => Number.MAX_SAFE_INTEGER,
    );
    // Several ticks: the first only sets where catching up starts; the next ones read past the conversation's events.
    await new Promise((resolve) => setTimeout(resolve, 500));
    samWakes = 0;
    readAllWakes = 0;
    // Written as a commit whose notification never arrived: no pg_notify.
    await (a.store.db as unknown as PgDb).execute(
      sql`INSERT INTO events (user_id, type, data, created_at) VALUES ('alice', 'conversation.updated', ${JSON.stringify({ conversationId: id })}, ${new Date().toISOString()})`,
    );
    await until(() => watching.frames().some((f) => f.startsWith('event: conversation.updated') && f.includes(id)), 'the lost event on the stream', 1_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Several ticks went by, and nothing new concerned sam: his stream was never woken.
    expect(samWakes).toBe(0);
    expect(readAllWakes).toBe(0);
  });
});

describe('uploads across instances', () => {
  it('uploads by one user at once through A and B never pass the quota together', async () => {
    const { a, b } = await twoInstances({ SECURE_INBOX_UPLOAD_QUOTA_BYTES: '3000' });
    const answers = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 ? b : a).upload(alice, String(i).repeat(2000), `f${i}.txt`)));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 413, 413, 413]);
  });

  it("a prune on A never takes away the bytes another instance's upload of the same file has just found stored", async () => {
    const { a, b } = await twoInstances();
    const content = 'the same bytes, uploaded twice';
    const sha256 = createHash('sha256').update(content).digest('hex');
    const first = await a.upload(alice, content, 'first.txt');
    expect(first.status).toBe(201);
    const pgOf = (on: typeof a) => on.store.db as unknown as PgDb;
    // Never sent, and two days old: the prune removes it.
    await pgOf(a).execute(
      sql`UPDATE attachments SET created_at = ${new Date(Date.now() - 48 * 3600_000).toISOString()} WHERE id = ${first.json.attachment.id}`,
    );
    // B's upload of the same bytes, between its row and its bytes, holds what its transaction holds.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const upload = transaction(b.store.db, async (tx) => {
      await serializeFor(tx, storedFileKey(sha256));
      locked();
      await held;
      await execute(
        tx,
        sql`INSERT INTO attachments (id, uploader_id, name, size, content_type, sha256, scan_status)
            VALUES ('att_second', 'alice', 'second.txt', ${content.length}, 'text/plain', ${sha256}, 'clean')`,
      );
    });
    await holding;
    const pruning = pruneUnsentUploads(a.store.db, a.config);
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await upload;
    expect(await pruning).toBe(1);
    // B found the bytes stored and kept them: they are still there for its upload.
    const download = await b.app.request('/api/v1/attachments/att_second', { headers: { authorization: `Bearer ${await token(alice)}` } });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(content);
  });
});

describe('limits across instances', () => {
  it('a write limit of 4 is reached by writes split over A and B', async () => {
    const { a, b } = await twoInstances({ SECURE_INBOX_RATE_LIMIT: '4' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await (i % 2 ? b : a).call(alice, 'POST', '/conversations', { accountId: 'acme', subject: `s${i}`, body: 'x' })).status);
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429]);
  });

  it('a read limit of 10 is reached by reads split over A and B, their counts shared within a moment', async () => {
    const { a, b } = await twoInstances({ SECURE_INBOX_READ_RATE_LIMIT: '10' });
    // Setting up read alice's /me once on A. Reads a moment apart, in turn on B and A: counted on one instance only,
    // each would allow 10, and all 14 would pass.
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      statuses.push((await (i % 2 ? a : b).call(alice, 'GET', '/conversations')).status);
    }
    const passed = statuses.filter((status) => status === 200).length;
    // One instance may not yet know of the other's last read: 10 or 11 in all.
    expect(passed === 9 || passed === 10).toBe(true);
    expect(statuses.slice(passed)).toEqual(Array(14 - passed).fill(429));
  });

  it('failed sign-ins from one address are counted over A and B', async () => {
    const { a, b } = await twoInstances({ SECURE_INBOX_AUTH_FAILURES_PER_MINUTE: '3', SECURE_INBOX_TRUST_PROXY: 'true' });
    const from = { 'x-forwarded-for': '203.0.113.9' };
    for (let i = 0; i < 3; i++)
      expect((await (i % 2 ? b : a).call(null, 'GET', '/me', undefined, { ...from, authorization: 'Bearer nonsense' })).status).toBe(401);
    // Over the limit on both, even with a good token, until the minute is over: at once on A, which counted the
    // last failure, and on B at its next read of the addresses at their limit (every 100 ms).
    expect((await a.call(alice, 'GET', '/me', undefined, from)).status).toBe(429);
    await until(async () => (await b.call(alice, 'GET', '/me', undefined, from)).status === 429, 'B to refuse the address', 600);
    expect((await b.call(alice, 'GET', '/me', undefined, { 'x-forwarded-for': '203.0.113.10' })).status).toBe(200);
  });
  it('asks whether an address is over its failed sign-ins at most every 100 ms, not once per request', async () => {
    const { a } = await twoInstances({ SECURE_INBOX_AUTH_FAILURES_PER_MINUTE: '30', SECURE_INBOX_TRUST_PROXY: 'true' });
    const pool = (a.store.db as unknown as PgDb).$client;
    const query = vi.spyOn(pool, 'query');
    const started = Date.now();
    // Many users, each from an address of their own, as real traffic comes.
    for (let i = 0; i < 60; i++) expect((await a.call(alice, 'GET', '/me', undefined, { 'x-forwarded-for': `203.0.113.${i + 100}` })).status).toBe(200);
    const elapsed = Date.now() - started;
    const checks = query.mock.calls.filter(([statement]) => JSON.stringify(statement).includes('shared_counters'));
    query.mockRestore();
    expect(checks.length).toBeGreaterThanOrEqual(1);
    expect(checks.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
    expect(checks.length).toBeLessThan(60);
  });
});

describe('conversation pointers', () => {
  beforeEach(async () => {
    pair = await twoInstances();
  });

  it('never move backwards when two sends commit out of order', async () => {
    const { a, b } = pair;
    const id = await conversationOn(a);
    const pool = (a.store.db as unknown as PgDb).$client;
    await pool.query(
      `INSERT INTO attachments (id, uploader_id, name, size, content_type, sha256, scan_status) VALUES ('att_held', 'alice', 'a.txt', 1, 'text/plain', $1, 'clean')`,
      ['0'.repeat(64)],
    );
    // The first send draws its seq, then waits to claim an attachment whose row another transaction holds locked.
    const holder = await pool.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT id FROM attachments WHERE id = 'att_held' FOR UPDATE`);
    const first = a.call(alice, 'POST', `/conversations/${id}/messages`, { body: '<p>first</p>', attachmentIds: ['att_held'] });
    await until(
      async () => (await pool.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rowCount === 1,
      'the first send to wait',
    );
    // The second draws a larger seq, moves the pointers and commits first (through the other instance).
    const second = await b.call(alice, 'POST', `/conversations/${id}/messages`, { body: '<p>second</p>' });
    expect(second.status).toBe(201);
    await holder.query('COMMIT');
    holder.release();
    expect((await first).status).toBe(201);

    const { rows } = await pool.query<{ last_seq: number; last_public_seq: number; newest: number }>(
      `SELECT last_seq, last_public_seq, (SELECT max(seq) FROM messages WHERE conversation_id = $1) AS newest FROM conversations WHERE id = $1`,
      [id],
    );
    expect(rows[0]!.last_seq).toBe(rows[0]!.newest);
    expect(rows[0]!.last_public_seq).toBe(rows[0]!.newest);
    // What a client sees: the inbox previews the newest message, on either instance.
    for (const on of [a, b]) expect((await on.call(alice, 'GET', '/conversations')).json.items[0].lastMessage.preview).toContain('second');
  });
});
