/**
 * `pnpm bench:traffic`: the throughput budgets under real traffic (PRODUCT.md), measured from outside with Debian's
 * `wrk` against the built server started as `pnpm serve` starts it (`secure-inbox serve`), beside a bare Hono "hello"
 * on @hono/node-server in the same run, on the same Node.
 *
 * The data is written through the API into a fresh store (the defaults: 1,000 customers in 100 accounts, 20 staff,
 * 4,000 conversations, 16,000 messages; see lib/traffic-data.ts) and kept under bench/.data/traffic/cache/ by its
 * parameters, the store, the generator and a fingerprint of the built server (on PostgreSQL, the data itself is kept as
 * a template database named after that key; lib/stores.ts), so a rerun of the same build starts from a copy of it.
 * Each run gets its own copy: the writes of one run never reach the next.
 *
 * Workloads, each `--seconds` of load after `--warmup` seconds of the same load, wrk with `--threads` threads and
 * `--connections` connections, every request picked at random and carrying the token of the user it acts for:
 *   inbox, read only           GET /api/v1/conversations as 1,000 customers in random order
 *   staff inboxes              the same as the 20 staff members
 *   search, customers          GET /api/v1/conversations?q=<one of the 20 common words> as the customers
 *   search, staff              the same as the staff
 *   inbox, 10% replies         the inbox read, with one request in ten a customer's reply in one of their conversations
 *   sends                      replies only, by customers and staff, to conversations they see
 *
 * and hello: GET / on the bare Hono app, with the same headers, measured before the first workload and again after
 * each one. A workload's ratio is to the median of the run's hello runs (the machine's pace moves within a run).
 *
 * Before the workloads every user signs in once (GET /me), as on a server that has been running a while, and the
 * outbox is left to deliver the notices of what was written.
 *
 * Stores: `--store sqlite` (the default), `--store postgres` (a PostgreSQL database of the run's own; lib/stores.ts),
 * or `--store both`: the two stores in one run, each server on its own copy of the data, every workload measured on
 * one and then the other (which goes first alternating from one workload to the next), hello after each, and one
 * table with the stores side by side, each against its own budgets (PRODUCT.md asks one PostgreSQL instance for half
 * of SQLite's ratios and sends).
 *
 * Every user's requests come from an address of their own (X-Forwarded-For, the server trusting its proxy), and the
 * limits are raised with the server's documented variables (20 staff members asking thousands of pages a second are
 * far beyond what the per-user limits allow). Any answer of 400 or more, a 429 included, or a socket error makes the run
 * fail (exit 1) after the table; a budget missed is reported, not an error.
 *
 *   pnpm bench:traffic [--store sqlite|postgres|both] [--seconds 8] [--warmup 2] [--threads 1] [--connections 16]
 *                      [--customers 1000] [--accounts 100] [--staff 20] [--conversations 4000] [--messages 16000]
 *                      [--regenerate] [--only inbox,staffInbox,searchCustomers,searchStaff,mixed,sends]
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startHelloServer, SECRET, tokenFor, type Running } from './lib/server.js';
import { dataDir, serverDir, benchDir } from './lib/paths.js';
import { fmt, machine, saveResults } from './lib/report.js';
import { storeNamed, StoreUnavailable, type Store, type StoreName, type StoreRun } from './lib/stores.js';
import {
  checkParams,
  DEFAULT_PARAMS,
  inTurn,
  makePlan,
  seeded,
  VOCABULARY,
  writePlan,
  type Person,
  type TrafficParams,
  type Written,
} from './lib/traffic-data.js';
import { checkWrk, runWrk, writeRequests, type WrkRequest, type WrkResult } from './lib/wrk.js';

// ------------------------------------------------------------------ options
const envNumber = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const options = {
  store: { type: 'string', default: 'sqlite' },
  seconds: { type: 'string', default: String(envNumber('BENCH_DURATION', 8)) },
  warmup: { type: 'string', default: String(envNumber('BENCH_WARMUP', 2)) },
  threads: { type: 'string', default: '1' },
  connections: { type: 'string', default: String(envNumber('BENCH_CONNECTIONS', 16)) },
  customers: { type: 'string', default: String(DEFAULT_PARAMS.customers) },
  accounts: { type: 'string', default: String(DEFAULT_PARAMS.accounts) },
  staff: { type: 'string', default: String(DEFAULT_PARAMS.staff) },
  conversations: { type: 'string', default: String(DEFAULT_PARAMS.conversations) },
  messages: { type: 'string', default: String(DEFAULT_PARAMS.messages) },
  regenerate: { type: 'boolean', default: false },
  only: { type: 'string' },
} as const;
let opts: ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];
try {
  opts = parseArgs({ options }).values;
} catch (error) {
  console.error(`bench:traffic: ${(error as Error).message} (the options are listed at the top of bench/traffic.ts)`);
  process.exit(2);
}

/** Share of the mixed workload's requests that send a reply. */
const REPLY_SHARE = 0.1;

/** The limits, raised with the server's documented variables (docs/configuration.md, Limits), and where users come from. */
const LIMITS = {
  SECURE_INBOX_TRUST_PROXY: 'true',
  SECURE_INBOX_RATE_LIMIT: '1000000',
  SECURE_INBOX_RATE_LIMIT_IP: '1000000',
  SECURE_INBOX_READ_RATE_LIMIT: '1000000',
  SECURE_INBOX_READ_RATE_LIMIT_IP: '10000000',
};

/** Lets the runner read the server's outbox through GET /metrics (docs/operations.md). */
const METRICS_TOKEN = 'bench-traffic-metrics-token';

/** PRODUCT.md's budgets under real traffic, per store: one PostgreSQL instance is asked for less than SQLite in-process. */
const BUDGETS = {
  sqlite: {
    inbox: { ratio: 0.3, label: '≥ 0.3 × hello' },
    mixed: { ratio: 0.2, label: '≥ 0.2 × hello' },
    search: { ratio: 0.1, label: '≥ 0.1 × hello' },
    sends: { rps: 2000, label: '≥ 2,000/s' },
  },
  postgres: {
    inbox: { ratio: 0.15, label: '≥ 0.15 × hello' },
    mixed: { ratio: 0.1, label: '≥ 0.1 × hello' },
    search: { ratio: 0.05, label: '≥ 0.05 × hello' },
    sends: { rps: 1000, label: '≥ 1,000/s' },
  },
} as const satisfies Record<StoreName, Record<string, { ratio?: number; rps?: number; label: string }>>;

function fail(message: string): never {
  console.error(`bench:traffic: ${message}`);
  process.exit(2);
}

function whole(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  return n;
}

// ------------------------------------------------------------------ the server, as `pnpm serve` starts it
const CLI = join(serverDir, 'dist/cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** A fingerprint of the built server (its JavaScript and migrations): a new build of other code means new data. */
function buildFingerprint(): string {
  const hash = createHash('sha256');
  for (const dir of ['dist', 'drizzle', 'drizzle-pg']) {
    const root = join(serverDir, dir);
    const files = readdirSync(root, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.(js|sql)$/.test(e.name) && !join(e.parentPath, e.name).includes('/widget/'))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of files) {
      hash.update(file.slice(root.length));
      hash.update(readFileSync(file));
    }
  }
  return hash.digest('hex').slice(0, 12);
}

/**
 * `node --conditions=secure-inbox-compiled dist/cli.js serve` in packages/server (the `serve` script that `pnpm serve`
 * runs after building), configured by the environment; its log lines go to a file, not through this process.
 */
async function startServer(env: Record<string, string>, logFile: string): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--conditions=secure-inbox-compiled', 'dist/cli.js', 'serve'], {
    cwd: serverDir,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const tail = () => readFileSync(logFile, 'utf8').slice(-4000);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`secure-inbox serve exited with ${child.exitCode}:\n${tail()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`secure-inbox serve did not answer ${url}/healthz within 120 s:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    output: tail,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 30_000).unref();
      }),
  };
}

/** CPU seconds a process has used so far (user and system, from /proc; NaN elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

// ------------------------------------------------------------------ the data
const tokens = new Map<string, string>();
async function token(p: Person): Promise<string> {
  let t = tokens.get(p.sub);
  if (!t) {
    t = await tokenFor({ sub: p.sub, name: p.name, email: p.email, role: p.role, accounts: p.accounts });
    tokens.set(p.sub, t);
  }
  return t;
}

function caller(url: string) {
  return async (who: Person, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${await token(who)}`,
        'x-forwarded-for': who.address,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
}

/**
 * Waits until the server has delivered the e-mail notices of what was written (its outbox holds none pending and its
 * writer thread nothing queued), so that the backlog of writing the data is not delivered during the read workloads.
 */
async function drained(url: string, timeoutMs: number): Promise<{ seconds: number; pending: number }> {
  const started = Date.now();
  for (;;) {
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const pending = gauge('secure_inbox_outbox_pending') + (gauge('secure_inbox_writer_queue') || 0);
    if (Number.isNaN(pending)) throw new Error(`GET /metrics holds no secure_inbox_outbox_pending:\n${text.slice(0, 500)}`);
    const seconds = (Date.now() - started) / 1000;
    if (pending === 0 || Date.now() - started > timeoutMs) return { seconds, pending };
    await new Promise((r) => setTimeout(r, 500));
  }
}

// ------------------------------------------------------------------ the workloads
interface Workload {
  key: string;
  /** hello: the yardstick, measured before the first workload and again after each. */
  name: string;
  on: 'hello' | 'server';
  requests: WrkRequest[];
  second?: { requests: WrkRequest[]; share: number };
  budget?: { ratio?: number; rps?: number; label: string };
}

async function workloads(data: Written, budgets: (typeof BUDGETS)[StoreName]): Promise<Workload[]> {
  const { body } = seeded(2121);
  const get = async (p: Person, path: string): Promise<WrkRequest> => ({ method: 'GET', path, token: await token(p), address: p.address });
  const reply = async (p: Person, conversationId: string): Promise<WrkRequest> => ({
    method: 'POST',
    path: `/api/v1/conversations/${conversationId}/messages`,
    token: await token(p),
    address: p.address,
    body: { body: body() },
  });
  const inbox = '/api/v1/conversations';
  const bySub = new Map(data.customers.map((c) => [c.sub, c]));
  const customerInbox = await Promise.all(data.customers.map((c) => get(c, inbox)));
  const customerReplies: WrkRequest[] = [];
  for (const conversation of data.conversations) {
    for (const sub of conversation.customers) customerReplies.push(await reply(bySub.get(sub)!, conversation.id));
  }
  const staffReplies: WrkRequest[] = [];
  for (const conversation of data.conversations) {
    for (const s of data.staff.filter((s) => s.accounts.includes(conversation.accountId))) staffReplies.push(await reply(s, conversation.id));
  }
  const search = (people: Person[]) => Promise.all(people.flatMap((p) => VOCABULARY.map((word) => get(p, `${inbox}?q=${word}`))));
  // The hello gets the customers' own headers, so it parses as many bytes as the others.
  const hello = customerInbox.map((r) => ({ ...r, path: '/' }));
  return [
    { key: 'hello', name: 'hello (bare Hono)', on: 'hello', requests: hello },
    {
      key: 'inbox',
      name: `inbox page, ${data.customers.length.toLocaleString('en')} customers, read only`,
      on: 'server',
      requests: customerInbox,
      budget: budgets.inbox,
    },
    { key: 'staffInbox', name: `staff inboxes, ${data.staff.length} staff`, on: 'server', requests: await Promise.all(data.staff.map((s) => get(s, inbox))) },
    { key: 'searchCustomers', name: 'search, customers, common words', on: 'server', requests: await search(data.customers), budget: budgets.search },
    { key: 'searchStaff', name: 'search, staff, common words', on: 'server', requests: await search(data.staff), budget: budgets.search },
    {
      key: 'mixed',
      name: `inbox page with ${REPLY_SHARE * 100}% replies`,
      on: 'server',
      requests: customerInbox,
      second: { requests: customerReplies, share: REPLY_SHARE },
      budget: budgets.mixed,
    },
    { key: 'sends', name: 'sends (replies by customers and staff)', on: 'server', requests: [...customerReplies, ...staffReplies], budget: budgets.sends },
  ];
}

/** The answers measured are the real thing: customers and staff see conversations, and the common words find some. */
async function checkAnswers(url: string, data: Written) {
  const call = caller(url);
  for (const who of [data.customers[0]!, data.staff[0]!]) {
    const page = await call(who, 'GET', '/api/v1/conversations');
    if (page.status !== 200 || !page.json.items?.length)
      throw new Error(`${who.sub}'s inbox answered ${page.status} with ${page.json?.items?.length ?? 'no'} conversations: is the data there?`);
  }
  // The ids kept beside the data are the store's: the conversations the replies go to are there to be opened.
  const bySub = new Map(data.customers.map((c) => [c.sub, c]));
  for (const conversation of [data.conversations[0]!, data.conversations.at(-1)!]) {
    const who = bySub.get(conversation.customers[0]!)!;
    const opened = await call(who, 'GET', `/api/v1/conversations/${conversation.id}`);
    if (opened.status !== 200)
      throw new Error(`conversation ${conversation.id} of the kept data answered ${opened.status} to ${who.sub}: the store holds other data (--regenerate)`);
  }
  let hits = 0;
  for (const word of VOCABULARY) hits += (await call(data.staff[0]!, 'GET', `/api/v1/conversations?q=${word}`)).json.items?.length ?? 0;
  if (hits === 0) throw new Error(`searching the common words as ${data.staff[0]!.sub} found nothing: is the data there?`);
}

// ------------------------------------------------------------------ the run
interface Row {
  key: string;
  name: string;
  store: StoreName;
  result: WrkResult;
  /** The hello runs just before and just after this workload (req/s). */
  helloBeside: [number, number];
  /** Requests per second as a share of the run's median hello. */
  ratio: number;
  budget: Workload['budget'] | null;
  met: boolean | null;
}

/** One store's part of a run: its copy of the data and, once started, its server. */
interface Side {
  name: StoreName;
  run: StoreRun;
  data: Written;
  generated: { cached: boolean; seconds: number };
  logFile: string;
  dataDir: string;
  server?: Running;
  signInSeconds?: number;
  workloads?: Workload[];
}

/** `--store both` measures the two stores in one run, beside the same hello. */
const STORE_CHOICES = ['sqlite', 'postgres', 'both'] as const;

async function main() {
  const storeOption = opts.store!;
  if (!(STORE_CHOICES as readonly string[]).includes(storeOption)) fail(`--store must be one of ${STORE_CHOICES.join(', ')} (got "${storeOption}")`);
  const storeNames: StoreName[] = storeOption === 'both' ? ['sqlite', 'postgres'] : [storeOption as StoreName];
  const chosen = new Map<StoreName, Store>();
  for (const name of storeNames) {
    try {
      chosen.set(name, storeNamed(name));
    } catch (error) {
      if (error instanceof StoreUnavailable) fail(error.message);
      throw error;
    }
    const unavailable = await chosen.get(name)!.unavailable();
    if (unavailable) fail(`--store ${storeOption}: ${unavailable}.`);
  }
  const params: TrafficParams = {
    accounts: whole('accounts', opts.accounts!, 1, 100_000),
    customers: whole('customers', opts.customers!, 1, 100_000),
    staff: whole('staff', opts.staff!, 1, 10_000),
    conversations: whole('conversations', opts.conversations!, 1, 1_000_000),
    messages: whole('messages', opts.messages!, 1, 1_000_000),
  };
  const problem = checkParams(params);
  if (problem) fail(problem);
  const seconds = whole('seconds', opts.seconds!, 1, 3600);
  const warmup = whole('warmup', opts.warmup!, 0, 600);
  const threads = whole('threads', opts.threads!, 1, 64);
  const connections = whole('connections', opts.connections!, threads, 10_000);
  const wrkMissing = checkWrk();
  if (wrkMissing) fail(wrkMissing);
  if (!existsSync(CLI)) fail(`the built server is missing (${CLI}): run pnpm build first.`);
  if (newestMtime(join(serverDir, 'src')) > statSync(CLI).mtimeMs) {
    console.warn('Note: packages/server/src changed after the last build; these figures are of the build (pnpm build to measure the sources).');
  }

  const trafficDir = join(dataDir, 'traffic');
  const runDir = join(trafficDir, 'run');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const generator = createHash('sha256')
    .update(readFileSync(join(benchDir, 'lib/traffic-data.ts')))
    .digest('hex')
    .slice(0, 8);
  const fingerprint = buildFingerprint();
  const serverEnv = (side: Pick<Side, 'run' | 'dataDir'>) => ({
    SECURE_INBOX_JWT_SECRET: SECRET,
    SECURE_INBOX_DATA_DIR: side.dataDir,
    SECURE_INBOX_METRICS_TOKEN: METRICS_TOKEN,
    ...LIMITS,
    ...side.run.env,
  });

  const loadBefore = loadavg();
  console.log(
    `Real traffic on ${machine()}; load average ${loadBefore.map((l) => fmt(l, 1)).join(' ')}; wrk ${threads} thread(s), ${connections} connections, ${seconds} s per workload after ${warmup} s of warm-up; store ${storeNames.join(' and ')}`,
  );

  /** The store's copy of the data: from the cache, or written through the API into an empty store and kept. */
  async function prepare(storeName: StoreName, store: Store): Promise<Side> {
    const key = `${storeName}-${Object.values(params).join('-')}-${generator}-${fingerprint}`;
    const cacheDir = join(trafficDir, 'cache', key);
    const logFile = join(runDir, `server-${storeName}.log`);
    const sideData = join(runDir, `data-${storeName}`);
    mkdirSync(sideData, { recursive: true });
    const cached = opts.regenerate ? null : await store.cached(cacheDir, runDir);
    if (cached) {
      const data: Written = JSON.parse(readFileSync(join(cacheDir, 'written.json'), 'utf8'));
      console.log(`Data (${storeName}): a copy of ${cacheDir} (written through the API in ${fmt(data.seconds, 1)} s when made)`);
      return { name: storeName, run: cached, data, generated: { cached: true, seconds: data.seconds }, logFile, dataDir: sideData };
    }
    const run = await store.empty(runDir);
    console.log(
      `Data (${storeName}): writing ${params.conversations.toLocaleString('en')} conversations and ${params.messages.toLocaleString('en')} messages through the API…`,
    );
    let data: Written;
    // A run that fails here frees its store (on PostgreSQL a database of its own would stay behind).
    try {
      const writer = await startServer(serverEnv({ run, dataDir: sideData }), logFile);
      try {
        data = await writePlan(makePlan(params), caller(writer.url), { log: (line) => console.log(line) });
        const outbox = await drained(writer.url, 600_000);
        console.log(
          `  the notices of it delivered in ${fmt(outbox.seconds, 1)} s more${outbox.pending ? ` (${outbox.pending} still pending after 10 minutes)` : ''}`,
        );
      } finally {
        await writer.stop();
      }
    } catch (error) {
      await run.dispose();
      throw error;
    }
    // The data of earlier builds (or generators) for the same store and parameters is not used again.
    const sameShape = `${storeName}-${Object.values(params).join('-')}-`;
    for (const old of existsSync(join(trafficDir, 'cache')) ? readdirSync(join(trafficDir, 'cache')) : []) {
      if (old.startsWith(sameShape)) rmSync(join(trafficDir, 'cache', old), { recursive: true, force: true });
    }
    await run.keep(cacheDir);
    writeFileSync(join(cacheDir, 'written.json'), JSON.stringify(data));
    console.log(`  written in ${fmt(data.seconds, 1)} s, kept in ${cacheDir}`);
    return { name: storeName, run, data, generated: { cached: false, seconds: data.seconds }, logFile, dataDir: sideData };
  }

  const sides: Side[] = [];
  const rows: Row[] = [];
  const helloRuns: WrkResult[] = [];
  const serverCpuDuringHello: number[] = [];
  let hello: Running | undefined;
  try {
    for (const name of storeNames) sides.push(await prepare(name, chosen.get(name)!));
    hello = await startHelloServer();
    for (const side of sides) {
      side.server = await startServer(serverEnv(side), side.logFile);
      // Every user signs in once, as on a server that has been running for a while: the first request of each user
      // after a start writes their row and expires every kept page (domain/users.ts), which is a start's cost, not
      // the steady state's.
      const signInStarted = Date.now();
      const call = caller(side.server.url);
      await inTurn([...side.data.staff, ...side.data.customers], 16, async (p) => {
        const { status } = await call(p, 'GET', '/api/v1/me');
        if (status !== 200) throw new Error(`GET /api/v1/me as ${p.sub} on ${side.name} answered ${status}`);
      });
      side.signInSeconds = (Date.now() - signInStarted) / 1000;
      console.log(`Every user signed in once on ${side.name} (GET /api/v1/me, 16 at a time): ${fmt(side.signInSeconds, 1)} s`);
      await checkAnswers(side.server.url, side.data);
      const outbox = await drained(side.server.url, 120_000);
      if (outbox.pending) console.log(`Note: ${outbox.pending} e-mail notices still pending on ${side.name} after ${fmt(outbox.seconds, 0)} s`);
      side.workloads = await workloads(side.data, BUDGETS[side.name]);
    }
    const helloWorkload = sides[0]!.workloads!.find((w) => w.on === 'hello')!;
    const keys = sides[0]!.workloads!.filter((w) => w.on === 'server').map((w) => w.key);
    const only = opts.only?.split(',').map((k) => k.trim());
    const unknown = only?.filter((k) => !keys.includes(k));
    if (unknown?.length) throw new Error(`--only: no workload ${unknown.join(', ')}; there are ${keys.join(', ')}`);
    const measure = async (w: Workload, url: string, label: string, warm: boolean) => {
      const file = join(runDir, `${label}.txt`);
      writeRequests(file, w.requests);
      let second: { file: string; share: number } | undefined;
      if (w.second) {
        second = { file: join(runDir, `${label}-writes.txt`), share: w.second.share };
        writeRequests(second.file, w.second.requests);
      }
      if (warm && warmup > 0) await runWrk({ url, requestsFile: file, second, seconds: warmup, threads, connections });
      const result = await runWrk({ url, requestsFile: file, second, seconds, threads, connections });
      const bad = result.non2xx + result.socketErrors;
      console.log(
        `  ${w.name}${w.on === 'server' && sides.length > 1 ? ` (${label.split('-')[0]})` : ''}: ${fmt(result.rps, 0)} req/s, p50 ${fmt(result.p50Ms)} ms, p99 ${fmt(result.p99Ms)} ms${bad ? `, ${result.non2xx} non-2xx, ${result.socketErrors} socket errors` : ''}`,
      );
      return result;
    };
    // The machine's pace moves within a run (other work on shared cores), so hello is measured before the first
    // workload and again after each, whichever store it ran on. What the servers under test did meanwhile (their CPU
    // seconds) is noted: their background work competes with hello.
    const cpu = () => sides.reduce((sum, s) => sum + cpuSeconds(s.server!.pid), 0);
    const measureHello = async (warm: boolean) => {
      const before = cpu();
      helloRuns.push(await measure(helloWorkload, hello!.url, 'hello', warm));
      serverCpuDuringHello.push(cpu() - before);
    };
    await measureHello(true);
    let turn = 0;
    for (const key of keys.filter((k) => !only || only.includes(k))) {
      // With two stores, each workload runs on both in turn, hello between them, and the store that goes first
      // alternates from one workload to the next, so that neither is always measured in the same part of the run.
      const order = turn++ % 2 ? [...sides].reverse() : sides;
      for (const side of order) {
        const w = side.workloads!.find((x) => x.key === key)!;
        const result = await measure(w, side.server!.url, `${side.name}-${w.key}`, true);
        // The notices of a workload's writes are delivered before hello runs, not while it runs.
        const outbox = await drained(side.server!.url, 120_000);
        if (outbox.seconds >= 1 || outbox.pending)
          console.log(`    its notices delivered in ${fmt(outbox.seconds, 1)} s${outbox.pending ? `, ${outbox.pending} still pending` : ''}`);
        await measureHello(false);
        rows.push({
          key: w.key,
          name: w.name,
          store: side.name,
          result,
          helloBeside: [helloRuns.at(-2)!.rps, helloRuns.at(-1)!.rps],
          ratio: NaN,
          budget: w.budget ?? null,
          met: null,
        });
      }
    }
  } finally {
    for (const side of sides) await side.server?.stop();
    await hello?.stop();
    for (const side of sides) await side.run.dispose();
  }

  // The yardstick is the median of the run's hello runs: on shared cores one of them can land in a slow spell of its
  // own (12,000 beside 51,000 req/s in one run), and the median of seven is not moved by a few of those.
  const helloAll = helloRuns.map((h) => h.rps);
  const sorted = [...helloAll].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const helloMedian = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  for (const row of rows) {
    row.ratio = row.result.rps / helloMedian;
    if (row.budget?.ratio !== undefined) row.met = row.ratio >= row.budget.ratio;
    if (row.budget?.rps !== undefined) row.met = row.result.rps >= row.budget.rps;
  }

  // One table: a line per workload, the stores side by side.
  const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  const cell = (r: Row | undefined) => {
    if (!r) return lpad('', 58);
    const status = r.met === null ? '' : r.met ? ' met' : ' MISSED';
    const bad = r.result.non2xx + r.result.socketErrors;
    return `${lpad(fmt(r.result.rps, 0), 8)}${lpad(fmt(r.result.p50Ms), 8)}${lpad(fmt(r.result.p99Ms), 9)}${lpad(fmt(r.ratio, 3), 8)}  ${pad(`${r.budget?.label ?? ''}${status}${bad ? ` (${bad} errors)` : ''}`, 23)}`;
  };
  const heading = `${lpad('req/s', 8)}${lpad('p50 ms', 8)}${lpad('p99 ms', 9)}${lpad('× hello', 8)}  ${pad('budget', 23)}`;
  console.log(`\n${pad('', width)}${sides.map((s) => `| ${pad(s.name, heading.length)}`).join('')}`);
  console.log(`${pad('workload', width)}${sides.map(() => `| ${heading}`).join('')}`);
  for (const key of [...new Set(rows.map((r) => r.key))]) {
    const mine = rows.filter((r) => r.key === key);
    console.log(`${pad(mine[0]!.name, width)}${sides.map((s) => `| ${cell(mine.find((r) => r.store === s.name))}`).join('')}`);
  }
  console.log(
    `\nhello (bare Hono on @hono/node-server, the same headers): ${helloAll.length} runs, ${fmt(Math.min(...helloAll), 0)}–${fmt(Math.max(...helloAll), 0)} req/s, median ${fmt(helloMedian, 0)}: "× hello" is a share of the median (each row's hello runs just before and after are in the JSON).`,
  );
  console.log(
    `The server${sides.length > 1 ? 's' : ''} under test used ${serverCpuDuringHello.map((c) => fmt(c, 2)).join(' / ')} s of CPU during the hello runs (background work).`,
  );
  for (const mixed of rows.filter((r) => r.key === 'mixed'))
    console.log(
      `The mixed workload on ${mixed.store} sent ${mixed.result.secondSent.toLocaleString('en')} replies among ${mixed.result.requests.toLocaleString('en')} answered requests.`,
    );
  const loadAfter = loadavg();
  console.log(`Load average at the end: ${loadAfter.map((l) => fmt(l, 1)).join(' ')} (other work on the machine shows here).`);
  console.log(
    `Limits raised: ${Object.entries(LIMITS)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}; each user from an address of their own.`,
  );

  saveResults('traffic', {
    store: storeOption,
    stores: sides.map((s) => ({ store: s.name, data: s.generated, signInSeconds: s.signInSeconds })),
    params,
    seconds,
    warmup,
    threads,
    connections,
    replyShare: REPLY_SHARE,
    limits: LIMITS,
    loadAverage: { before: loadBefore, after: loadAfter },
    hello: { runs: helloRuns, medianRps: helloMedian, serverCpuSeconds: serverCpuDuringHello },
    rows,
  });
  const failed = [...rows.map((r) => ({ name: `${r.name} (${r.store})`, result: r.result })), ...helloRuns.map((result) => ({ name: 'hello', result }))].filter(
    (r) => r.result.non2xx + r.result.socketErrors > 0,
  );
  if (failed.length) {
    console.error(
      `FAIL: answers of 400 or more, or socket errors, in: ${[...new Set(failed.map((r) => r.name))].join(', ')} (the servers' logs: ${sides.map((s) => s.logFile).join(', ')})`,
    );
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
