/**
 * The real server as a child process: an acknowledged message survives `kill -9` mid-burst, data
 * survives restarts — on a SQLite file and on a fresh PostgreSQL database the server migrates itself —
 * and start-up without a secret fails with a sentence naming the variable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { freePort, people, SECRET, type TestUser } from './helpers.js';
import { createTestDatabase, type TestDatabase } from './postgres/database.js';

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const databases: TestDatabase[] = [];
afterAll(() => Promise.all(databases.map((database) => database.drop())));

/** Where a server keeps its data: a SQLite file in `dir`, or a fresh, empty PostgreSQL database. */
const stores: [string, (dir: string) => Promise<Record<string, string>>][] = [
  ['on a SQLite file', async (dir) => ({ SECURE_INBOX_DB: join(dir, 'inbox.db') })],
  [
    'on PostgreSQL',
    async (dir) => {
      const database = await createTestDatabase({ migrated: false });
      databases.push(database);
      return { SECURE_INBOX_DB: join(dir, 'unused.db'), SECURE_INBOX_DATABASE_URL: database.url };
    },
  ],
];

/** The environment of a bare `serve`: nothing of ours inherited from the test run. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SECURE_INBOX_') && key !== 'PORT' && key !== 'HOST') env[key] = value;
  return { ...env, NODE_ENV: 'production', ...extra };
}

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: serverDir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return { child, exited, output: () => output };
}

async function startServer(store: Record<string, string>, dataDir: string) {
  const port = await freePort();
  const proc = run({
    ...store,
    SECURE_INBOX_JWT_SECRET: SECRET,
    SECURE_INBOX_DATA_DIR: dataDir,
    SECURE_INBOX_RATE_LIMIT: '0',
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 25_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`server exited early: ${proc.output()}`);
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200 && ((await res.json()) as { ok: boolean }).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become healthy: ${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...proc, base };
}

const token = (user: TestUser) =>
  new SignJWT({ name: user.name, role: user.role, accounts: user.accounts })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.sub)
    .setAudience('secure-inbox')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

async function api(base: string, user: TestUser, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${await token(user)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: (await res.json().catch(() => null)) as any };
}

/** Every message id of a thread, walking the pages back to the first. */
async function threadIds(base: string, user: TestUser, id: string): Promise<string[]> {
  const ids: string[] = [];
  let before: string | null = null;
  do {
    const res = await api(base, user, 'GET', `/conversations/${id}?limit=200${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    expect(res.status).toBe(200);
    ids.unshift(...res.json.messages.map((m: { id: string }) => m.id));
    before = res.json.nextCursor;
  } while (before !== null);
  return ids;
}

describe.each(stores)('the real server process %s', (_, storeIn) => {
  it('keeps every acknowledged message when killed with SIGKILL mid-burst', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-crash-'));
    const store = await storeIn(dir);
    const first = await startServer(store, dir);
    const { alice } = people;
    expect((await api(first.base, people.sam, 'GET', '/me')).status).toBe(200);
    const created = await api(first.base, alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Crash test', body: 'first' });
    expect(created.status).toBe(201);
    const conversationId: string = created.json.conversation.id;
    const firstMessage = (await threadIds(first.base, alice, conversationId))[0]!;

    const aliceToken = await token(alice);
    const acknowledged: string[] = [];
    let failed = 0;
    let killed = false;
    const TOTAL = 400;
    const CONCURRENCY = 16;
    const KILL_AFTER = 60;
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const n = next++;
        try {
          const res = await fetch(`${first.base}/api/v1/conversations/${conversationId}/messages`, {
            method: 'POST',
            headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ body: `burst ${n}` }),
            signal: AbortSignal.timeout(5000),
          });
          const json = (await res.json()) as { message?: { id: string } };
          if (res.status === 201 && json.message) {
            acknowledged.push(json.message.id);
            if (!killed && acknowledged.length >= KILL_AFTER) {
              killed = true;
              first.child.kill('SIGKILL');
            }
          } else failed += 1;
        } catch {
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const exit = await first.exited;
    expect(killed).toBe(true);
    expect(exit.signal).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acknowledged.length).toBeLessThan(TOTAL); // the kill really landed mid-burst
    expect(failed).toBeGreaterThan(0);

    const second = await startServer(store, dir);
    const ids = await threadIds(second.base, alice, conversationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe(firstMessage);
    const present = new Set(ids);
    const lost = acknowledged.filter((id) => !present.has(id));
    expect(lost, `acknowledged but lost after the crash: ${lost.length} of ${acknowledged.length}`).toEqual([]);
    // The restarted server takes writes again.
    const after = await api(second.base, alice, 'POST', `/conversations/${conversationId}/messages`, { body: 'after the crash' });
    expect(after.status).toBe(201);
    second.child.kill('SIGTERM');
    await second.exited;

    // An ordinary stop and a third start keep everything, read state included.
    const third = await startServer(store, dir);
    expect(await threadIds(third.base, alice, conversationId)).toEqual([...ids, after.json.message.id]);
    const list = await api(third.base, alice, 'GET', '/conversations');
    expect(list.json.items).toHaveLength(1);
    expect(list.json.items[0]).toMatchObject({ id: conversationId, subject: 'Crash test', status: 'open', unreadCount: 0 });
    expect((await api(third.base, people.sam, 'GET', '/me')).json.unread.inbox).toBe(1);
    third.child.kill('SIGTERM');
    await third.exited;
    // On PostgreSQL nothing was written to a SQLite file beside it.
    if (store.SECURE_INBOX_DATABASE_URL) expect(existsSync(store.SECURE_INBOX_DB!)).toBe(false);
  }, 120_000);
});

describe('the real server process', () => {
  it('refuses to start without SECURE_INBOX_JWT_SECRET, or with a short one, saying so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-nosecret-'));
    const port = String(await freePort());
    // Started side by side: each start-up compiles the server.
    const missing = run({ SECURE_INBOX_DB: join(dir, 'x.db'), PORT: port });
    const short = run({ SECURE_INBOX_JWT_SECRET: 'too-short', SECURE_INBOX_DB: join(dir, 'x.db'), PORT: port });
    const badPort = run({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_DB: join(dir, 'y.db'), PORT: 'eighty' });
    const [missingExit, shortExit, badPortExit] = await Promise.all([missing.exited, short.exited, badPort.exited]);
    for (const [proc, exit] of [
      [missing, missingExit],
      [short, shortExit],
    ] as const) {
      expect(exit.code, proc.output()).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(proc.output()).toMatch(/SECURE_INBOX_JWT_SECRET[^\n]*32 bytes/);
      expect(proc.output()).not.toMatch(/\n\s+at /); // a sentence, not a stack trace
    }
    expect(missing.output()).toMatch(/Set SECURE_INBOX_JWT_SECRET/);
    expect(badPortExit.code).not.toBe(0);
    expect(badPort.output()).toContain('PORT');
  }, 60_000);
});
