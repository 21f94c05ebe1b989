/**
 * `pnpm bench:no-stall`: one customer's hostile-but-valid requests must not stall anyone else (PRODUCT.md: the other
 * users' p99 stays ≤ 250 ms). A bystander asks `GET /me` every 50 ms, in a thread of its own, while one customer sends
 * each attack in turn for a few seconds (a customer of its own for each, who meets the per-user limits afresh), against the real server as `pnpm serve` starts it, with the limits at their
 * defaults, on a copy of a generated database (20,000 messages unless `--size` says otherwise):
 *
 *   baseline          no attack (the yardstick of the same run)
 *   thousands of streams  event streams opened with one token as fast as the server answers, all kept open
 *   read toggles      read / unread on one conversation by the same customer, while those streams are still open
 *   deep nesting      replies of "<b>" × 6,666 and "<div>" × 3,999 (20 KB bodies)
 *   space padding     replies of "<p>a", 19,990 spaces, "b</p>"
 *   many-term search  66 one-letter prefixes, 39 different prefixes, the 8 allowed prefixes of common words
 *   long file names   uploads named ". " × 8,000
 *   after the attacks no attack, the streams closed
 *
 * Prints, per phase, the bystander's p50 / p99 / max and status counts, the attacker's status counts and the server's
 * memory, and exits 1 when a phase misses the budget (bystander p99 > 250 ms, or any answer to the bystander but 200)
 * or anything answered 5xx.
 *
 * `--store postgres` runs it on the PostgreSQL store: the generated database copied into a PostgreSQL database of the
 * run's own (as `secure-inbox copy-to-postgres` copies one; lib/stores.ts), dropped at the end; `--store both` runs
 * SQLite and then PostgreSQL on the same data, each table printed, and fails when either misses.
 *
 *   pnpm bench:no-stall [--size 20k] [--seconds 8] [--store sqlite|postgres|both]
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ensureDb, type GeneratedMeta, type Persona } from './generate.js';
import { dataDir } from './lib/paths.js';
import { machine, saveResults } from './lib/report.js';
import { startApiServer, tokenFor } from './lib/server.js';
import { postgresCopyOf, stores, storesOption, type StoreName, type StoreRun } from './lib/stores.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const SIZE = arg('size', '20k');
const STORE = arg('store', 'sqlite');
const SECONDS = Number(arg('seconds', process.env.NO_STALL_SECONDS ?? '8'));
const BUDGET_P99_MS = 250;
const INTERVAL_MS = 50;
const ATTACK_CONCURRENCY = 2;
const MAX_STREAMS = 5000;

/** Where the attacker's and the bystander's requests come from (X-Forwarded-For behind the trusted proxy). */
const ATTACKER_ADDRESS = '203.0.113.9';
const BYSTANDER_ADDRESS = '198.51.100.7';

// ------------------------------------------------------------------ the bystander, on a thread of its own
/** Asks GET /me every 50 ms (or as soon as the previous answer came, when it took longer); records every answer. */
const bystanderSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, token, intervalMs, address } = workerData;
const samples = [];
let running = true;
parentPort.on('message', () => { running = false; });
(async () => {
  while (running) {
    const at = Date.now();
    const started = performance.now();
    let status = 0;
    try {
      const res = await fetch(url + '/api/v1/me', { headers: { authorization: 'Bearer ' + token, 'x-forwarded-for': address } });
      await res.text();
      status = res.status;
    } catch { status = 0; }
    const ms = performance.now() - started;
    samples.push([at, ms, status]);
    await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - ms)));
  }
  parentPort.postMessage(samples);
})();
`;

// ------------------------------------------------------------------ attacks
interface Attack {
  name: string;
  /** Which attacker sends it (phases that belong together share one). */
  attacker: number;
  /** Whether the phase's result depends on the rich-text sanitizer and file-name cleaning (another change). */
  sanitizer?: boolean;
  /** One request of the attack; returns the status. Called in a loop, ATTACK_CONCURRENCY at a time. */
  request?: (i: number) => Promise<number>;
  /** Or a phase of its own shape. */
  run?: (until: number, count: (status: number) => void) => Promise<void>;
}

interface Ctx {
  who: string;
  url: string;
  token: string;
  conversationId: string;
}

async function status(res: Response): Promise<number> {
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

function attacks(ctxs: Ctx[]): Attack[] {
  let ctx = ctxs[0]!;
  let auth = { authorization: `Bearer ${ctx.token}`, 'x-forwarded-for': ATTACKER_ADDRESS };
  /** Chooses the attacker of the phase about to run. */
  const as = (i: number) => {
    ctx = ctxs[i % ctxs.length]!;
    auth = { authorization: `Bearer ${ctx.token}`, 'x-forwarded-for': ATTACKER_ADDRESS };
  };
  const post = async (path: string, body?: unknown) =>
    status(
      await fetch(`${ctx.url}/api/v1${path}`, {
        method: 'POST',
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  const reply = (body: string) => post(`/conversations/${ctx.conversationId}/messages`, { body });
  const search = async (q: string) => status(await fetch(`${ctx.url}/api/v1/conversations?q=${encodeURIComponent(q)}`, { headers: auth }));
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const queries = [
    Array.from({ length: 66 }, (_, i) => `${letters[i % 26]}%`).join(' '),
    Array.from({ length: 39 }, (_, i) => `${letters[i % 26]}${letters[Math.floor(i / 26)]}x%`).join(' '),
    'the% tha% thi% wha% whe% you% wit% not%',
  ];
  const streams: AbortController[] = [];
  const phases: Omit<Attack, 'attacker'>[] = [
    { name: 'baseline (no attack)' },
    {
      name: 'thousands of streams',
      run: async (until, count) => {
        let opened = 0;
        const open = async () => {
          while (Date.now() < until && opened < MAX_STREAMS) {
            opened++;
            const controller = new AbortController();
            try {
              const res = await fetch(`${ctx.url}/api/v1/events`, { headers: { ...auth, accept: 'text/event-stream' }, signal: controller.signal });
              count(res.status);
              if (res.status !== 200) {
                await res.arrayBuffer().catch(() => undefined);
                continue;
              }
              streams.push(controller);
              // Read (and drop) what arrives, so the server is never held up by a full socket.
              void (async () => {
                const reader = res.body!.getReader();
                for (;;) if ((await reader.read()).done) break;
              })().catch(() => undefined);
            } catch {
              count(0);
            }
          }
        };
        await Promise.all(Array.from({ length: 16 }, open));
      },
    },
    {
      name: 'read toggles (streams still open)',
      request: (i) => post(`/conversations/${ctx.conversationId}/${i % 2 === 0 ? 'read' : 'unread'}`),
    },
    { name: 'deep nesting', sanitizer: true, request: (i) => reply(i % 2 === 0 ? '<b>'.repeat(6666) : '<div>'.repeat(3999)) },
    { name: 'space padding', sanitizer: true, request: () => reply(`<p>a${' '.repeat(19_990)}b</p>`) },
    { name: 'many-term searches', request: (i) => search(queries[i % queries.length]!) },
    {
      name: 'long file names',
      sanitizer: true,
      request: async () => {
        const form = new FormData();
        form.append('file', new Blob(['Plain notes for the case file.\n'], { type: 'text/plain' }), '. '.repeat(8000));
        return status(await fetch(`${ctx.url}/api/v1/attachments`, { method: 'POST', headers: auth, body: form }));
      },
    },
    {
      name: 'after the attacks',
      run: async (until) => {
        for (const s of streams.splice(0)) s.abort();
        await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));
      },
    },
  ];
  // The streams and the read toggles that wake them come from one customer; every other attack from a customer of
  // its own, who meets the per-user limits afresh, as in the first minute of an attack.
  const attackerOf: Record<string, number> = { 'read toggles (streams still open)': 0, 'thousands of streams': 0 };
  let next = 1;
  return phases.map((phase) => {
    const attacker = attackerOf[phase.name] ?? (phase.request || phase.run ? next++ : 0);
    const wrap = <T extends unknown[], R>(fn: ((...a: T) => R) | undefined) => fn && ((...a: T) => (as(attacker), fn(...a)));
    return { ...phase, attacker, request: wrap(phase.request), run: wrap(phase.run) };
  });
}

// ------------------------------------------------------------------ measuring
const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN;

function rssMb(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

const tally = (counts: Map<number, number>) =>
  [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s === 0 ? 'error' : s}×${n}`)
    .join(' ') || '—';

interface PhaseResult {
  phase: string;
  sanitizer: boolean;
  bystander: { n: number; p50: number; p99: number; max: number; statuses: string };
  attacker: string;
  rssMb: number;
  ok: boolean;
}

/** The phases on one store: the server on its own copy of the generated database (on PostgreSQL, a database of its own). */
async function runOn(storeName: StoreName, file: string, meta: GeneratedMeta): Promise<PhaseResult[]> {
  const runDir = join(dataDir, 'no-stall', storeName);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const copy = join(runDir, 'inbox.db');
  copyFileSync(file, copy);
  let store: StoreRun | undefined;
  if (storeName === 'postgres') {
    const started = Date.now();
    store = await postgresCopyOf(copy, runDir);
    console.log(`Copied to PostgreSQL (${store.env.SECURE_INBOX_DATABASE_URL}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  const heavy: Persona = meta.personas.customer;
  const bystander = meta.customers.find((c) => c.sub !== heavy.sub && !c.accounts.some((a) => heavy.accounts.includes(a)))!;
  const attackers = [heavy, ...meta.customers.filter((c) => c.sub !== heavy.sub && c.sub !== bystander.sub)].slice(0, 8);
  // The limits at their defaults: the benchmark servers otherwise run with SECURE_INBOX_RATE_LIMIT=0.
  // Behind a proxy, as in production: the attacker and the bystander come from addresses of their own (documentation
  // ranges, named in X-Forwarded-For; nothing is sent to them), so per-address limits count each on its own.
  const server = await startApiServer(copy, runDir, { SECURE_INBOX_RATE_LIMIT: '', SECURE_INBOX_TRUST_PROXY: 'true', ...store?.env }).catch(async (error) => {
    await store?.dispose();
    throw error;
  });
  const results: PhaseResult[] = [];
  try {
    const bystanderToken = await tokenFor(bystander);
    await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${bystanderToken}` } }).then(status);
    const ctxs: Ctx[] = [];
    for (const attacker of attackers) {
      const token = await tokenFor(attacker);
      const page = (await (await fetch(`${server.url}/api/v1/conversations?limit=1`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        items: { id: string }[];
      };
      if (page.items[0]) ctxs.push({ url: server.url, token, conversationId: attacker === heavy ? meta.typicalThreadId : page.items[0].id, who: attacker.sub });
    }

    console.log(
      `\nNo stall on ${storeName}: ${SIZE} (${meta.messages.toLocaleString('en')} messages), ${SECONDS} s a phase, limits at their defaults; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      `attackers: one customer a phase (${ctxs.map((c) => c.who).join(', ')}); bystander ${bystander.sub}: GET /me every ${INTERVAL_MS} ms; ${machine()}`,
    );
    const worker = new Worker(bystanderSource, {
      eval: true,
      workerData: { url: server.url, token: bystanderToken, intervalMs: INTERVAL_MS, address: BYSTANDER_ADDRESS },
    });
    const phases: { name: string; sanitizer: boolean; from: number; to: number; counts: Map<number, number>; rss: number }[] = [];
    for (const attack of attacks(ctxs)) {
      const from = Date.now();
      const until = from + SECONDS * 1000;
      const counts = new Map<number, number>();
      const count = (s: number) => counts.set(s, (counts.get(s) ?? 0) + 1);
      if (attack.run) await attack.run(until, count);
      else if (attack.request) {
        let i = 0;
        await Promise.all(
          Array.from({ length: ATTACK_CONCURRENCY }, async () => {
            while (Date.now() < until) {
              try {
                count(await attack.request!(i++));
              } catch {
                count(0);
              }
            }
          }),
        );
      } else await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const who = attack.request || (attack.run && !attack.name.startsWith('after')) ? ` (${ctxs[attack.attacker % ctxs.length]!.who})` : '';
      phases.push({ name: `${attack.name}${who}`, sanitizer: attack.sanitizer ?? false, from, to: Date.now(), counts, rss: rssMb(server.pid) });
      process.stdout.write(`  ${attack.name}: done\n`);
    }
    const samples = await new Promise<[number, number, number][]>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage('stop');
    });
    await worker.terminate();

    for (const phase of phases) {
      const mine = samples.filter(([at]) => at >= phase.from && at < phase.to);
      const ms = mine.map(([, t]) => t).sort((a, b) => a - b);
      const statuses = new Map<number, number>();
      for (const [, , s] of mine) statuses.set(s, (statuses.get(s) ?? 0) + 1);
      const fiveHundreds = [...statuses.keys(), ...phase.counts.keys()].some((s) => s >= 500 || s === 0);
      const p99 = pct(ms, 99);
      results.push({
        phase: phase.name,
        sanitizer: phase.sanitizer,
        bystander: { n: ms.length, p50: pct(ms, 50), p99, max: ms[ms.length - 1] ?? NaN, statuses: tally(statuses) },
        attacker: tally(phase.counts),
        rssMb: phase.rss,
        // The bystander is served, not refused: a 429 to them would be the stall by other means.
        ok: p99 <= BUDGET_P99_MS && !fiveHundreds && ms.length > 0 && [...statuses.keys()].every((s) => s === 200),
      });
    }
  } finally {
    await server.stop();
    await store?.dispose();
  }

  const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
  console.log(
    `\n${pad('phase', 36)}${lpad('n', 5)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('max ms', 9)}  ${pad('bystander', 12)}${lpad('RSS MB', 8)}  attacker's answers`,
  );
  for (const r of results) {
    console.log(
      `${pad(`${r.ok ? '  ' : '✗ '}${r.phase}${r.sanitizer ? ' *' : ''}`, 36)}${lpad(String(r.bystander.n), 5)}${lpad(f(r.bystander.p50), 9)}${lpad(f(r.bystander.p99), 9)}${lpad(f(r.bystander.max), 9)}  ${pad(r.bystander.statuses, 12)}${lpad(f(r.rssMb), 8)}  ${r.attacker}`,
    );
  }
  console.log(
    `\n* depends on the rich-text sanitizer and file-name cleaning. Budget: the bystander's p99 ≤ ${BUDGET_P99_MS} ms, every answer to them 200, no 5xx (error = no answer).`,
  );
  const missed = results.filter((r) => !r.ok);
  console.log(missed.length ? `MISS on ${storeName}: ${missed.map((r) => r.phase).join(', ')}` : `All phases within the budget on ${storeName}.`);
  return results;
}

async function main() {
  const storeNames = storesOption(STORE);
  if (!storeNames) {
    console.error(`bench:no-stall: --store must be sqlite, postgres or both (got "${STORE}")`);
    process.exit(2);
  }
  for (const name of storeNames) {
    const unavailable = await stores[name].unavailable();
    if (unavailable) {
      console.error(`bench:no-stall: --store ${STORE}: ${unavailable}.`);
      process.exit(2);
    }
  }
  const { file, meta } = ensureDb(SIZE, { log: (line) => console.log(line) });
  // With both stores, one after the other on the same generated data: the budget is absolute (ms), not a ratio.
  const byStore: { store: StoreName; results: PhaseResult[] }[] = [];
  for (const name of storeNames) byStore.push({ store: name, results: await runOn(name, file, meta) });
  saveResults('no-stall', { size: SIZE, seconds: SECONDS, store: STORE, loadAverage: loadavg(), results: byStore });
  const missed = byStore.flatMap((s) => s.results.filter((r) => !r.ok).map((r) => `${r.phase} (${s.store})`));
  if (missed.length) {
    console.log(`MISS: ${missed.join(', ')}`);
    process.exit(1);
  }
  console.log(`All phases within the budget on ${storeNames.join(' and ')}.`);
}

await main();
