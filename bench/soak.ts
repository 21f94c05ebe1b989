/**
 * Soak: the real server (`src/main.ts`) for a few minutes under concurrent readers, writers and
 * event-stream clients. Passes when no request fails and the server's memory stays flat.
 *
 *   pnpm --filter @secure-inbox/bench soak                 # 3 minutes
 *   pnpm --filter @secure-inbox/bench soak -- --seconds 20 # a quick run
 *
 * Settings (flags or environment): --seconds / SOAK_SECONDS (default 180, at least 20),
 * --readers / SOAK_READERS (8), --writers / SOAK_WRITERS (4), --streams / SOAK_STREAMS (25).
 * Memory: the server's RSS is sampled every second; after the first quarter (warm-up) the median
 * of the last quarter may exceed the median of the second quarter by at most 15 % (and 25 MB).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, saveResults } from './lib/report.js';
import { startApiServer, tokenFor } from './lib/server.js';

function setting(flag: string, envName: string, fallback: number, min: number): number {
  const i = process.argv.indexOf(`--${flag}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[envName];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`--${flag} (${envName}) must be a number of at least ${min}; it is "${raw}".`);
  return value;
}

const SECONDS = setting('seconds', 'SOAK_SECONDS', 180, 20);
const READERS = setting('readers', 'SOAK_READERS', 8, 1);
const WRITERS = setting('writers', 'SOAK_WRITERS', 4, 1);
const STREAMS = setting('streams', 'SOAK_STREAMS', 25, 0);

type User = { sub: string; name: string; role: 'customer' | 'staff'; accounts: string[] };
const ACCOUNTS = ['north', 'south', 'east', 'west'];
const customers: User[] = Array.from({ length: 40 }, (_, i) => ({
  sub: `cust-${i}`,
  name: `Customer ${i}`,
  role: 'customer',
  accounts: [ACCOUNTS[i % ACCOUNTS.length]!],
}));
const staff: User[] = ACCOUNTS.map((a, i) => ({ sub: `staff-${i}`, name: `Staff ${i}`, role: 'staff', accounts: [a] }));

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;

interface Stat {
  count: number;
  errors: number;
  latencies: number[];
}
const stats = new Map<string, Stat>();
const failures: string[] = [];
function stat(kind: string): Stat {
  let s = stats.get(kind);
  if (!s) stats.set(kind, (s = { count: 0, errors: 0, latencies: [] }));
  return s;
}

const tokens = new Map<string, string>();
const auth = (user: User) => ({ authorization: `Bearer ${tokens.get(user.sub)!}` });

async function call(base: string, kind: string, user: User, method: string, path: string, body?: unknown, expected = [200, 201, 204]): Promise<any> {
  const s = stat(kind);
  const started = performance.now();
  try {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { ...auth(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    s.count += 1;
    s.latencies.push(performance.now() - started);
    if (!expected.includes(res.status)) {
      s.errors += 1;
      if (failures.length < 20) failures.push(`${kind}: ${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
      return null;
    }
    return text ? JSON.parse(text) : null;
  } catch (error) {
    s.count += 1;
    s.errors += 1;
    if (failures.length < 20) failures.push(`${kind}: ${method} ${path} → ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0) * 1024;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-soak-'));
  const server = await startApiServer(join(dir, 'soak.db'), dir);
  const base = server.url;
  console.log(`Soak: ${SECONDS} s, ${READERS} readers, ${WRITERS} writers, ${STREAMS} event streams against ${base} (pid ${server.pid})`);
  console.log(machine());
  try {
    for (const user of [...customers, ...staff]) tokens.set(user.sub, await tokenFor(user));
    // Every customer starts two conversations so there is something to read from the first second.
    const conversations: { id: string; owner: User; account: string }[] = [];
    for (const user of customers) {
      for (let i = 0; i < 2; i++) {
        const created = await call(base, 'setup', user, 'POST', '/conversations', {
          accountId: user.accounts[0],
          subject: `Question ${i} from ${user.name}`,
          body: `<p>Hello, question ${i}.</p>`,
        });
        if (created) conversations.push({ id: created.conversation.id, owner: user, account: user.accounts[0]! });
      }
    }
    if (stat('setup').errors) throw new Error(`setup failed: ${failures.join('\n')}`);

    const deadline = Date.now() + SECONDS * 1000;
    const running = () => Date.now() < deadline;

    const samples: { t: number; rss: number }[] = [];
    const sampler = setInterval(() => samples.push({ t: Date.now(), rss: rss(server.pid) }), 1000);

    const readers = Array.from({ length: READERS }, async () => {
      while (running()) {
        const c = pick(conversations);
        const r = Math.random();
        if (r < 0.4) await call(base, 'list', c.owner, 'GET', '/conversations?limit=25');
        else if (r < 0.7) await call(base, 'thread', c.owner, 'GET', `/conversations/${c.id}`);
        else if (r < 0.85) await call(base, 'me', pick(customers), 'GET', '/me');
        else await call(base, 'search', staff[ACCOUNTS.indexOf(c.account)]!, 'GET', '/conversations?q=question');
      }
    });

    let written = 0;
    const writers = Array.from({ length: WRITERS }, async () => {
      while (running()) {
        const c = pick(conversations);
        const r = Math.random();
        const member = staff[ACCOUNTS.indexOf(c.account)]!;
        if (r < 0.45) {
          await call(base, 'reply', c.owner, 'POST', `/conversations/${c.id}/messages`, { body: `<p>Reply ${written++} with <b>detail</b>.</p>` });
        } else if (r < 0.75) {
          await call(base, 'staff answer', member, 'POST', `/conversations/${c.id}/messages`, {
            body: `Answer ${written++}`,
            action: pick(['send_leave_open', 'internal_note', 'send']),
          });
        } else if (r < 0.9) {
          await call(base, 'read', c.owner, 'POST', `/conversations/${c.id}/read`);
        } else {
          const created = await call(base, 'new conversation', c.owner, 'POST', '/conversations', {
            accountId: c.account,
            subject: `Follow-up ${written++}`,
            body: 'Another question.',
          });
          if (created) conversations.push({ id: created.conversation.id, owner: c.owner, account: c.account });
        }
      }
    });

    let events = 0;
    let streamErrors = 0;
    let reconnects = 0;
    const streams = Array.from({ length: STREAMS }, async (_, i) => {
      const user = i % 5 === 4 ? staff[i % staff.length]! : customers[i % customers.length]!;
      let lastId: string | undefined;
      while (running()) {
        const controller = new AbortController();
        const stop = setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
        try {
          const res = await fetch(`${base}/api/v1/events`, {
            headers: { ...auth(user), accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
            signal: controller.signal,
          });
          if (res.status !== 200 || !res.body) {
            streamErrors += 1;
            if (failures.length < 20) failures.push(`events: ${res.status} ${await res.text()}`);
            await new Promise((r) => setTimeout(r, 500));
            continue;
          }
          const decoder = new TextDecoder();
          let buffer = '';
          const reader = res.body.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const id = frame.match(/^id: ?(.*)$/m)?.[1];
              if (id) lastId = id;
              if (/^event: /m.test(frame)) events += 1;
            }
          }
          if (running()) reconnects += 1;
        } catch (error) {
          if (running() && !(error instanceof Error && error.name === 'AbortError')) {
            streamErrors += 1;
            if (failures.length < 20) failures.push(`events: ${error instanceof Error ? error.message : String(error)}`);
          }
        } finally {
          clearTimeout(stop);
        }
      }
    });

    const progress = setInterval(() => {
      const done = [...stats.values()].reduce((n, s) => n + s.count, 0);
      console.log(`  ${Math.round((deadline - Date.now()) / 1000)} s left: ${done} requests, ${events} events, RSS ${mb(samples.at(-1)?.rss ?? 0)} MB`);
    }, 15_000);
    await Promise.all([...readers, ...writers, ...streams]);
    clearInterval(progress);
    clearInterval(sampler);

    // ---------------------------------------------------------------- figures
    console.log('\nRequests');
    console.log(
      `  ${'kind'.padEnd(18)}${'count'.padStart(8)}${'errors'.padStart(8)}${'req/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'p99 ms'.padStart(9)}`,
    );
    for (const [kind, s] of stats) {
      if (kind === 'setup') continue;
      console.log(
        `  ${kind.padEnd(18)}${String(s.count).padStart(8)}${String(s.errors).padStart(8)}${(s.count / SECONDS).toFixed(1).padStart(8)}${quantile(s.latencies, 0.5).toFixed(1).padStart(9)}${quantile(s.latencies, 0.95).toFixed(1).padStart(9)}${quantile(s.latencies, 0.99).toFixed(1).padStart(9)}`,
      );
    }
    const errors = [...stats.values()].reduce((n, s) => n + s.errors, 0) + streamErrors;
    const total = [...stats.values()].reduce((n, s) => n + s.count, 0);
    console.log(
      `  ${total} requests (${(total / SECONDS).toFixed(0)}/s), ${errors} errors; ${events} events on ${STREAMS} streams, ${reconnects} reconnects; ${conversations.length} conversations`,
    );

    const quarter = Math.max(1, Math.floor(samples.length / 4));
    const early = median(samples.slice(quarter, 2 * quarter).map((s) => s.rss));
    const late = median(samples.slice(-quarter).map((s) => s.rss));
    const growth = (late - early) / early;
    const peak = Math.max(...samples.map((s) => s.rss));
    const memoryFlat = late - early <= Math.max(0.15 * early, 25 * 2 ** 20);
    // Least-squares slope of RSS over the second half of the run, in MB per minute.
    const half = samples.slice(Math.floor(samples.length / 2));
    const mx = (half.length - 1) / 2;
    const my = half.reduce((sum, s) => sum + s.rss, 0) / half.length;
    const slope =
      ((half.reduce((sum, s, i) => sum + (i - mx) * (s.rss - my), 0) /
        Math.max(
          1,
          half.reduce((sum, _, i) => sum + (i - mx) ** 2, 0),
        )) *
        60) /
      2 ** 20;
    console.log(
      `\nServer memory (RSS, ${samples.length} samples): after warm-up ${mb(early)} MB, at the end ${mb(late)} MB (${(growth * 100).toFixed(1)} %), peak ${mb(peak)} MB; second-half trend ${slope.toFixed(1)} MB/min`,
    );
    const row = (xs: typeof samples) =>
      xs
        .filter((_, i) => i % Math.max(1, Math.floor(xs.length / 12)) === 0)
        .map((s) => mb(s.rss))
        .join(' ');
    console.log(`  over time (MB): ${row(samples)}`);

    if (failures.length) console.log(`\nFirst failures:\n  ${failures.join('\n  ')}`);
    const ok = errors === 0 && memoryFlat && events > 0;
    console.log(
      `\n${ok ? 'PASS' : 'FAIL'}: ${errors === 0 ? 'no errors' : `${errors} errors`}, memory ${memoryFlat ? 'flat' : 'growing'}${events > 0 ? '' : ', no events received'}.`,
    );
    saveResults('soak', {
      seconds: SECONDS,
      readers: READERS,
      writers: WRITERS,
      streams: STREAMS,
      requests: Object.fromEntries(
        [...stats].map(([k, s]) => [k, { count: s.count, errors: s.errors, p50: quantile(s.latencies, 0.5), p95: quantile(s.latencies, 0.95) }]),
      ),
      events,
      reconnects,
      rss: { early, late, peak, slopeMbPerMinute: slope, samples: samples.map((s) => s.rss) },
      ok,
    });
    process.exitCode = ok ? 0 : 1;
  } finally {
    await server.stop();
  }
}

await main();
