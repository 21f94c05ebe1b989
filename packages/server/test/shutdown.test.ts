/**
 * SIGTERM on the real server process: an upload in flight is still answered 201 (and is there after a restart), an
 * open event stream ends with a retry hint, no new connection is accepted, and the process says so and exits 0. On a
 * SQLite file, or (in the `server on PostgreSQL` project) on a fresh PostgreSQL database named by
 * SECURE_INBOX_DATABASE_URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { freePort, onPostgres, people, SECRET, type TestUser } from './helpers.js';
import { createTestDatabase, type TestDatabase } from './postgres/database.js';

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const started: ChildProcess[] = [];
const databases: TestDatabase[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const database of databases.splice(0)) await database.drop();
});

/** Where a server keeps its data: a folder (with the SQLite file), and on PostgreSQL a fresh database of its own. */
async function makeStore(): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-shutdown-'));
  const store: Record<string, string> = { SECURE_INBOX_DB: join(dir, 'secure-inbox.db'), SECURE_INBOX_DATA_DIR: dir };
  if (onPostgres) {
    const database = await createTestDatabase();
    databases.push(database);
    store.SECURE_INBOX_DATABASE_URL = database.url;
  }
  return store;
}

async function startServer(env: Record<string, string> = {}, store?: Record<string, string>) {
  store ??= await makeStore();
  const port = await freePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SECURE_INBOX_') && key !== 'PORT' && key !== 'HOST'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: {
      ...inherited,
      SECURE_INBOX_JWT_SECRET: SECRET,
      ...store,
      SECURE_INBOX_RATE_LIMIT: '0',
      PORT: String(port),
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  // 'close' comes once the output was read to its end too ('exit' may come before the last lines).
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 25_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early: ${output}`);
    try {
      if ((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become healthy: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, base, exited, output: () => output, store };
}

const token = (user: TestUser) =>
  new SignJWT({ name: user.name, role: user.role, accounts: user.accounts })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.sub)
    .setAudience('secure-inbox')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIGTERM', () => {
  it('finishes an upload in flight, ends event streams with a retry hint, and exits 0', async () => {
    const server = await startServer();
    const auth = `Bearer ${await token(people.alice)}`;

    // An open event stream.
    const events = await fetch(`${server.base}/api/v1/events`, { headers: { authorization: auth } });
    expect(events.status).toBe(200);
    const reader = events.body!.getReader();
    let streamed = '';
    const streamEnded = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return streamed;
        streamed += new TextDecoder().decode(value);
      }
    })();

    // A slow multipart upload of 8 MB of text: a quarter is sent, then SIGTERM, then the rest.
    const boundary = 'shutdown-test-boundary';
    const chunk = Buffer.alloc(512 * 1024, 'All work and no play makes a permit late.\n');
    const chunks = 16;
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const upload = request(`${server.base}/api/v1/attachments`, {
      method: 'POST',
      headers: {
        authorization: auth,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + chunk.length * chunks + tail.length),
      },
    });
    const answered = new Promise<{ status: number; body: string }>((done, fail) => {
      upload.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => done({ status: res.statusCode!, body }));
      });
      upload.on('error', fail);
    });
    upload.write(head);
    for (let i = 0; i < chunks / 4; i++) upload.write(chunk);
    await sleep(300);

    server.child.kill('SIGTERM');
    await sleep(300);
    // No new connections once draining.
    await expect(fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    // The stream ended, with a hint to reconnect soon.
    expect(await streamEnded).toMatch(/retry: \d+\n/);
    expect(streamed.split('retry:').length - 1).toBe(2);

    for (let i = chunks / 4; i < chunks; i++) {
      upload.write(chunk);
      await sleep(50);
    }
    upload.end(tail);
    const { status, body } = await answered;
    expect(status, body).toBe(201);
    const { attachment } = JSON.parse(body);
    expect(attachment.size).toBe(chunk.length * chunks);

    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/SIGTERM received; no new connections, finishing the requests in flight \(up to 25 s\)/);
    expect(server.output()).toMatch(/Secure Inbox stopped after [\d.]+ s; exit code 0/);

    // The store is the one it was given: on PostgreSQL no SQLite file was made.
    expect(existsSync(server.store.SECURE_INBOX_DB!)).toBe(!onPostgres);
    // What was acknowledged during the drain is kept: the next start on the same store serves the upload whole.
    const restarted = await startServer({}, server.store);
    const kept = await fetch(`${restarted.base}/api/v1/attachments/${attachment.id}`, { headers: { authorization: auth } });
    expect(kept.status).toBe(200);
    const bytes = Buffer.from(await kept.arrayBuffer());
    expect(bytes.length).toBe(chunk.length * chunks);
    expect(bytes.equals(Buffer.concat(Array.from({ length: chunks }, () => chunk)))).toBe(true);
    // Two starts of a real server, each allowed 25 s on a loaded machine.
  }, 60_000);

  it('cuts what is still open at the end of the grace period, and exits 0', async () => {
    const server = await startServer({ SECURE_INBOX_SHUTDOWN_GRACE_SECONDS: '1' });
    const upload = request(`${server.base}/api/v1/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(people.alice)}`, 'content-type': 'multipart/form-data; boundary=b', 'content-length': '100000' },
    });
    const failed = new Promise<string>((done) => {
      upload.on('error', (error) => done(error.message));
      upload.on('response', (res) => done(`answered ${res.statusCode}`));
    });
    upload.write('--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello');
    await sleep(300);
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(900);
    expect(await failed).toMatch(/socket hang up|ECONNRESET/);
    expect(server.output()).toMatch(/requests still open at the deadline were cut/);
  });

  it('says on /readyz that it takes no new work once the drain began, and logs JSON lines', async () => {
    const metricsToken = 'metrics-token-0123456789abcdef';
    const server = await startServer({ SECURE_INBOX_METRICS_TOKEN: metricsToken });
    // The served process measures its writer thread's queue (none on PostgreSQL: 0) and its own process.
    const scrape = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(scrape.status).toBe(200);
    const metrics = await scrape.text();
    expect(metrics).toMatch(/^secure_inbox_writer_queue 0$/m);
    expect(metrics).toMatch(/^secure_inbox_http_requests_total\{route="\/healthz",status_class="2xx"\} \d+$/m);
    expect(metrics).toMatch(/^secure_inbox_process_cpu_seconds_total \d/m);
    const ready = await fetch(`${server.base}/readyz`, { headers: { 'x-request-id': 'lb-probe-1' } });
    expect(ready.status).toBe(200);
    expect(ready.headers.get('x-request-id')).toBe('lb-probe-1');
    expect((await fetch(`${server.base}/api/v1/me`)).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await ready.json()).toMatchObject({ ok: true, migrated: true });

    // A request that began arriving before the signal is answered during the drain.
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    let answer = '';
    socket.on('data', (d) => (answer += d));
    const closed = new Promise((done) => socket.once('close', done));
    socket.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await sleep(200);
    server.child.kill('SIGTERM');
    await sleep(300);
    socket.write('Connection: close\r\n\r\n');
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ ok: false, state: 'draining', error: { code: 'unavailable' } });
    expect(body.error.message).toMatch(/shutting down/);

    expect(await server.exited).toBe(0);
    const lines = server
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 'info', msg: expect.stringMatching(/^Secure Inbox listening on http:\/\/127\.0\.0\.1:/) });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', method: 'GET', route: '/readyz', status: 200, requestId: 'lb-probe-1' }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', method: 'GET', route: '/readyz', status: 503 }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', signal: 'SIGTERM' }));
    expect(lines.at(-1)).toMatchObject({ level: 'info', msg: expect.stringMatching(/stopped after/) });
  });

  it('takes its grace period from SECURE_INBOX_SHUTDOWN_GRACE_SECONDS, and refuses a bad one with a sentence', () => {
    expect(loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET }).shutdownGraceSeconds).toBe(25);
    expect(loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_SHUTDOWN_GRACE_SECONDS: '5' }).shutdownGraceSeconds).toBe(5);
    expect(() => loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_SHUTDOWN_GRACE_SECONDS: 'soon' })).toThrow(
      'SECURE_INBOX_SHUTDOWN_GRACE_SECONDS must be a whole number from 0 to 3600 (it is "soon").',
    );
  });
});
