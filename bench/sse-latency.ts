/**
 * Message send → recipient's open event stream latency with 1,000 connected users (budget: p99 ≤ 100 ms),
 * beside a bare SSE broadcaster (plain node:http) with 1,000 clients in the same run.
 *
 *   cd bench && node --import tsx sse-latency.ts [--clients 1000] [--messages 2000] [--rate 200]
 *
 * The real server runs as `pnpm serve` runs it (src/main.ts, delivery worker included) in a child
 * process on a temporary database; the bare broadcaster runs in a child process of its own (this
 * file with `--bare-server`). The clients (fetch streams) live in this process, so both servers are
 * measured with the same client costs. 1,000 customers in 100 accounts each take part in one
 * conversation with a staff member; the staff member posts messages to them at a steady rate and
 * the time from the POST leaving to the `message.created` event arriving is recorded. The bare
 * broadcaster is measured twice: one client per publish (the same shape as a message to one user)
 * and a broadcast of each event to all 1,000 clients. The POST's own time (send → 201) is printed too,
 * since the event is written in the message's transaction and cannot arrive before it commits.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { machine, saveResults } from './lib/report.js';
import { freePort, startApiServer, tokenFor } from './lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

// ------------------------------------------------------------------ the bare broadcaster (child process)
if (process.argv.includes('--bare-server')) {
  const clients = new Set<ServerResponse>();
  let id = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.method === 'POST' && req.url?.startsWith('/publish')) {
      const query = new URL(req.url, 'http://x').searchParams;
      const tag = query.get('tag') ?? '';
      const to = query.get('to');
      const chunk = `event: message.created\ndata: {"conversationId":"bare","messageId":"${tag}"}\nid: ${++id}\n\n`;
      // `to`: one client by its position (like a message to one user); otherwise everyone.
      if (to !== null) [...clients][Number(to) % clients.size]?.write(chunk);
      else for (const client of clients) client.write(chunk);
      res.writeHead(201, { 'content-type': 'application/json' }).end(`{"clients":${clients.size}}`);
      return;
    }
    if (req.url === '/healthz') return void res.writeHead(200).end('{"ok":true}');
    res.writeHead(404).end();
  });
  server.listen(Number(process.env.PORT), '127.0.0.1');
} else {
  await main();
}

// ------------------------------------------------------------------ measuring
interface Stream {
  close: () => void;
}

/** Opens an event stream and calls onEvent(messageId, receivedAt) for every message.created. */
async function openStream(url: string, token: string | null, onEvent: (messageId: string, at: number) => void): Promise<Stream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream ${url} answered ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const at = performance.now();
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!block.includes('event: message.created')) continue;
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) onEvent(JSON.parse(data.slice(6)).messageId, at);
      }
    }
  })().catch(() => {});
  return { close: () => controller.abort() };
}

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

/** Runs `count` jobs at `rate` per second (each starts on its own tick, not waiting for the previous one). */
async function paced(count: number, rate: number, job: (i: number) => Promise<void>) {
  const started = performance.now();
  const running: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const delay = due - performance.now();
    if (delay > 1) await new Promise((r) => setTimeout(r, delay));
    running.push(job(i));
  }
  await Promise.all(running);
}

async function inBatches<T>(items: T[], size: number, fn: (item: T, i: number) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map((item, j) => fn(item, i + j)));
}

async function waitUntil(check: () => boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

async function main() {
  const clientCount = arg('clients', 1000);
  const messageCount = arg('messages', 2000);
  const rate = arg('rate', 200);
  const accounts = Math.max(1, Math.ceil(clientCount / 10));
  console.log(`SSE latency: ${clientCount} connected users, ${messageCount} messages at ${rate}/s; ${machine()}`);

  // ---------------------------------------------------------------- the real server
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-sse-bench-'));
  const api = await startApiServer(join(dir, 'bench.db'), dir);
  const results: Record<string, unknown> = {};
  try {
    const accountIds = Array.from({ length: accounts }, (_, i) => `acct-${i}`);
    const staff = { sub: 'bench-staff', name: 'Bench Staff', role: 'staff', accounts: accountIds };
    const staffToken = await tokenFor(staff);
    const customers = Array.from({ length: clientCount }, (_, i) => ({
      sub: `bench-customer-${i}`,
      name: `Customer ${i}`,
      role: 'customer',
      accounts: [accountIds[i % accounts]!],
    }));
    const tokens = await Promise.all(customers.map((c) => tokenFor(c)));
    const call = async (token: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = (await res.json()) as any;
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
      return json;
    };

    let t = performance.now();
    await call(staffToken, 'GET', '/me');
    await inBatches(customers, 16, async (_c, i) => void (await call(tokens[i]!, 'GET', '/me')));
    const conversationIds: string[] = new Array(clientCount);
    await inBatches(customers, 8, async (c, i) => {
      const created = await call(staffToken, 'POST', '/conversations', {
        accountId: c.accounts[0],
        subject: `Case ${i}`,
        body: 'Welcome',
        recipientIds: [c.sub],
      });
      conversationIds[i] = created.conversation.id;
    });
    console.log(`setup: ${clientCount} users and conversations in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const received = new Map<string, number>();
    t = performance.now();
    const streams: Stream[] = [];
    await inBatches(customers, 50, async (_c, i) => {
      streams.push(await openStream(`${api.url}/api/v1/events`, tokens[i]!, (id, at) => received.set(id, at)));
    });
    console.log(`connected ${streams.length} event streams in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const sent = new Map<string, number>();
    const acknowledged: number[] = [];
    const ackAt = new Map<string, number>();
    const failures: string[] = [];
    t = performance.now();
    await paced(messageCount, rate, async (i) => {
      const k = i % clientCount;
      const start = performance.now();
      try {
        const res = await call(staffToken, 'POST', `/conversations/${conversationIds[k]}/messages`, { body: `Message ${i}`, action: 'send_leave_open' });
        sent.set(res.message.id, start);
        acknowledged.push(performance.now() - start);
        ackAt.set(res.message.id, performance.now());
      } catch (error) {
        failures.push((error as Error).message);
      }
    });
    const sendSeconds = (performance.now() - t) / 1000;
    await waitUntil(() => [...sent.keys()].every((id) => received.has(id)), 10_000);
    const latencies = [...sent].flatMap(([id, start]) => (received.has(id) ? [received.get(id)! - start] : []));
    const missing = sent.size - latencies.length;
    for (const s of streams) s.close();
    results.app = { ...summary(latencies), missing, failures: failures.length, sendSeconds, acceptedPerSecond: messageCount / sendSeconds };
    results.appPost = summary(acknowledged);
    // What the stream adds: event arrival minus 201 arrival (negative when the event came first).
    results.appAfterAck = summary([...ackAt].flatMap(([id, at]) => (received.has(id) ? [received.get(id)! - at] : [])));
    const accepted = messageCount / sendSeconds;
    console.log(
      `app: ${latencies.length} deliveries, ${missing} missing, ${failures.length} failed sends, ${accepted.toFixed(0)} sends/s accepted of ${rate}/s offered`,
    );
    // Below the offered rate the sends queue up, and every later send waits behind them: the figures then measure the
    // send path's throughput (see "sustained sends"), not the event stream.
    if (accepted < rate * 0.95) console.log(`  the server fell behind the offered rate: send → event includes the queue of sends`);
    if (failures.length) console.log(`  first failure: ${failures[0]}`);
  } finally {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- the bare broadcaster
  const port = await freePort();
  const bare = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--bare-server'], {
    env: { ...process.env, PORT: String(port) },
    stdio: 'inherit',
  });
  const bareUrl = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${bareUrl}/healthz`)).ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const receipts = new Map<string, number[]>();
    const streams: Stream[] = [];
    await inBatches(Array.from({ length: clientCount }), 50, async () => {
      streams.push(
        await openStream(`${bareUrl}/events`, null, (tag, at) => {
          let list = receipts.get(tag);
          if (!list) receipts.set(tag, (list = []));
          list.push(at);
        }),
      );
    });
    // One client per publish, at the rate the app was given: the same shape as a message to one user.
    const starts = new Map<string, number>();
    await paced(messageCount, rate, async (i) => {
      const tag = `t${i}`;
      starts.set(tag, performance.now());
      await fetch(`${bareUrl}/publish?tag=${tag}&to=${i}`, { method: 'POST' }).then((r) => r.text());
    });
    await waitUntil(() => [...starts.keys()].every((tag) => receipts.has(tag)), 10_000);
    results.bareTargeted = summary([...starts].flatMap(([tag, start]) => (receipts.get(tag) ?? []).map((at) => at - start)));

    // Broadcasts: each publish reaches every client (1,000 events), so a few a second are plenty.
    const publishes = 20;
    const publishRate = 2;
    const broadcastStarts = new Map<string, number>();
    await paced(publishes, publishRate, async (i) => {
      const tag = `b${i}`;
      broadcastStarts.set(tag, performance.now());
      await fetch(`${bareUrl}/publish?tag=${tag}`, { method: 'POST' }).then((r) => r.text());
    });
    await waitUntil(() => [...broadcastStarts.keys()].every((tag) => (receipts.get(tag)?.length ?? 0) >= clientCount), 10_000);
    const latencies = [...broadcastStarts].flatMap(([tag, start]) => (receipts.get(tag) ?? []).map((at) => at - start));
    for (const s of streams) s.close();
    results.bare = { ...summary(latencies), publishes, clients: clientCount };
  } finally {
    bare.kill('SIGTERM');
  }

  const app = results.app as ReturnType<typeof summary>;
  const appPost = results.appPost as ReturnType<typeof summary>;
  const afterAck = results.appAfterAck as ReturnType<typeof summary>;
  const targeted = results.bareTargeted as ReturnType<typeof summary>;
  const bareFigures = results.bare as ReturnType<typeof summary>;
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1).padStart(8) : '       —');
  console.log(`\n${''.padEnd(34)}${'p50 ms'.padStart(8)}${'p95 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'max ms'.padStart(8)}${'samples'.padStart(9)}`);
  console.log(`${'Secure Inbox (send → event)'.padEnd(34)}${f(app.p50)}${f(app.p95)}${f(app.p99)}${f(app.max)}${String(app.n).padStart(9)}`);
  console.log(`${'  of which POST → 201'.padEnd(34)}${f(appPost.p50)}${f(appPost.p95)}${f(appPost.p99)}${f(appPost.max)}${String(appPost.n).padStart(9)}`);
  console.log(
    `${'  event after the 201 arrived'.padEnd(34)}${f(afterAck.p50)}${f(afterAck.p95)}${f(afterAck.p99)}${f(afterAck.max)}${String(afterAck.n).padStart(9)}`,
  );
  console.log(
    `${'bare node:http, one client each'.padEnd(34)}${f(targeted.p50)}${f(targeted.p95)}${f(targeted.p99)}${f(targeted.max)}${String(targeted.n).padStart(9)}`,
  );
  console.log(
    `${'bare node:http, broadcast to all'.padEnd(34)}${f(bareFigures.p50)}${f(bareFigures.p95)}${f(bareFigures.p99)}${f(bareFigures.max)}${String(bareFigures.n).padStart(9)}`,
  );
  console.log(`ratio app / bare one-client: p50 ${(app.p50 / targeted.p50).toFixed(2)}×, p99 ${(app.p99 / targeted.p99).toFixed(2)}×`);
  console.log(`ratio app / bare broadcast:  p50 ${(app.p50 / bareFigures.p50).toFixed(2)}×, p99 ${(app.p99 / bareFigures.p99).toFixed(2)}×`);
  console.log(
    `budget p99 ≤ 100 ms with ${clientCount} connected users: ${app.p99 <= 100 && (results.app as { missing: number }).missing === 0 ? 'ok' : 'MISS'}`,
  );
  saveResults('sse-latency', { clients: clientCount, messages: messageCount, rate, ...results });
}
