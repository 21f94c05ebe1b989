import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDb } from '../src/store/sqlite/client.js';
import { execute, firstRow } from '../src/store/sql.js';
import { captureLogs, expectError, makeTestApp, onPostgres, people, readAnswer, SECRET, startConversation, type TestApp } from './helpers.js';
import { testDatabaseUrl } from './postgres/database.js';

const requestLines = (t: ReturnType<typeof makeTestApp>) => t.logs.filter((line) => line.msg === 'request');

/**
 * The store goes away under the app: the SQLite file is closed; the PostgreSQL database stops taking connections and
 * the ones the app holds are cut, as when its server is stopped or the database is taken offline.
 */
async function loseStore(t: TestApp) {
  if (!onPostgres) return t.db.$client.close();
  const { name } = (await firstRow<{ name: string }>(t.db, sql`SELECT current_database() AS name`))!;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  } finally {
    await admin.end();
  }
}

describe('request log', () => {
  it('writes one JSON line per request with the route pattern, status, duration and request id, never the token or the query', async () => {
    const t = makeTestApp();
    const conversation = await startConversation(t, people.alice);
    t.logs.length = 0;
    const token = await t.token(people.alice);
    const res = await t.app.request(`/api/v1/conversations/${conversation.id}`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'portal-req-42' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('portal-req-42');
    const search = await t.app.request('/api/v1/conversations?q=secret%20diagnosis', { headers: { authorization: `Bearer ${token}` } });
    expect(search.status).toBe(200);
    const lines = requestLines(t);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', method: 'GET', route: '/api/v1/conversations/:id', status: 200, requestId: 'portal-req-42' });
    expect(lines[1]).toMatchObject({ method: 'GET', route: '/api/v1/conversations', status: 200 });
    expect(typeof lines[0]!.durationMs).toBe('number');
    const written = JSON.stringify(t.logs);
    expect(written).not.toContain(token.slice(-16));
    expect(written).not.toContain('diagnosis');
    expect(written).not.toContain(conversation.id);
  });

  it('makes up a request id when none or a malformed one came, and logs refusals with their status', async () => {
    const t = makeTestApp();
    const res = await t.app.request('/api/v1/me', { headers: { 'x-request-id': 'bad id\twith "quotes"' } });
    expect(res.status).toBe(401);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestLines(t)).toEqual([expect.objectContaining({ method: 'GET', status: 401, requestId: id })]);
    const other = await t.app.request('/api/v1/me');
    expect(other.headers.get('x-request-id')).not.toBe(id);
  });

  it('says nothing at SECURE_INBOX_LOG_LEVEL=warn for answered requests; refuses a level it does not know', async () => {
    const t = makeTestApp();
    t.logger.level = 'warn';
    await t.app.request('/healthz');
    expect(t.logs).toEqual([]);
    expect(loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET }).logLevel).toBe('info');
    expect(loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
    expect(() => loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_LOG_LEVEL: 'loud' })).toThrow(/SECURE_INBOX_LOG_LEVEL must be one of .*"loud"/);
  });
});

describe('a store that cannot take the request', () => {
  it("answers PostgreSQL's disk full with 507 and its lost connections, shutdowns and lock timeouts with 503, never 500", async () => {
    const { logger, lines } = captureLogs();
    const app = createApp(
      { db: openDb(':memory:'), config: loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_DB: ':memory:' }), logger },
      {
        mount: (root) =>
          root.get('/failing/:code', (c) => {
            // As Drizzle reports a driver's error: the database's own, with its SQLSTATE, as the cause.
            throw new Error('Failed query', { cause: Object.assign(new Error('the database said no'), { code: c.req.param('code') }) });
          }),
      },
    );
    const statusOf = async (code: string) => (await app.request(`/failing/${code}`)).status;
    expect(await statusOf('53100')).toBe(507);
    for (const code of ['08006', '08001', '53300', '57P01', '57P03', '25006', '55P03', 'ECONNREFUSED']) expect(await statusOf(code)).toBe(503);
    expect(await statusOf('23505')).toBe(500);
    expect(lines.filter((line) => line.msg.startsWith('Storage unavailable'))).toHaveLength(9);
  });
});

describe('/healthz', () => {
  it('answers 200 with the version while the store reads, 503 with a sentence once it cannot', async () => {
    const t = makeTestApp();
    const ok = await readAnswer(await t.app.request('/healthz'));
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ ok: true, version: expect.any(String) });
    await loseStore(t);
    const down = await readAnswer(await t.app.request('/healthz'));
    expect(down.status).toBe(503);
    expect(down.json.ok).toBe(false);
    expect(down.json.error.code).toBe('unavailable');
    expect(down.json.error.message).toMatch(/store cannot be read/);
    expect(t.logs.some((line) => line.level === 'error' && /store cannot be read/.test(line.msg))).toBe(true);
  });

  it('answers 503 when the database lost its tables', async () => {
    const t = makeTestApp();
    await execute(t.db, onPostgres ? sql`DROP TABLE drizzle.__drizzle_migrations` : sql`DROP TABLE __drizzle_migrations`);
    const down = await readAnswer(await t.app.request('/healthz'));
    expect(down.status).toBe(503);
    expect(down.json.error.message).toMatch(onPostgres ? /relation "drizzle.__drizzle_migrations" does not exist/ : /no such table/);
  });

  it('/readyz answers 200 for an app made on its own', async () => {
    const t = makeTestApp();
    const res = await readAnswer(await t.app.request('/readyz'));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, migrated: true });
  });
});

describe('/metrics', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';

  it('is a JSON 404 unless SECURE_INBOX_METRICS_TOKEN is set', async () => {
    const t = makeTestApp();
    const res = await readAnswer(await t.app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } }));
    expectError(res, 404, 'not_found');
  });

  it('asks for the token (401 JSON) and then serves Prometheus text with requests by route, streams, outbox and process metrics', async () => {
    const t = makeTestApp({ SECURE_INBOX_METRICS_TOKEN: TOKEN });
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, TOKEN]) {
      const res = await readAnswer(await t.app.request('/metrics', { headers: authorization ? { authorization } : {} }));
      expectError(res, 401, 'unauthorized');
    }
    await t.call(people.sam, 'GET', '/me');
    await startConversation(t, people.alice);
    await t.call(people.alice, 'GET', '/conversations');
    await t.call(null, 'GET', '/me');
    const res = await t.app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/secure_inbox_http_requests_total\{route="\/api\/v1\/conversations",status_class="2xx"\} 2\n/);
    expect(text).toMatch(/secure_inbox_http_requests_total\{route="\/api\/v1\/\*",status_class="4xx"\} \d+/);
    // How many fell under 0.1 s depends on the machine's pace; all of them are under +Inf.
    expect(text).toMatch(/secure_inbox_http_request_duration_seconds_bucket\{le="0\.1",route="\/api\/v1\/conversations",status_class="2xx"\} [012]\n/);
    expect(text).toMatch(/secure_inbox_http_request_duration_seconds_bucket\{le="\+Inf",route="\/api\/v1\/conversations",status_class="2xx"\} 2\n/);
    expect(text).toMatch(/secure_inbox_event_streams_open 0\n/);
    expect(text).toMatch(/secure_inbox_outbox_pending 1\n/);
    expect(text).toMatch(/secure_inbox_outbox_failed 0\n/);
    expect(text).toMatch(/secure_inbox_delivery_failures_total 0\n/);
    expect(text).toMatch(/secure_inbox_writer_queue 0\n/);
    expect(text).toMatch(/secure_inbox_process_resident_memory_bytes \d+/);
    expect(text).toMatch(/secure_inbox_nodejs_eventloop_lag_seconds/);
  });

  it('refuses a metrics token shorter than 16 bytes at start-up', () => {
    expect(() => loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_METRICS_TOKEN: 'short' })).toThrow(
      /SECURE_INBOX_METRICS_TOKEN must be at least 16 bytes/,
    );
  });
});
