/**
 * Load from this process against a server in another: a sequential pass for latency percentiles
 * (one keep-alive connection, sub-millisecond resolution) and an autocannon pass for throughput
 * with several connections.
 */
import autocannon from 'autocannon';
import http from 'node:http';

export interface Target {
  method?: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Figures {
  name: string;
  /** Sequential latency, ms. */
  p50: number;
  p95: number;
  p99: number;
  /** Requests per second under load (autocannon). */
  rps: number;
  /** Latency under load, ms (autocannon, 1 ms resolution). */
  loadedP50: number;
  loadedP99: number;
  requests: number;
  connections: number;
  extra?: Record<string, unknown>;
}

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
export const DURATION = env('BENCH_DURATION', 8);
export const CONNECTIONS = env('BENCH_CONNECTIONS', 16);
export const SAMPLES = env('BENCH_SAMPLES', 300);
/** Seconds of load before each measurement (JIT, caches, first sign-in of each user). */
export const WARMUP = env('BENCH_WARMUP', 2);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One request; a keep-alive socket the server closed meanwhile is retried once on a fresh one. */
async function once(base: string, target: Target): Promise<{ ms: number; status: number; body: string }> {
  try {
    return await attempt(base, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    return attempt(base, target);
  }
}

function attempt(base: string, target: Target): Promise<{ ms: number; status: number; body: string }> {
  const url = new URL(target.path, base);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: target.method ?? 'GET', headers: target.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    if (target.body) req.end(target.body);
    else req.end();
  });
}

/** One request, checked: returns the JSON body. */
export async function fetchJson(base: string, target: Target): Promise<any> {
  const res = await once(base, target);
  if (res.status < 200 || res.status >= 300) throw new Error(`${target.method ?? 'GET'} ${target.path} answered ${res.status}: ${res.body.slice(0, 300)}`);
  return res.body ? JSON.parse(res.body) : null;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

/** Sequential latency over `samples` requests cycling through the targets (after a short warm-up). */
export async function sequential(base: string, targets: Target[], samples = SAMPLES) {
  for (let i = 0; i < Math.min(50, samples); i++) await once(base, targets[i % targets.length]!);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const target = targets[i % targets.length]!;
    const res = await once(base, target);
    if (res.status < 200 || res.status >= 300) throw new Error(`${target.method ?? 'GET'} ${target.path} answered ${res.status}: ${res.body.slice(0, 300)}`);
    times.push(res.ms);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p95: pct(times, 95), p99: pct(times, 99) };
}

/** Throughput with autocannon: connection i sends targets[i % n] over and over. */
export async function throughput(base: string, targets: Target[], options: { duration?: number; connections?: number } = {}) {
  let next = 0;
  const result = await autocannon({
    url: base,
    connections: options.connections ?? CONNECTIONS,
    duration: options.duration ?? DURATION,
    setupClient(client) {
      const target = targets[next++ % targets.length]!;
      client.setRequests([{ method: target.method ?? 'GET', path: target.path, headers: target.headers, body: target.body }]);
    },
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0)
    throw new Error(`${failed} of ${result.requests.total} requests failed (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total };
}

/** Both passes for one benchmark. */
export async function measure(
  name: string,
  base: string,
  targets: Target[],
  options: { duration?: number; connections?: number; samples?: number } = {},
): Promise<Figures> {
  if (WARMUP > 0) await throughput(base, targets, { ...options, duration: Math.min(WARMUP, options.duration ?? WARMUP) });
  const latency = await sequential(base, targets, options.samples);
  const load = await throughput(base, targets, options);
  return {
    name,
    ...latency,
    rps: load.rps,
    loadedP50: load.p50,
    loadedP99: load.p99,
    requests: load.total,
    connections: options.connections ?? CONNECTIONS,
  };
}
