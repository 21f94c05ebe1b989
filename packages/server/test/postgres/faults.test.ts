/**
 * PostgreSQL going away while the server runs, the counterpart of test/faults.test.ts: whatever the request, the
 * answer is the API's JSON 503 with a sentence (never a hang, never a 500), and the server serves again once the
 * database is back, with every acknowledged message kept. The app reaches PostgreSQL through a TCP proxy the test
 * can cut, refuse or silence, so the shared server itself never stops.
 */
import { mkdtempSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { CONNECT_TIMEOUT_MS, lostConnection, openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { transaction } from '../../src/store/runtime.js';
import { sql } from 'drizzle-orm';
import { execute } from '../../src/store/sql.js';
import type { Db } from '../../src/store/sqlite/client.js';
import { captureLogs, expectError, people, readAnswer, SECRET, type CallResult, type TestUser } from '../helpers.js';
import { useTestDatabase } from './database.js';

const { alice, sam } = people;
const upstream = new URL(process.env.SECURE_INBOX_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');

/**
 * A TCP proxy to the test's PostgreSQL: `up` forwards, `refusing` has dropped every connection and accepts none,
 * `silent` has dropped every connection and accepts new ones without ever answering (a network that swallows packets).
 */
class Proxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  mode: 'up' | 'refusing' | 'silent' = 'up';
  port = 0;

  async listen(): Promise<void> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.mode === 'silent') return;
      const server = createConnection(Number(upstream.port || 5432), upstream.hostname);
      this.sockets.add(server);
      server.on('close', () => this.sockets.delete(server));
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
      server.on('close', () => client.destroy());
      client.pipe(server).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Drops every connection; from now on accepts none (`refusing`) or accepts them and stays silent. */
  async cut(mode: 'refusing' | 'silent'): Promise<void> {
    this.mode = mode;
    for (const socket of this.sockets) socket.destroy();
    if (mode === 'refusing') await this.close();
  }

  async restore(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.mode = 'up';
    if (!this.server?.listening) await this.listen();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    if (server?.listening) await new Promise((resolve) => server.close(resolve));
  }
}

const database = useTestDatabase();
const proxy = new Proxy();
let db: PgDb;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  await proxy.listen();
  const url = new URL(database.url());
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  // The pool the server opens (store/postgres/db.ts), on the proxy.
  db = openPostgres(url.toString());
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-pg-faults-'));
  const config = loadConfig({
    SECURE_INBOX_JWT_SECRET: SECRET,
    SECURE_INBOX_RATE_LIMIT: '0',
    SECURE_INBOX_DATA_DIR: dir,
    SECURE_INBOX_DB: join(dir, 'unused.db'),
  });
  app = createApp({ db: db as unknown as Db, config, logger: captureLogs().logger }, { bundlePath: join(dir, 'missing-bundle.js') });
});

afterAll(async () => {
  await proxy.restore();
  await db?.$client.end();
  await proxy.close();
});

async function call(user: TestUser, method: string, path: string, body?: unknown): Promise<CallResult> {
  const { sub, ...claims } = user;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience('secure-inbox')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return readAnswer(await app.request(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
}

/** The API's 503: JSON, a sentence, a Retry-After. */
function expectUnavailable(res: CallResult) {
  const error = expectError(res, 503, 'unavailable');
  expect(error.message).toMatch(/try again/);
  expect(res.headers.get('retry-after')).toBe('30');
}

const bodies = async (conversationId: string) =>
  (await call(alice, 'GET', `/conversations/${conversationId}?limit=200`)).json.messages.map((m: { body: string }) => m.body) as string[];

describe('PostgreSQL going away while the server runs', () => {
  let conversationId: string;
  beforeAll(async () => {
    for (const user of [alice, sam]) expect((await call(user, 'GET', '/me')).status).toBe(200);
    const created = await call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Through a proxy', body: 'first' });
    expect(created.status, created.text).toBe(201);
    conversationId = created.json.conversation.id;
  });

  it('answers a JSON 503 while it refuses connections, and serves again once it is back', async () => {
    await proxy.cut('refusing');
    const started = Date.now();
    expectUnavailable(await call(alice, 'POST', `/conversations/${conversationId}/messages`, { body: 'not saved' }));
    expectUnavailable(await call(alice, 'GET', `/conversations/${conversationId}`));
    expectUnavailable(await call(sam, 'POST', `/conversations/${conversationId}/read`));
    expect(Date.now() - started).toBeLessThan(5_000);
    await proxy.restore();
    expect((await call(alice, 'POST', `/conversations/${conversationId}/messages`, { body: 'saved again' })).status).toBe(201);
    expect(await bodies(conversationId)).toEqual(['first', 'saved again']);
  });

  it('answers a JSON 503, not a hang, while connections are accepted and never answered', { timeout: 60_000 }, async () => {
    await proxy.cut('silent');
    const started = Date.now();
    expectUnavailable(await call(alice, 'POST', `/conversations/${conversationId}/messages`, { body: 'not saved either' }));
    // On a connection of its own, made after the cut: it waits for the connection timeout (store/postgres/db.ts).
    expectUnavailable(await call(sam, 'GET', `/conversations/${conversationId}`));
    expect(Date.now() - started).toBeLessThan(3 * CONNECT_TIMEOUT_MS);
    await proxy.restore();
    expect((await call(alice, 'POST', `/conversations/${conversationId}/messages`, { body: 'and again' })).status).toBe(201);
    expect(await bodies(conversationId)).toEqual(['first', 'saved again', 'and again']);
  });

  it('lets a transaction whose connection is lost between two statements fail, without taking the process down', async () => {
    // Without a listener on checked-out connections, node-postgres throws the loss as an uncaught exception
    // (which fails this file) instead of failing the next statement.
    const failed = transaction(db as unknown as Db, async (tx) => {
      await execute(tx, sql`SELECT 1`);
      await proxy.cut('refusing');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await execute(tx, sql`SELECT 2`);
    }).then(
      () => null,
      (error: unknown) => error,
    );
    const error = await failed;
    expect(error).not.toBeNull();
    let lost = false;
    for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) lost ||= lostConnection(e);
    expect(lost, String(error)).toBe(true);
    await proxy.restore();
    expect((await call(alice, 'POST', `/conversations/${conversationId}/messages`, { body: 'after the lost transaction' })).status).toBe(201);
  });

  it("answers 201 or a JSON 503 to sends while an operator ends the server's connections, and keeps every acknowledged one", async () => {
    const admin = new pg.Client({ connectionString: database.url() });
    await admin.connect();
    try {
      const sends = Array.from({ length: 30 }, (_, i) => call(alice, 'POST', `/conversations/${conversationId}/messages`, { body: `burst ${i}` }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      const answers = await Promise.all(sends);
      for (const answer of answers) if (answer.status !== 201) expectUnavailable(answer);
      const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.json.message.body as string);
      // Connections the pool held are replaced: the next request is served.
      expect((await call(alice, 'POST', `/conversations/${conversationId}/messages`, { body: 'after' })).status).toBe(201);
      const kept = await bodies(conversationId);
      for (const body of acknowledged) expect(kept).toContain(body);
      expect(kept).toContain('after');
      // And no connection stays checked out of the pool for good (one lost before its BEGIN did: store/postgres/db.ts).
      await expect.poll(() => db.$client.totalCount - db.$client.idleCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
