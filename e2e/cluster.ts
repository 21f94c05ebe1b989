/**
 * Several real `serve` instances on one PostgreSQL database, for the cluster suite (tests/cluster.test.ts) and the
 * cluster benchmark (bench/cluster.ts): each instance is a process of its own (`src/main.ts`, as `pnpm serve` runs
 * it) on a port of its own, with a data folder of its own, so nothing but the database is shared. Also the client
 * side both need: tokens minted as a host site's backend mints them, JSON calls, and event streams read as the widget
 * reads them.
 *
 * The caller brings the database (the suite copies the migrated template, the benchmark starts from an empty one and
 * lets the instances migrate it as they start): this module needs nothing beyond Node.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { freePort, startChild } from '../scripts/child-server.mjs';

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '../packages/server');

export const CLUSTER_SECRET = 'cluster-secret-that-is-long-enough-0123456789';

export interface Instance {
  name: string;
  url: string;
  pid: number;
  output: () => string;
  /** Whether the process is gone (stopped or killed). */
  readonly gone: boolean;
  /** `kill -9`: no drain, no goodbye to the database; resolves once the process has exited. */
  kill: () => Promise<void>;
  /** SIGTERM (the server drains and exits). */
  stop: () => Promise<void>;
}

export interface Cluster {
  instances: Instance[];
  stop: () => Promise<void>;
}

/** Starts one instance on `databaseUrl` and waits for its /healthz. */
export async function startInstance(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<Instance> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `secure-inbox-cluster-${name}-`));
  const child = await startChild({
    args: ['--import', 'tsx', 'src/main.ts'],
    cwd: serverDir,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      SECURE_INBOX_DATABASE_URL: databaseUrl,
      // Ignored while the database URL is set; pointed at the instance's own folder so nothing could be shared by accident.
      SECURE_INBOX_DB: join(dataDir, 'unused.db'),
      SECURE_INBOX_DATA_DIR: dataDir,
      SECURE_INBOX_PUBLIC_URL: `http://127.0.0.1:${port}/`,
      SECURE_INBOX_JWT_SECRET: CLUSTER_SECRET,
      SECURE_INBOX_RATE_LIMIT: '0',
      // A line per request costs each instance time the latency figures should not carry.
      SECURE_INBOX_LOG_LEVEL: 'warn',
      ...env,
    },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
    timeoutMs: 60_000,
  });
  let gone = false;
  const exited = async () => {
    // A process ended by a signal keeps exitCode null, so startChild's stop would wait for an exit that already
    // happened: wait here until the pid is gone (Node reaps its children) instead.
    for (;;) {
      try {
        process.kill(child.pid!, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: child.output,
    get gone() {
      return gone;
    },
    async kill() {
      if (gone) return;
      gone = true;
      process.kill(child.pid!, 'SIGKILL');
      await exited();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async stop() {
      if (gone) return;
      gone = true;
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts `count` instances (A, B, …) on one database, at the same time. */
export async function startCluster(databaseUrl: string, options: { count?: number; env?: Record<string, string> } = {}): Promise<Cluster> {
  const names = Array.from({ length: options.count ?? 2 }, (_, i) => String.fromCharCode(65 + i));
  const started = await Promise.allSettled(names.map((name) => startInstance(name, databaseUrl, options.env)));
  const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(instances.map((i) => i.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return { instances, stop: async () => void (await Promise.all(instances.map((i) => i.stop()))) };
}

// ------------------------------------------------------------------ the client side

export interface Claims {
  sub: string;
  name: string;
  role: 'customer' | 'staff' | 'admin';
  accounts: string[];
  email?: string;
}

const b64 = (value: string) => Buffer.from(value).toString('base64url');

/** An HS256 token, as a host site's backend mints it. */
export function mintToken(claims: Claims, lifetimeSeconds = 3000): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64(JSON.stringify({ ...claims, aud: 'secure-inbox', iat: now, exp: now + lifetimeSeconds }));
  const signature = createHmac('sha256', CLUSTER_SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  json: T;
}

/** An answer's JSON, or its text when it is not JSON (null when empty). */
function parseOrText(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A JSON (or multipart, for a FormData body) request to an instance's API as `claims`. */
export async function call<T = any>(instance: { url: string }, claims: Claims, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${mintToken(claims)}` };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${instance.url}/api/v1${path}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: parseOrText(text) as T };
}

/** `call`, throwing unless the answer is 2xx. */
export async function ok<T = any>(instance: { url: string }, claims: Claims, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await call<T>(instance, claims, method, path, body);
  if (answer.status >= 300) throw new Error(`${method} ${path} as ${claims.sub}: ${answer.status} ${JSON.stringify(answer.json)}`);
  return answer.json;
}

export interface StreamEvent {
  /** The SSE `id:` (every event the server sends carries one). */
  id: number;
  type: string;
  data: { conversationId?: string; messageId?: string; unread?: number; [key: string]: unknown };
  /** performance.now() when the chunk holding it arrived. */
  at: number;
}

export interface EventStream {
  events: StreamEvent[];
  /** The last `id:` seen, events and bare positions alike: what a browser sends as Last-Event-ID. */
  lastId(): number | null;
  /** Resolves with the first event (already received or still to come) that `match` accepts. */
  next(match: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
}

/**
 * Opens `GET /api/v1/events` as `claims` (from `lastEventId` when given) and resolves once the server has answered
 * with the stream's first line, so an event written after that is the stream's to deliver.
 */
export async function openEvents(
  instance: { url: string },
  claims: Claims,
  options: { lastEventId?: number; onEvent?: (event: StreamEvent) => void } = {},
): Promise<EventStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${mintToken(claims)}`, accept: 'text/event-stream' };
  if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
  const response = await fetch(`${instance.url}/api/v1/events`, { headers, signal: controller.signal });
  if (response.status !== 200 || !response.body) throw new Error(`GET /events on ${instance.url} answered ${response.status}: ${await response.text()}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const events: StreamEvent[] = [];
  const waiting = new Set<{ match: (e: StreamEvent) => boolean; resolve: (e: StreamEvent) => void }>();
  let lastId: number | null = null;
  let buffer = '';
  let connected = () => {};
  const first = new Promise<void>((resolve) => (connected = resolve));
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const at = performance.now();
      connected();
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type: string | undefined;
        let data: string | undefined;
        let id: number | undefined;
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) type = line.slice(7);
          else if (line.startsWith('data: ')) data = line.slice(6);
          else if (line.startsWith('id: ')) id = Number(line.slice(4));
        }
        if (id !== undefined) lastId = id;
        if (type === undefined || id === undefined) continue;
        const event: StreamEvent = { id, type, data: data ? JSON.parse(data) : {}, at };
        events.push(event);
        options.onEvent?.(event);
        for (const w of waiting) {
          if (w.match(event)) {
            waiting.delete(w);
            w.resolve(event);
          }
        }
      }
    }
  })().catch(() => undefined);
  await first;
  return {
    events,
    lastId: () => lastId,
    next(match, timeoutMs = 5_000) {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const entry = {
          match,
          resolve: (e: StreamEvent) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        const timer = setTimeout(() => {
          waiting.delete(entry);
          reject(new Error(`no matching event on ${instance.url} within ${timeoutMs} ms (received: ${JSON.stringify(events.map((e) => [e.id, e.type]))})`));
        }, timeoutMs);
        waiting.add(entry);
      });
    },
    close: () => controller.abort(),
  };
}

/** p-th percentile (nearest rank) of `samples`. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
