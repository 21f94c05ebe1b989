import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, onTestFinished } from 'vitest';
import { createApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { joinCluster, leaveCluster } from '../src/store/postgres/cluster/instance.js';
import { postgresDb } from '../src/store/postgres/db.js';
import { openDb, type Db } from '../src/store/sqlite/client.js';
import { startWriterThread, type WriterThread } from '../src/store/sqlite/writer-thread.js';
import { createLogger, type Logger } from '../src/ops/log.js';
import { databaseInTheBackground } from './postgres/database.js';

/** A log line as written, parsed. */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** A logger that keeps its lines (parsed) in `lines` instead of printing them: tests stay quiet and can read them. */
export function captureLogs(level: Parameters<typeof createLogger>[0] = 'info'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

export interface TestUser {
  sub: string;
  name: string;
  role: 'customer' | 'staff' | 'admin';
  accounts: string[];
  email?: string;
}

const endsOfFile: (() => Promise<void>)[] = [];
let endsRegistered = false;

/** Runs `end` once the test that called this has finished, or the file when called outside a test. */
function endAfterwards(end: () => Promise<void>) {
  try {
    onTestFinished(end);
  } catch {
    endsOfFile.push(end);
    if (!endsRegistered) {
      endsRegistered = true;
      afterAll(() => Promise.all(endsOfFile.splice(0).map((fn) => fn())));
    }
  }
}

/** A writer thread lives as long as the test that made it, or the file when made outside a test. */
function stopAfterwards(thread: WriterThread) {
  endAfterwards(() => thread.stop());
}

/** Which store this run's apps are made on: PostgreSQL in the vitest project `server on PostgreSQL` (vitest.config.ts). */
export const onPostgres = process.env.SECURE_INBOX_TEST_STORE === 'postgres';

/**
 * A fresh PostgreSQL database (test/postgres/database.ts) for one app, made in the background so that `makeTestApp`
 * stays synchronous: its pool's connections wait until it exists. With its wake listener, as openPostgresStore opens
 * it, so streams are woken the way the server wakes them. Dropped when the test (or the file) ends.
 */
function postgresTestDb(): Db {
  const database = databaseInTheBackground();
  const pool = database.pool(4);
  const db = postgresDb(pool);
  joinCluster(db, { url: database.url, client: database.client });
  endAfterwards(async () => {
    await leaveCluster(db);
    await pool.end();
    await database.drop();
  });
  return db as unknown as Db;
}

/** Whether this run writes sends and sign-ins on the writer thread (the writer-thread project, vitest.config.ts). */
export const onWriterThread = Boolean(process.env.SECURE_INBOX_TEST_WRITER_THREAD);

/**
 * A fresh app on a real SQLite file in a temporary folder, or on a fresh PostgreSQL database in the
 * `server on PostgreSQL` project. With `writerThread` (and throughout the writer-thread project) sends and
 * sign-ins on SQLite are written the way the server writes them on a database file: on the writer thread
 * (src/store/sqlite/writer-thread.ts), stopped when the test ends.
 */
export function makeTestApp(env: Record<string, string> = {}, options: { writerThread?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-test-'));
  const config: Config = loadConfig({
    SECURE_INBOX_JWT_SECRET: SECRET,
    SECURE_INBOX_DB: join(dir, 'test.db'),
    SECURE_INBOX_RATE_LIMIT: '0',
    SECURE_INBOX_DATA_DIR: dir,
    ...env,
  });
  const db: Db = onPostgres ? postgresTestDb() : openDb(config.dbFile);
  const writes = !onPostgres && (options.writerThread ?? onWriterThread) ? startWriterThread(db, config) : undefined;
  if (writes) stopAfterwards(writes);
  const { logger, lines: logs } = captureLogs();
  const app = createApp({ db, config, logger, ...(writes ? { writes } : {}) }, { bundlePath: join(dir, 'missing-bundle.js') });

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

  /** Calls the app as `user` (or anonymously with null). */
  async function call(user: TestUser | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (user) h.authorization = `Bearer ${await token(user)}`;
    if (body !== undefined) h['content-type'] ??= 'application/json';
    const res = await app.request(`/api/v1${path}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return readAnswer(res);
  }

  return { app, db, config, dir, token, call, writes, logger, logs };
}

/** An answer as tests look at it: status, headers, the text, and the JSON it holds (the text when it is not JSON). */
export async function readAnswer(res: Response) {
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers, text };
}

/** A small cast: two accounts, customers in each, staff, an admin. */
export const people = {
  alice: { sub: 'alice', name: 'Alice Applicant', role: 'customer', accounts: ['acme'], email: 'alice@example.com' },
  adam: { sub: 'adam', name: 'Adam Co-owner', role: 'customer', accounts: ['acme'] },
  bob: { sub: 'bob', name: 'Bob Other', role: 'customer', accounts: ['globex'], email: 'bob@example.com' },
  sam: { sub: 'sam', name: 'Sam Staff', role: 'staff', accounts: ['acme', 'globex'], email: 'sam@example.com' },
  gina: { sub: 'gina', name: 'Gina Globex Staff', role: 'staff', accounts: ['globex'] },
  root: { sub: 'root', name: 'Ada Admin', role: 'admin', accounts: ['*'], email: 'admin@example.com' },
} satisfies Record<string, TestUser>;

/** Signs everyone in once so the server knows them and their accounts. */
export async function signInAll(t: ReturnType<typeof makeTestApp>) {
  for (const user of Object.values(people)) {
    const res = await t.call(user, 'GET', '/me');
    if (res.status !== 200) throw new Error(`sign-in of ${user.sub} failed: ${res.status} ${res.text}`);
  }
}

export type TestApp = ReturnType<typeof makeTestApp>;
export type CallResult = Awaited<ReturnType<TestApp['call']>>;

/** Asserts the API's error shape: `{"error":{"code","message","details"?}}` with the given status and code. */
export function expectError(res: CallResult, status: number, code: string) {
  if (res.status !== status || res.json?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${res.text}`);
  }
  const error = res.json.error;
  if (typeof error.message !== 'string' || error.message.length === 0) throw new Error(`error without a message: ${res.text}`);
  const extra = Object.keys(error).filter((k) => !['code', 'message', 'details'].includes(k));
  if (extra.length > 0 || Object.keys(res.json).length !== 1) throw new Error(`unexpected keys in error body: ${res.text}`);
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) throw new Error('error is not JSON');
  return error as { code: string; message: string; details?: unknown };
}

/** The field names a 422's `details` lists. */
export const problemFields = (res: CallResult): string[] =>
  Array.isArray(res.json?.error?.details) ? res.json.error.details.map((d: { field: string }) => d.field) : [];

/** Starts a conversation as `user` and returns it; throws unless it was created. */
export async function startConversation(t: TestApp, user: TestUser, overrides: Record<string, unknown> = {}) {
  const res = await t.call(user, 'POST', '/conversations', {
    accountId: user.accounts[0] === '*' ? 'acme' : user.accounts[0],
    subject: 'A question',
    body: '<p>Hello</p>',
    ...(user.role === 'customer' ? {} : { recipientIds: ['alice'] }),
    ...overrides,
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.json.conversation as { id: string; status: string; accountId: string; subject: string; updatedAt: string; participants: { id: string }[] };
}

/** Posts a message and returns it; throws unless it was created. */
export async function postMessage(t: TestApp, user: TestUser, conversationId: string, body: Record<string, unknown>) {
  const res = await t.call(user, 'POST', `/conversations/${conversationId}/messages`, body);
  if (res.status !== 201) throw new Error(`post failed: ${res.status} ${res.text}`);
  return res.json.message as { id: string; kind: string; body: string; doNotReply: boolean; tip: string | null };
}

/**
 * The app's API routes as `METHOD /api/v1/...`, one per concrete path: middleware (`*`) entries
 * are skipped, duplicates (validator + handler) merged and `:param{a|b}` alternatives expanded.
 */
export function apiRoutes(app: TestApp['app']): { method: string; path: string }[] {
  const seen = new Set<string>();
  const out: { method: string; path: string }[] = [];
  for (const route of app.routes) {
    if (route.method === 'ALL' || route.path.includes('*') || !route.path.startsWith('/api/v1/')) continue;
    const alternatives = route.path.match(/:\w+\{([\w|]+)\}/);
    const paths = alternatives ? alternatives[1]!.split('|').map((a) => route.path.replace(alternatives[0], a)) : [route.path];
    for (const path of paths) {
      const key = `${route.method} ${path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ method: route.method, path });
    }
  }
  return out;
}

/** A port on 127.0.0.1 that nothing listens on (yet), for a server a test starts as a process of its own. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
