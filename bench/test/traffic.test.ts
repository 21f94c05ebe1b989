/**
 * `pnpm bench:traffic`'s data: the plan has the promised shape, every write of it is one the API accepts, and the
 * runner refuses a store it cannot use before starting anything.
 * (A few seconds; not part of `pnpm test`: run with `pnpm --filter @secure-inbox/bench test`.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { openDb } from '../../packages/server/src/store/sqlite/client.js';
import { benchDir } from '../lib/paths.js';
import { SECRET, tokenFor } from '../lib/server.js';
import { checkParams, DEFAULT_PARAMS, makePlan, VOCABULARY, writePlan, type Person } from '../lib/traffic-data.js';

describe('the plan', () => {
  const plan = makePlan(DEFAULT_PARAMS);

  it('has the issue’s shape: 1,000 customers in 100 accounts, 20 staff, 4,000 conversations, 16,000 messages', () => {
    expect(plan.accounts).toHaveLength(100);
    expect(plan.customers).toHaveLength(1000);
    expect(plan.staff).toHaveLength(20);
    expect(plan.conversations).toHaveLength(4000);
    expect(plan.conversations.length + plan.replies.length).toBe(16_000);
    for (const account of plan.accounts) {
      expect(plan.customers.filter((c) => c.accounts.includes(account))).toHaveLength(10);
      expect(plan.staff.filter((s) => s.accounts.includes(account))).toHaveLength(2);
    }
    expect(new Set([...plan.customers, ...plan.staff].map((p) => p.address)).size).toBe(1020);
  });

  it('has every message written by someone who may write it', () => {
    const people = new Map([...plan.customers, ...plan.staff].map((p) => [p.sub, p]));
    for (const c of plan.conversations) {
      const author = people.get(c.author)!;
      expect(author.accounts).toContain(c.accountId);
      if (author.role === 'customer') expect(c.recipients).toEqual([]);
      else expect(c.recipients.length).toBeGreaterThan(0);
      for (const r of c.recipients) expect(people.get(r)!.accounts).toContain(c.accountId);
    }
    for (const r of plan.replies) {
      const author = people.get(r.author)!;
      const c = plan.conversations[r.conversation]!;
      if (author.role === 'customer') {
        expect(c.customers).toContain(author.sub);
        expect(r.action).toBe('reply');
      } else {
        expect(author.accounts).toContain(c.accountId);
      }
    }
  });

  it('carries words of the vocabulary in every body, and is the same for the same parameters', () => {
    for (const r of plan.replies.slice(0, 500)) expect(VOCABULARY.some((w) => r.body.includes(w))).toBe(true);
    expect(makePlan(DEFAULT_PARAMS)).toEqual(plan);
  });

  it('refuses parameters it cannot honour', () => {
    expect(checkParams(DEFAULT_PARAMS)).toBeNull();
    expect(checkParams({ ...DEFAULT_PARAMS, customers: 50 })).toMatch(/--customers/);
    expect(checkParams({ ...DEFAULT_PARAMS, messages: 10 })).toMatch(/--messages/);
    expect(checkParams({ ...DEFAULT_PARAMS, staff: 1 })).toMatch(/--staff/);
  });
});

describe('writing it through the API', () => {
  it('is accepted write by write, and customers and staff find what was written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-traffic-'));
    const file = join(dir, 'inbox.db');
    const db = openDb(file);
    const app = createApp({
      db,
      config: loadConfig({
        SECURE_INBOX_JWT_SECRET: SECRET,
        SECURE_INBOX_DB: file,
        SECURE_INBOX_RATE_LIMIT: '0',
        SECURE_INBOX_DATA_DIR: dir,
        SECURE_INBOX_LOG_LEVEL: 'silent',
      }),
    });
    const call = async (who: Person, method: 'GET' | 'POST', path: string, body?: unknown) => {
      const res = await app.request(path, {
        method,
        headers: {
          authorization: `Bearer ${await tokenFor({ sub: who.sub, name: who.name, email: who.email, role: who.role, accounts: who.accounts })}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json().catch(() => null) };
    };
    try {
      const plan = makePlan({ accounts: 3, customers: 12, staff: 4, conversations: 30, messages: 120 });
      const written = await writePlan(plan, call, { concurrency: 4 });
      expect(written.conversations.every((c) => typeof c.id === 'string')).toBe(true);
      expect(db.$client.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 120 });

      const customer = written.customers[0]!;
      const inbox = await call(customer, 'GET', '/api/v1/conversations?limit=100');
      const mine = written.conversations.filter((c) => c.customers.includes(customer.sub)).map((c) => c.id);
      expect(inbox.json.items.map((i: { id: string }) => i.id).sort()).toEqual([...mine].sort());

      const staff = written.staff[0]!;
      let found = 0;
      for (const word of VOCABULARY) found += (await call(staff, 'GET', `/api/v1/conversations?q=${word}`)).json.items.length;
      expect(found).toBeGreaterThan(0);
    } finally {
      db.$client.close();
    }
  }, 60_000);
});

describe('the runner', () => {
  /** The runner with `--store <store>`, told of a PostgreSQL server where none answers. */
  const withoutPostgres = (store: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'traffic.ts', '--store', store], {
      cwd: benchDir,
      encoding: 'utf8',
      env: { ...process.env, SECURE_INBOX_TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' },
    });

  it('refuses the PostgreSQL store when no PostgreSQL answers, saying how to start one, before starting anything', () => {
    const run = withoutPostgres('postgres');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('no PostgreSQL answers at postgres://postgres@127.0.0.1:1/postgres');
    expect(run.stderr).toContain('pg_ctlcluster');
    expect(run.stdout).toBe('');
  }, 30_000);

  it('refuses both stores when no PostgreSQL answers, and a store it does not know, before starting anything', () => {
    const both = withoutPostgres('both');
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('no PostgreSQL answers at postgres://postgres@127.0.0.1:1/postgres');
    expect(both.stdout).toBe('');
    const unknown = spawnSync(process.execPath, ['--import', 'tsx', 'traffic.ts', '--store', 'mysql'], { cwd: benchDir, encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--store must be one of sqlite, postgres, both (got "mysql")');
    expect(unknown.stdout).toBe('');
  }, 30_000);
});
