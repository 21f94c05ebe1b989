import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { openPostgresStore } from '../src/store/postgres/store.js';
import { parseDatabaseUrl } from '../src/store/postgres/url.js';
import { openDb, type Db } from '../src/store/sqlite/client.js';
import { rows } from '../src/store/sql.js';
import { demoRoutes } from '../src/demo/page.js';
import { seedDemo } from '../src/demo/seed.js';
import { demoAccounts, demoUserList, demoUsers, type DemoUser } from '../src/demo/users.js';
import { captureLogs, freePort, onPostgres } from './helpers.js';
import { createTestDatabase } from './postgres/database.js';

const SECRET = 'demo-test-secret-that-is-at-least-32-bytes';

/**
 * The demo's store, opened as `pnpm start` opens it: the SQLite file, or (in the `server on PostgreSQL` project) a
 * fresh PostgreSQL database named by SECURE_INBOX_DATABASE_URL. Each call opens it anew, as a restart does.
 */
async function openStore(config: Config): Promise<{ db: Db; close: () => Promise<void> }> {
  if (!config.database) {
    const db = openDb(config.dbFile);
    return {
      db,
      close: async () => {
        db.$client.close();
      },
    };
  }
  const store = await openPostgresStore(config, config.database);
  return { db: store.db, close: store.close };
}

async function makeDemo() {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-demo-'));
  const database = onPostgres ? await createTestDatabase() : null;
  const config = loadConfig({
    SECURE_INBOX_JWT_SECRET: SECRET,
    SECURE_INBOX_DB: join(dir, 'demo.db'),
    SECURE_INBOX_DATA_DIR: dir,
    SECURE_INBOX_RATE_LIMIT: '0',
    ...(database ? { SECURE_INBOX_DATABASE_URL: database.url } : {}),
  });
  const store = await openStore(config);
  const { db } = store;
  const seed = await seedDemo(db);
  const app = createApp(
    { db, config, logger: captureLogs().logger },
    { bundlePath: join(dir, 'missing-bundle.js'), mount: (root) => root.route('/', demoRoutes()) },
  );

  async function token(userId: string) {
    const res = await app.request('/demo/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }

  /** Calls the API with a token minted by the demo login. */
  async function api(user: DemoUser, path: string, init: RequestInit = {}) {
    const res = await app.request(`/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${await token(user.id)}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : null };
  }

  /** Closes the store (and drops the PostgreSQL database); returned from beforeAll, so it runs after the tests. */
  async function close() {
    await store.close();
    await database?.drop();
  }

  return { dir, config, db, seed, app, token, api, close };
}

type Demo = Awaited<ReturnType<typeof makeDemo>>;

/** How many rows `query` (a `SELECT count(*) AS n ...`) counts; PostgreSQL's count is a bigint, read as a string. */
const count = async (db: Db, query: ReturnType<typeof sql>) => Number((await rows<{ n: number | string }>(db, query))[0]!.n);

async function tableCounts(db: Db) {
  const tables = ['users', 'accounts', 'memberships', 'topics', 'conversations', 'conversation_users', 'messages'];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = await count(db, sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`);
  return counts;
}

const customers = demoUserList.filter((u) => u.role === 'customer');

describe('the demo seed', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await makeDemo();
    return demo.close;
  });

  it('creates accounts with names, topics, every demo user and conversations in every status', async () => {
    const { db } = demo;
    expect(demo.seed.seeded).toBe(true);
    const accounts = await rows<{ id: string; name: string }>(db, sql`SELECT id, name FROM accounts`);
    expect([...accounts].sort((a, b) => a.id.localeCompare(b.id))).toEqual(Object.values(demoAccounts).sort((a, b) => a.id.localeCompare(b.id)));
    expect(await count(db, sql`SELECT count(*) AS n FROM topics`)).toBeGreaterThanOrEqual(4);
    const users = await rows<{ id: string; role: string }>(db, sql`SELECT id, role FROM users`);
    expect(new Set(users.map((u) => u.id))).toEqual(new Set(demoUserList.map((u) => u.id)));
    expect(new Set(users.map((u) => u.role))).toEqual(new Set(['customer', 'staff', 'admin']));

    const statuses = (await rows<{ status: string }>(db, sql`SELECT DISTINCT status FROM conversations`)).map((r) => r.status);
    expect(new Set(statuses)).toEqual(new Set(['open', 'attentive', 'answered', 'resolved']));
    const kinds = (await rows<{ kind: string }>(db, sql`SELECT DISTINCT context_kind AS kind FROM conversations WHERE context_kind IS NOT NULL`)).map(
      (r) => r.kind,
    );
    expect(new Set(kinds)).toEqual(new Set(['permit', 'engagement', 'matter']));
    // A flag is an integer in SQLite and a boolean in PostgreSQL.
    const messageKinds = (
      await rows<{ kind: string; doNotReply: number | boolean }>(db, sql`SELECT DISTINCT kind, do_not_reply AS "doNotReply" FROM messages`)
    ).map((r) => ({ kind: r.kind, doNotReply: Boolean(r.doNotReply) }));
    expect(messageKinds).toEqual(
      expect.arrayContaining([
        { kind: 'internal_note', doNotReply: true },
        { kind: 'resolve_note', doNotReply: true },
        { kind: 'resolve_note', doNotReply: false },
        { kind: 'public_note', doNotReply: false },
        { kind: 'status_update', doNotReply: false },
      ]),
    );
    expect(await count(db, sql`SELECT count(*) AS n FROM messages WHERE tip IS NOT NULL`)).toBeGreaterThan(0);
  });

  it('includes a staff-to-staff conversation about the permit, from the reviewer to the inspector', async () => {
    const res = await demo.api(demoUsers.ines, '/conversations');
    const handover = res.json.items.find((c: any) => c.context?.ref === 'BP-2026-0142' && c.subject.startsWith('Handover'));
    expect(handover).toBeDefined();
    const thread = await demo.api(demoUsers.ines, `/conversations/${handover.id}`);
    expect(thread.json.conversation.participants.map((p: any) => p.role)).toEqual(['staff', 'staff']);
    expect(thread.json.messages[0].author.id).toBe(demoUsers.dan.id);
    // Customers of the permit do not see it.
    expect((await demo.api(demoUsers.maria, `/conversations/${handover.id}`)).status).toBe(404);
  });

  it('dates the history over the past days, newest activity first', async () => {
    const res = await demo.api(demoUsers.ada, '/conversations?limit=100');
    const dates: string[] = res.json.items.map((c: any) => c.updatedAt);
    expect(dates.length).toBe(demo.seed.conversations);
    expect([...dates].sort().reverse()).toEqual(dates);
    const oldest = Date.parse(dates[dates.length - 1]!);
    expect(Date.now() - oldest).toBeGreaterThan(3 * 24 * 3600 * 1000);
    expect(Date.parse(dates[0]!)).toBeLessThanOrEqual(Date.now());
  });

  it('gives users a mix of read and unread conversations', async () => {
    const maria = await demo.api(demoUsers.maria, '/conversations');
    const unread = maria.json.items.map((c: any) => c.unreadCount > 0);
    expect(unread).toContain(true);
    expect(unread).toContain(false);
    expect((await demo.api(demoUsers.maria, '/me')).json.unread.inbox).toBeGreaterThan(0);
    // Something in Tom's trash, and a conversation he marked unread.
    expect((await demo.api(demoUsers.tom, '/conversations?folder=trash')).json.items).toHaveLength(1);
  });

  it('never shows a hidden note to a customer, through threads, lists, previews, search or the Status tab', async () => {
    const hidden = await rows<{ id: string }>(demo.db, sql`SELECT id FROM messages WHERE do_not_reply`);
    expect(hidden.length).toBeGreaterThanOrEqual(3);
    for (const customer of customers) {
      const seen: string[] = [];
      for (const folder of ['inbox', 'sent', 'trash']) {
        const list = await demo.api(customer, `/conversations?folder=${folder}&limit=100`);
        expect(list.status).toBe(200);
        seen.push(list.text);
        for (const item of list.json.items) {
          const thread = await demo.api(customer, `/conversations/${item.id}`);
          expect(thread.status).toBe(200);
          expect(thread.json.messages.every((m: any) => m.doNotReply === false)).toBe(true);
          seen.push(thread.text);
        }
      }
      for (const accountId of customer.accounts as string[]) seen.push((await demo.api(customer, `/status-updates?accountId=${accountId}`)).text);
      seen.push((await demo.api(customer, '/conversations?q=%25&limit=100')).text);
      const all = seen.join('\n');
      for (const note of hidden) expect(all).not.toContain(note.id);
    }
    // The same words are found by staff and not by the customer.
    expect((await demo.api(demoUsers.liam, '/conversations?q=abatement')).json.items).toHaveLength(1);
    expect((await demo.api(demoUsers.grace, '/conversations?q=abatement')).json.items).toHaveLength(0);
    const staffThread = await demo.api(demoUsers.liam, '/conversations?q=abatement');
    const id = staffThread.json.items[0].id;
    const forStaff = await demo.api(demoUsers.liam, `/conversations/${id}`);
    expect(forStaff.json.messages.some((m: any) => m.kind === 'internal_note' && m.doNotReply)).toBe(true);
  });

  it('does not duplicate anything when seeded again, and a second start keeps the data', async () => {
    const { db, config } = demo;
    const created = await demo.api(demoUsers.maria, '/conversations', {
      method: 'POST',
      body: JSON.stringify({ accountId: demoAccounts.permit.id, subject: 'Fee receipt', body: '<p>Where do I find the receipt for the permit fee?</p>' }),
    });
    expect(created.status).toBe(201);
    const before = await tableCounts(db);
    expect(await seedDemo(db)).toEqual({ seeded: false, conversations: 0 });
    expect(await tableCounts(db)).toEqual(before);

    const reopened = await openStore(config);
    try {
      expect((await seedDemo(reopened.db)).seeded).toBe(false);
      expect(await tableCounts(reopened.db)).toEqual(before);
      expect(await count(reopened.db, sql`SELECT count(*) AS n FROM conversations WHERE subject = 'Fee receipt'`)).toBe(1);
    } finally {
      await reopened.close();
    }
  });
});

describe('the demo page', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await makeDemo();
    return demo.close;
  });

  function expectNoInlineCode(html: string) {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    for (const [, attributes, content] of scripts) {
      expect(attributes).toMatch(/\ssrc="\/[^"]+"/);
      expect(content!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  }

  it('answers / with the login picker, a strict CSP and no inline script or style', async () => {
    const res = await demo.app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expectNoInlineCode(html);
    for (const user of demoUserList) {
      expect(html).toContain(user.name);
      expect(html).toContain(`href="/?as=${user.id}"`);
    }
    expect(html).toContain(demoAccounts.matter.name);
    expect(html).toContain('Customer');
    expect(html).toContain('Staff');
  });

  it('embeds <secure-inbox> and the unread badge for the chosen user, with the deep link', async () => {
    const res = await demo.app.request('/?as=maria.lopez&conversation=c_abc123');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expectNoInlineCode(html);
    expect(html).toContain('<script type="module" src="/secure-inbox.js"></script>');
    expect(html).toContain('<script type="module" src="/demo.js"></script>');
    expect(html).toContain('<secure-inbox conversation="c_abc123"></secure-inbox>');
    expect(html).toContain('<secure-unread-badge></secure-unread-badge>');
    expect(html).toContain('data-user="maria.lopez"');
    expect(html).toContain('Maria López');
    expect(html).toMatch(/Switch user/);
  });

  it('escapes whatever comes in the query string', async () => {
    const res = await demo.app.request(`/?as=maria.lopez&conversation=${encodeURIComponent('"><script>alert(1)</script>')}`);
    const html = await res.text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('conversation="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    const unknown = await demo.app.request(`/?as=${encodeURIComponent('<img src=x>')}`);
    expect(unknown.status).toBe(404);
    const text = await unknown.text();
    expect(text).not.toContain('<img src=x>');
    expect(text).toContain('There is no demo user');
    expectNoInlineCode(text);
  });

  it('keeps the deep link when a user is picked', async () => {
    const html = await (await demo.app.request('/?conversation=c_xyz')).text();
    expect(html).toContain('href="/?as=grace.okafor&amp;conversation=c_xyz"');
  });

  it('serves its script and style sheet as files', async () => {
    const js = await demo.app.request('/demo.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const code = await js.text();
    expect(code).toContain('/demo/token');
    expect(code).toContain('tokenProvider');
    const css = await demo.app.request('/demo.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });
});

describe('POST /demo/token', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await makeDemo();
    return demo.close;
  });

  it('mints a 15-minute token with the seeded claims that works against /api/v1/me', async () => {
    for (const user of [demoUsers.maria, demoUsers.jo, demoUsers.ada]) {
      const token = await demo.token(user.id);
      const claims = decodeJwt(token);
      expect(claims.sub).toBe(user.id);
      expect(claims.aud).toBe('secure-inbox');
      expect(claims.exp! - claims.iat!).toBe(15 * 60);
      const me = await demo.app.request('/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      const body = (await me.json()) as any;
      expect(body.user).toEqual({ id: user.id, name: user.name, email: user.email, role: user.role });
      const expected = user.accounts === '*' ? Object.values(demoAccounts).map((a) => a.id) : user.accounts;
      expect(body.accounts.map((a: any) => a.id).sort()).toEqual([...expected].sort());
      expect(body.accounts.every((a: any) => a.name !== a.id)).toBe(true);
    }
  });

  it('answers 404 for an unknown user and 4xx for a bad request, as JSON errors', async () => {
    const post = (body: string, type = 'application/json') => demo.app.request('/demo/token', { method: 'POST', headers: { 'content-type': type }, body });
    const unknown = await post(JSON.stringify({ userId: 'mallory' }));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.code).toBe('not_found');
    const missing = await post(JSON.stringify({}));
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as any).error.details.map((d: any) => d.field)).toEqual(['userId']);
    const extra = await post(JSON.stringify({ userId: 'maria.lopez', role: 'admin' }));
    expect(extra.status).toBe(422);
    expect((await post('{nope')).status).toBe(400);
    expect((await post('userId=maria.lopez', 'application/x-www-form-urlencoded')).status).toBe(415);
  });

  it('is not part of the server without the demo', async () => {
    const config = demo.config;
    const plain = createApp({ db: demo.db, config, logger: captureLogs().logger }, { bundlePath: join(demo.dir, 'missing-bundle.js') });
    const res = await plain.request('/demo/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'maria.lopez' }),
    });
    expect(res.status).toBe(404);
    expect((await plain.request('/')).status).toBe(404);
  });
});

describe('`pnpm start`', () => {
  const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** The demo's entry point in a process of its own, as `pnpm start` runs it, until it says it listens. */
  async function startDemo(store: Record<string, string>) {
    const port = await freePort();
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SECURE_INBOX_') && key !== 'PORT' && key !== 'HOST'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts'], {
      cwd: serverDir,
      env: { ...inherited, ...store, SECURE_INBOX_RATE_LIMIT: '0', PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    const deadline = Date.now() + 25_000;
    while (!/Demo users/.test(output)) {
      if (child.exitCode !== null) throw new Error(`the demo exited early: ${output}`);
      if (Date.now() > deadline) throw new Error(`the demo did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const stop = async () => {
      child.kill('SIGTERM');
      return exited;
    };
    return { base: `http://127.0.0.1:${port}`, output: () => output, stop };
  }

  it('seeds the store it is given once, serves the page and signs in, and keeps the data at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-demo-start-'));
    const store: Record<string, string> = { SECURE_INBOX_DATA_DIR: dir, SECURE_INBOX_DB: join(dir, 'demo.db') };
    let where = join(dir, 'demo.db');
    if (onPostgres) {
      const database = await createTestDatabase({ migrated: false });
      cleanups.push(() => database.drop());
      store.SECURE_INBOX_DATABASE_URL = database.url;
      where = `PostgreSQL database "${database.name}" at ${parseDatabaseUrl({ SECURE_INBOX_DATABASE_URL: database.url })!.address}`;
    }

    const first = await startDemo(store);
    const said = first.output().match(/Seeded (\d+) demo conversations into (.*)\.\n/);
    expect(said?.[2], first.output()).toBe(where);
    const page = await fetch(`${first.base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(demoUsers.maria.name);
    const login = await fetch(`${first.base}/demo/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: demoUsers.maria.id }),
    });
    expect(login.status).toBe(200);
    const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    const list = await fetch(`${first.base}/api/v1/conversations`, { headers: auth });
    expect(list.status).toBe(200);
    const seeded = ((await list.json()) as { items: { id: string }[] }).items;
    expect(seeded.length).toBeGreaterThan(0);
    expect(seeded.length).toBeLessThanOrEqual(Number(said![1]));
    expect(await first.stop()).toBe(0);

    // The next start finds the data (and the demo's signing secret in the data folder: the token still works).
    const second = await startDemo(store);
    expect(second.output()).toContain(`Kept the existing data in ${where}.`);
    const again = await fetch(`${second.base}/api/v1/conversations`, { headers: auth });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { items: { id: string }[] }).items.map((c) => c.id)).toEqual(seeded.map((c) => c.id));
    expect(await second.stop()).toBe(0);
    // Two starts of the demo, each allowed 25 s on a loaded machine.
  }, 60_000);
});
