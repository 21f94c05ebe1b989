/**
 * API benchmarks against the real server (child process) on generated databases, each beside a
 * bare Hono "hello" measured in the same run:
 *   inbox page 1 (typical customers, the heavy customer, staff, admin), a deep page reached by
 *   following cursors (on a second server keeping no pages, SECURE_INBOX_PAGE_CACHE_MB=0), thread open (typical and 1,000-message threads), GET /me (unread count)
 *   and sustained sends on a copy of the database.
 *
 *   pnpm bench:api [--sizes 10k,100k,1m]     BENCH_DURATION=8 BENCH_CONNECTIONS=16 BENCH_SAMPLES=300
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDb, type GeneratedMeta, type Persona } from './generate.js';
import { fetchJson, measure, type Figures, type Target } from './lib/load.js';
import { dataDir, sizesFromArgs } from './lib/paths.js';
import { fmt, machine, printChecks, printTable, ratio, saveResults, type Check } from './lib/report.js';
import { startApiServer, startHelloServer, tokenFor, type Running } from './lib/server.js';

const DEEP_PAGE = Number(process.env.BENCH_DEEP_PAGE ?? 40);
const SEND_SECONDS = Number(process.env.BENCH_SEND_DURATION ?? 15);

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

export async function readBenchmarks(size: string, hello: Running, log = true) {
  const { file, meta } = ensureDb(size);
  const server = await startApiServer(file, join(dataDir, 'run'));
  // The same server keeping no pages (SECURE_INBOX_PAGE_CACHE_MB=0): what a page costs when something
  // in it changed since the viewer last asked, and how that cost grows with the page number.
  const plain = await startApiServer(file, join(dataDir, 'run'), { SECURE_INBOX_PAGE_CACHE_MB: '0' });
  try {
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
    await plain.stop();
    await server.stop();
  }
}

export async function sendBenchmark(size: string, meta: GeneratedMeta, file: string) {
  const copy = join(dataDir, `send-${size}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  copyFileSync(file, copy);
  mkdirSync(join(dataDir, 'run'), { recursive: true });
  const count = () => {
    const db = new Database(copy, { readonly: true });
    try {
      const m = db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number };
      const n = db.prepare('SELECT count(*) AS n FROM notifications').get() as { n: number };
      return { messages: m.n, notifications: n.n };
    } finally {
      db.close();
    }
  };
  const before = count();
  const server = await startApiServer(copy, join(dataDir, 'run'));
  let figures: Figures;
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
  const after = count();
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  figures.extra = { messagesWritten: after.messages - before.messages, notificationsEnqueued: after.notifications - before.notifications };
  return figures;
}

async function main() {
  const sizes = sizesFromArgs(process.argv, ['10k', '100k', '1m']);
  console.log(`API benchmarks on ${machine()}`);
  const hello = await startHelloServer();
  const all: Record<string, unknown> = {};
  const checks: Check[] = [];
  try {
    for (const size of sizes) {
      console.log(`\n== ${size}`);
      const read = await readBenchmarks(size, hello);
      const { file } = ensureDb(size);
      const send = await sendBenchmark(size, read.meta, file);
      console.log(`  send: ${fmt(send.rps, 0)} messages/s (${JSON.stringify(send.extra)})`);
      read.rows.push(send);
      printTable(`${size}: ${read.meta.messages.toLocaleString('en')} messages, ${read.meta.conversations.toLocaleString('en')} conversations`, read.rows);
      const r = ratio(read.typical.rps, read.hello.rps);
      checks.push({
        what: `${size} GET /conversations vs hello (typical customers)`,
        figure: `${fmt(r)} × (${fmt(read.typical.rps, 0)} / ${fmt(read.hello.rps, 0)} req/s)`,
        budget: '≥ 0.3 ×',
        ok: r >= 0.3,
      });
      const rp = ratio(read.typicalPlain.rps, read.hello.rps);
      checks.push({
        what: `${size} GET /conversations vs hello, pages not kept`,
        figure: `${fmt(rp)} × (${fmt(read.typicalPlain.rps, 0)} / ${fmt(read.hello.rps, 0)} req/s)`,
        budget: 'none',
        ok: null,
      });
      for (const [who, p] of Object.entries(read.pages)) {
        const rr = ratio(p.deep.p50, p.first.p50);
        checks.push({
          what: `${size} inbox page ${p.page} vs page 1, ${who}`,
          figure: `${fmt(rr)} × (p50 ${fmt(p.deep.p50)} vs ${fmt(p.first.p50)} ms)`,
          budget: '≤ 2 × at 1M',
          ok: size === '1m' ? rr <= 2 : null,
        });
      }
      checks.push({
        what: `${size} sustained sends`,
        figure: `${fmt(send.rps, 0)} messages/s, ${(send.extra as { notificationsEnqueued: number }).notificationsEnqueued} notifications enqueued`,
        budget: '≥ 2,000 /s',
        ok: send.rps >= 2000,
      });
      all[size] = { rows: read.rows, pages: Object.fromEntries(Object.entries(read.pages).map(([k, v]) => [k, v.page])) };
    }
  } finally {
    await hello.stop();
  }
  printChecks(checks);
  saveResults('api', { sizes: all, checks });
}

if (process.argv[1] && /api\.ts$/.test(process.argv[1])) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
