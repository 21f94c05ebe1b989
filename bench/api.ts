/**
 * API benchmarks against the real server (child process) on generated databases, each beside a
 * bare Hono "hello" measured in the same run:
 *   inbox page 1 (typical customers, the heavy customer, staff, admin), a deep page reached by
 *   following cursors (on a second server keeping no pages, SECURE_INBOX_PAGE_CACHE_MB=0), thread open (typical and 1,000-message threads), GET /me (unread count)
 *   and sustained sends on a copy of the database.
 *
 * `--store postgres` runs them on the PostgreSQL store: each generated database copied into a PostgreSQL database of the
 * run's own (as `secure-inbox copy-to-postgres` copies one; lib/stores.ts), one for the reads and one for the sends,
 * dropped at the end; `--store both` runs each size on SQLite and then on PostgreSQL, each beside its own hello. The
 * copy takes a while (about 25 s for 20,000 messages on two busy cores; count on minutes for 100k and far more for 1m).
 *
 *   pnpm bench:api [--sizes 10k,100k,1m] [--store sqlite|postgres|both]     BENCH_DURATION=8 BENCH_CONNECTIONS=16 BENCH_SAMPLES=300
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ensureDb, type GeneratedMeta, type Persona } from './generate.js';
import { fetchJson, measure, type Figures, type Target } from './lib/load.js';
import { dataDir, sizesFromArgs } from './lib/paths.js';
import { fmt, machine, printChecks, printTable, ratio, saveResults, type Check } from './lib/report.js';
import { startApiServer, startHelloServer, tokenFor, type Running } from './lib/server.js';
import { postgresCopyOf, stores, storesOption, type StoreName, type StoreRun } from './lib/stores.js';

const DEEP_PAGE = Number(process.env.BENCH_DEEP_PAGE ?? 40);
const SEND_SECONDS = Number(process.env.BENCH_SEND_DURATION ?? 15);

/** PRODUCT.md's budgets, per store: one PostgreSQL instance is asked for half of SQLite's ratio and sends. */
const BUDGETS = { sqlite: { inbox: 0.3, sends: 2000 }, postgres: { inbox: 0.15, sends: 1000 } } as const satisfies Record<StoreName, unknown>;

/** On PostgreSQL, a database of the run's own holding a copy of `file`; on SQLite nothing (the server opens the file). */
async function storeFor(store: StoreName, file: string): Promise<StoreRun | null> {
  if (store === 'sqlite') return null;
  const dir = join(dataDir, 'run');
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const run = await postgresCopyOf(file, dir);
  console.log(`  copied ${file} to PostgreSQL in ${fmt((Date.now() - started) / 1000, 1)} s`);
  return run;
}

const auth = async (p: Persona) => ({ authorization: `Bearer ${await tokenFor(p)}` });

/** Follows nextCursor from page 1 to page `wanted` (or the last page); returns that page's path and number. */
async function deepPath(base: string, headers: Record<string, string>, wanted: number) {
  let path = '/api/v1/conversations';
  let page = 1;
  while (page < wanted) {
    const body = await fetchJson(base, { path, headers });
    if (!body.nextCursor) break;
    path = `/api/v1/conversations?cursor=${encodeURIComponent(body.nextCursor)}`;
    page++;
  }
  return { path, page };
}

export async function readBenchmarks(size: string, hello: Running, log = true, storeName: StoreName = 'sqlite') {
  const { file, meta } = ensureDb(size);
  const store = await storeFor(storeName, file);
  let server: Running | undefined;
  let plain: Running | undefined;
  try {
    server = await startApiServer(file, join(dataDir, 'run'), store?.env);
    // The same server keeping no pages (SECURE_INBOX_PAGE_CACHE_MB=0): what a page costs when something
    // in it changed since the viewer last asked, and how that cost grows with the page number.
    plain = await startApiServer(file, join(dataDir, 'run'), { SECURE_INBOX_PAGE_CACHE_MB: '0', ...store?.env });
    const base = server.url;
    const customers = await Promise.all(meta.customers.map(auth));
    const heavy = await auth(meta.personas.customer);
    const staff = await auth(meta.personas.staff);
    const admin = await auth(meta.personas.admin);
    const inbox = '/api/v1/conversations';
    const rows: Figures[] = [];
    const run = async (name: string, url: string, targets: Target[]) => {
      const f = await measure(name, url, targets);
      rows.push(f);
      if (log) console.log(`  ${name}: p50 ${fmt(f.p50)} ms, p99 ${fmt(f.p99)} ms, ${fmt(f.rps, 0)} req/s`);
      return f;
    };

    const helloF = await run('hello (bare Hono)', hello.url, [{ path: '/', headers: {} }]);
    const typical = await run(
      'inbox p1, 50 typical customers',
      base,
      customers.map((headers) => ({ path: inbox, headers })),
    );
    const typicalPlain = await run(
      'inbox p1, 50 typical customers, not kept',
      plain.url,
      customers.map((headers) => ({ path: inbox, headers })),
    );
    // The widget opens the Inbox with "unread only" on.
    await run(
      'inbox p1 unread only, customers',
      base,
      customers.map((headers) => ({ path: `${inbox}?unread=true`, headers })),
    );
    const pages: Record<string, { first: Figures; deep: Figures; page: number }> = {};
    for (const [who, headers] of [
      ['heavy customer', heavy],
      ['staff', staff],
      ['admin', admin],
    ] as const) {
      const first = await run(`inbox p1, ${who}, not kept`, plain.url, [{ path: inbox, headers }]);
      const deep = await deepPath(plain.url, headers, DEEP_PAGE);
      const deepF = await run(`inbox p${deep.page}, ${who}, not kept`, plain.url, [{ path: deep.path, headers }]);
      pages[who] = { first, deep: deepF, page: deep.page };
    }
    await run('thread open (typical), customer', base, [{ path: `${inbox}/${meta.typicalThreadId}`, headers: heavy }]);
    await run('thread open (1,000 msgs), customer', base, [{ path: `${inbox}/${meta.bigThreadId}`, headers: heavy }]);
    await run('thread open (1,000 msgs), staff', base, [{ path: `${inbox}/${meta.bigThreadId}`, headers: staff }]);
    await run(
      'GET /me (unread count), customers',
      base,
      customers.map((headers) => ({ path: '/api/v1/me', headers })),
    );
    await run('GET /me (unread count), staff', base, [{ path: '/api/v1/me', headers: staff }]);
    await run('GET /me (unread count), staff, not kept', plain.url, [{ path: '/api/v1/me', headers: staff }]);
    return { meta, rows, hello: helloF, typical, typicalPlain, pages };
  } finally {
    await plain?.stop();
    await server?.stop();
    await store?.dispose();
  }
}

export async function sendBenchmark(size: string, meta: GeneratedMeta, file: string, storeName: StoreName = 'sqlite') {
  const copy = join(dataDir, `send-${size}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  copyFileSync(file, copy);
  mkdirSync(join(dataDir, 'run'), { recursive: true });
  const store = await storeFor(storeName, copy);
  const count = async () => {
    if (store) {
      const client = new pg.Client({ connectionString: store.env.SECURE_INBOX_DATABASE_URL });
      await client.connect();
      try {
        const m = await client.query<{ n: string }>('SELECT count(*) AS n FROM messages');
        const n = await client.query<{ n: string }>('SELECT count(*) AS n FROM notifications');
        return { messages: Number(m.rows[0]!.n), notifications: Number(n.rows[0]!.n) };
      } finally {
        await client.end();
      }
    }
    const db = new Database(copy, { readonly: true });
    try {
      const m = db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number };
      const n = db.prepare('SELECT count(*) AS n FROM notifications').get() as { n: number };
      return { messages: m.n, notifications: n.n };
    } finally {
      db.close();
    }
  };
  let figures: Figures;
  let written: { messages: number; notifications: number };
  try {
    const before = await count();
    const server = await startApiServer(copy, join(dataDir, 'run'), store?.env);
    try {
      const targets: Target[] = await Promise.all(
        meta.senders.map(async (s) => ({
          method: 'POST' as const,
          path: `/api/v1/conversations/${s.conversationId}/messages`,
          headers: { ...(await auth(s.user)), 'content-type': 'application/json' },
          body: JSON.stringify({ body: '<p>Thanks, we received the signed form and will review it this week.</p>' }),
        })),
      );
      figures = await measure('send (staff reply)', server.url, targets, { duration: SEND_SECONDS, samples: 200 });
    } finally {
      await server.stop();
    }
    const after = await count();
    written = { messages: after.messages - before.messages, notifications: after.notifications - before.notifications };
  } finally {
    await store?.dispose();
    for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  }
  figures.extra = { messagesWritten: written.messages, notificationsEnqueued: written.notifications };
  return figures;
}

async function main() {
  const sizes = sizesFromArgs(process.argv, ['10k', '100k', '1m']);
  const i = process.argv.indexOf('--store');
  const storeOption = i >= 0 ? (process.argv[i + 1] ?? '') : 'sqlite';
  const storeNames = storesOption(storeOption);
  if (!storeNames) {
    console.error(`bench:api: --store must be sqlite, postgres or both (got "${storeOption}")`);
    process.exit(2);
  }
  for (const name of storeNames) {
    const unavailable = await stores[name].unavailable();
    if (unavailable) {
      console.error(`bench:api: --store ${storeOption}: ${unavailable}.`);
      process.exit(2);
    }
  }
  console.log(`API benchmarks on ${machine()}, store ${storeNames.join(' and ')}`);
  const hello = await startHelloServer();
  const all: Record<string, unknown> = {};
  const checks: Check[] = [];
  try {
    for (const size of sizes)
      for (const store of storeNames) {
        const label = storeNames.length > 1 || store !== 'sqlite' ? `${size} on ${store}` : size;
        console.log(`\n== ${label}`);
        const read = await readBenchmarks(size, hello, true, store);
        const { file } = ensureDb(size);
        const send = await sendBenchmark(size, read.meta, file, store);
        console.log(`  send: ${fmt(send.rps, 0)} messages/s (${JSON.stringify(send.extra)})`);
        read.rows.push(send);
        printTable(`${label}: ${read.meta.messages.toLocaleString('en')} messages, ${read.meta.conversations.toLocaleString('en')} conversations`, read.rows);
        const r = ratio(read.typical.rps, read.hello.rps);
        checks.push({
          what: `${label} GET /conversations vs hello (typical customers)`,
          figure: `${fmt(r)} × (${fmt(read.typical.rps, 0)} / ${fmt(read.hello.rps, 0)} req/s)`,
          budget: `≥ ${BUDGETS[store].inbox} ×`,
          ok: r >= BUDGETS[store].inbox,
        });
        const rp = ratio(read.typicalPlain.rps, read.hello.rps);
        checks.push({
          what: `${label} GET /conversations vs hello, pages not kept`,
          figure: `${fmt(rp)} × (${fmt(read.typicalPlain.rps, 0)} / ${fmt(read.hello.rps, 0)} req/s)`,
          budget: 'none',
          ok: null,
        });
        for (const [who, p] of Object.entries(read.pages)) {
          const rr = ratio(p.deep.p50, p.first.p50);
          checks.push({
            what: `${label} inbox page ${p.page} vs page 1, ${who}`,
            figure: `${fmt(rr)} × (p50 ${fmt(p.deep.p50)} vs ${fmt(p.first.p50)} ms)`,
            budget: '≤ 2 × at 1M',
            ok: size === '1m' ? rr <= 2 : null,
          });
        }
        checks.push({
          what: `${label} sustained sends`,
          figure: `${fmt(send.rps, 0)} messages/s, ${(send.extra as { notificationsEnqueued: number }).notificationsEnqueued} notifications enqueued`,
          budget: `≥ ${BUDGETS[store].sends.toLocaleString('en')} /s`,
          ok: send.rps >= BUDGETS[store].sends,
        });
        all[label] = { rows: read.rows, pages: Object.fromEntries(Object.entries(read.pages).map(([k, v]) => [k, v.page])) };
      }
  } finally {
    await hello.stop();
  }
  printChecks(checks);
  saveResults('api', { store: storeOption, sizes: all, checks });
}

if (process.argv[1] && /api\.ts$/.test(process.argv[1])) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
