/**
 * Faults: several server processes writing one SQLite file at once, a database that cannot be
 * written (read-only, locked by someone else, full). Clients get 201 or a clear JSON 503/507 — never
 * SQLITE_BUSY, a 500 or a stack trace — and the file stays intact.
 *
 * (A client hanging up halfway through an upload is covered in attachments.test.ts: "leaves nothing
 * half-stored when the client disconnects mid-upload" and "leaves nothing behind when the client hangs up halfway".)
 */
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { connectionsOf, openDb, type Db } from '../src/store/sqlite/client.js';
import * as schema from '../src/store/sqlite/schema.js';
import {
  expectError,
  makeTestApp,
  people,
  postMessage,
  SECRET,
  signInAll,
  startConversation,
  type CallResult,
  type TestApp,
  type TestUser,
} from './helpers.js';

const { alice, sam } = people;
const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** `src/main.ts` as a child process on `dbFile`, healthy. */
async function startServer(dbFile: string, dataDir: string): Promise<{ base: string; output: () => string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SECURE_INBOX_')) env[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: {
      ...env,
      SECURE_INBOX_JWT_SECRET: SECRET,
      SECURE_INBOX_DB: dbFile,
      SECURE_INBOX_DATA_DIR: dataDir,
      SECURE_INBOX_RATE_LIMIT: '0',
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
    try {
      if ((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return { base, output: () => output };
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`server not healthy: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) + (db.pragma('foreign_key_check') as unknown[]).length;
  } finally {
    db.close();
  }
}

/** A storage failure answer: 503/507 `unavailable`, a sentence, Retry-After, no trace of internals. */
function expectUnavailable(res: CallResult, status: 503 | 507) {
  const error = expectError(res, status, 'unavailable');
  expect(error.message).toMatch(/^[A-Z].*\.$/);
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(res.text).not.toMatch(/SQLITE|sqlite|Error:|at \w+ \(|node_modules|\.ts:\d+/);
}

describe('several processes writing one database', () => {
  it('acknowledges every concurrent message from three server processes with 201 and loses none', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-faults-'));
    const dbFile = join(dir, 'shared.db');
    // Migrated once up front, so the three start together.
    openDb(dbFile).$client.close();
    const servers = await Promise.all([0, 1, 2].map((i) => startServer(dbFile, join(dir, `data-${i}`))));
    const t = makeTestApp();
    const auth = async (user: TestUser) => ({ authorization: `Bearer ${await t.token(user)}`, 'content-type': 'application/json' });

    const created = await fetch(`${servers[0]!.base}/api/v1/conversations`, {
      method: 'POST',
      headers: await auth(alice),
      body: JSON.stringify({ accountId: 'acme', subject: 'Busy thread', body: 'start' }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { conversation: { id: string } }).conversation.id;
    await fetch(`${servers[1]!.base}/api/v1/me`, { headers: await auth(sam) });

    const perServer = 40;

    const statuses: number[] = [];
    const bodies: string[] = [];
    await Promise.all(
      servers.map(async (server, s) => {
        const writers = [alice, sam, people.root];
        // Ten in flight per server at any time.
        let next = 0;
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            while (next < perServer) {
              const n = next++;
              const user = writers[n % writers.length]!;
              const body = `server ${s} message ${n}`;
              const res = await fetch(n % 8 === 7 ? `${server.base}/api/v1/conversations` : `${server.base}/api/v1/conversations/${id}/messages`, {
                method: 'POST',
                headers: await auth(n % 8 === 7 ? alice : user),
                body: JSON.stringify(n % 8 === 7 ? { accountId: 'acme', subject: body, body } : { body }),
              });
              statuses.push(res.status);
              if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}\n${server.output()}`);
              if (n % 8 !== 7) bodies.push(body);
            }
          }),
        );
      }),
    );
    expect(statuses).toHaveLength(3 * perServer);
    expect(statuses.every((s) => s === 201)).toBe(true);
    for (const server of servers) expect(server.output()).not.toMatch(/SQLITE_BUSY|database is locked/);

    // Every acknowledged message is there, once, readable through any of the processes.
    const thread = await fetch(`${servers[2]!.base}/api/v1/conversations/${id}?limit=200`, { headers: await auth(sam) });
    const messages = ((await thread.json()) as { messages: { body: string }[] }).messages.map((m) => m.body.replace(/<[^>]+>/g, ''));
    expect(messages.filter((b) => b.startsWith('server ')).sort()).toEqual([...bodies].sort());
    const check = new Database(dbFile, { readonly: true });
    expect((check.prepare('SELECT count(*) AS n FROM conversations').get() as { n: number }).n).toBe(1 + 3 * (perServer / 8));
    check.close();
    expect(integrity(dbFile)).toBe('ok0');
  });
});

/** The app on a second connection to the same file, opened the way a fault leaves it. */
function appOver(t: TestApp, open: (file: string) => Database.Database) {
  const sqlite = open(t.config.dbFile);
  const db = drizzle(sqlite, { schema, casing: 'snake_case' }) as Db;
  const app = createApp({ db, config: t.config, logger: t.logger });
  const call = async (user: TestUser, method: string, path: string, body?: unknown): Promise<CallResult> => {
    const res = await app.request(`/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${await t.token(user)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : null };
  };
  return { sqlite, call };
}

async function uploadAs(t: TestApp, user: TestUser): Promise<CallResult> {
  const form = new FormData();
  form.append('file', new Blob(['notes\n'.repeat(50)], { type: 'text/plain' }), 'n.txt');
  const res = await t.app.request('/api/v1/attachments', { method: 'POST', headers: { authorization: `Bearer ${await t.token(user)}` }, body: form });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
}

/** Every file under the data folder except the database's own. */
const storedFiles = (t: TestApp) =>
  (readdirSync(t.dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile() && !e.name.startsWith('test.db'))
    .map((e) => join(e.parentPath, e.name))
    .sort();

describe('a database that cannot be written', () => {
  it('answers 503 with a sentence when the database is read-only, stores no upload, and keeps the file intact', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const c = await startConversation(t, alice);
    const filesBefore = storedFiles(t);
    // Every connection of the database, the async transactions' own included.
    for (const connection of connectionsOf(t.db)) connection.pragma('query_only = ON');
    const consoleError = console.error;
    console.error = () => {};
    try {
      expectUnavailable(await t.call(alice, 'POST', `/conversations/${c.id}/messages`, { body: 'cannot be saved' }), 503);
      expectUnavailable(await t.call(alice, 'POST', '/conversations', { accountId: 'acme', subject: 's', body: 'b' }), 503);
      expectUnavailable(await t.call(sam, 'POST', `/conversations/${c.id}/read`), 503);
      expectUnavailable(await uploadAs(t, alice), 503);
      // Reads still work.
      expect((await t.call(alice, 'GET', `/conversations/${c.id}`)).json.messages).toHaveLength(1);
    } finally {
      console.error = consoleError;
      for (const connection of connectionsOf(t.db)) connection.pragma('query_only = OFF');
    }
    expect(storedFiles(t)).toEqual(filesBefore);
    await postMessage(t, alice, c.id, { body: 'saved now' });
    expect((await t.call(alice, 'GET', `/conversations/${c.id}`)).json.messages).toHaveLength(2);
    expect(integrity(t.config.dbFile)).toBe('ok0');
  });

  it('answers 503 even to a first sign-in when the file was opened read-only', async () => {
    const t = makeTestApp();
    const ro = appOver(t, (file) => new Database(file, { readonly: true }));
    const consoleError = console.error;
    console.error = () => {};
    try {
      expectUnavailable(await ro.call(alice, 'GET', '/me'), 503);
    } finally {
      console.error = consoleError;
      ro.sqlite.close();
    }
    expect(integrity(t.config.dbFile)).toBe('ok0');
  });

  it('answers 503 when another process holds the write lock past the busy timeout, and 201 once it lets go', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const c = await startConversation(t, alice);
    t.db.$client.pragma('busy_timeout = 300');
    const other = new Database(t.config.dbFile);
    other.exec('BEGIN IMMEDIATE');
    const consoleError = console.error;
    console.error = () => {};
    try {
      const started = Date.now();
      expectUnavailable(await t.call(alice, 'POST', `/conversations/${c.id}/messages`, { body: 'waits, then gives up' }), 503);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      console.error = consoleError;
      other.exec('ROLLBACK');
      other.close();
    }
    await postMessage(t, alice, c.id, { body: 'goes through' });
    expect((await t.call(alice, 'GET', `/conversations/${c.id}`)).json.messages.map((m: { body: string }) => m.body)).toEqual(['<p>Hello</p>', 'goes through']);
    expect(integrity(t.config.dbFile)).toBe('ok0');
  });

  it('answers 507 when the disk is full (max_page_count reached), keeps every acknowledged message, and recovers', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const c = await startConversation(t, alice);
    const pages = t.db.$client.pragma('page_count', { simple: true }) as number;
    // Every connection of the database: the sends are written on the transactions' own.
    for (const connection of connectionsOf(t.db)) connection.pragma(`max_page_count = ${pages + 40}`);
    const consoleError = console.error;
    console.error = () => {};
    const acknowledged: string[] = [];
    let full: CallResult | undefined;
    try {
      for (let i = 0; i < 200 && !full; i++) {
        const body = `${i} ${'lorem ipsum dolor sit amet '.repeat(700)}`;
        const res = await t.call(alice, 'POST', `/conversations/${c.id}/messages`, { body });
        if (res.status === 201) acknowledged.push(res.json.message.id);
        else full = res;
      }
      expect(full, 'the database never filled up').toBeDefined();
      expectUnavailable(full!, 507);
      expect(full!.json.error.message).toMatch(/storage/);
    } finally {
      console.error = consoleError;
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    const ids = (await t.call(alice, 'GET', `/conversations/${c.id}?limit=200`)).json.messages.map((m: { id: string }) => m.id);
    for (const id of acknowledged) expect(ids).toContain(id);
    expect(integrity(t.config.dbFile)).toBe('ok0');
    // Space again: writing works as before.
    for (const connection of connectionsOf(t.db)) connection.pragma('max_page_count = 1073741823');
    await postMessage(t, alice, c.id, { body: 'after the disk was cleaned up' });
  });
});
