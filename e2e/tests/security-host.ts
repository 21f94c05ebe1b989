/**
 * For the security suites: the plain server (`src/main.ts`, no demo data) with a known secret, tokens
 * minted here for any name and role, and a host page on another origin that embeds the widget the way
 * a portal does.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startServer, type RunningServer } from '../harness.js';

export const SECRET = 'e2e-security-secret-that-is-long-enough-0123456789';
const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/server');

export interface Claims {
  sub: string;
  name: string;
  role: 'customer' | 'staff' | 'admin';
  accounts: string[];
}

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An HS256 token, as a host site's backend mints it. */
export function mintToken(claims: Claims, lifetimeSeconds = 3000): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64(JSON.stringify({ ...claims, aud: 'secure-inbox', iat: now, exp: now + lifetimeSeconds }));
  const signature = createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

/** The server's own better-sqlite3, for what the API does not create (topics). */
export interface SqliteDb {
  prepare(sql: string): { run(...params: unknown[]): unknown; all(...params: unknown[]): unknown[]; get(...params: unknown[]): unknown };
  close(): void;
}
export function openServerDb(file: string): SqliteDb {
  const require = createRequire(join(serverDir, 'package.json'));
  const Database = require('better-sqlite3') as new (file: string) => SqliteDb;
  return new Database(file);
}

export interface Host {
  origin: string;
  /** Serves `body` at `path` with the given headers. */
  page(path: string, body: string, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

/** A static host site on its own port (another origin than the API). */
export async function startHost(): Promise<Host> {
  const port = await freePort();
  const pages = new Map<string, { body: string; headers: Record<string, string> }>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const found = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!found) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res
      .writeHead(200, { 'content-type': found.headers['content-type'] ?? 'text/html; charset=utf-8', 'cache-control': 'no-store', ...found.headers })
      .end(found.body);
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return {
    origin: `http://127.0.0.1:${port}`,
    page: (path, body, headers = {}) => pages.set(path, { body, headers }),
    close: () => new Promise((done) => server.close(() => done())),
  };
}

/** The plain server, allowing the host's origin. */
export async function startApi(hostOrigin: string): Promise<RunningServer & { dbFile: string }> {
  const server = await startServer({ entry: 'src/main.ts', env: { SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_ALLOWED_ORIGINS: hostOrigin } });
  return { ...server, dbFile: join(server.dataDir, 'secure-inbox.db') };
}

/** Calls the API as `claims`; throws unless the status is one of `ok`. */
export async function api(base: string, claims: Claims, method: string, path: string, body?: unknown, ok = [200, 201, 204]): Promise<any> {
  const headers: Record<string, string> = { authorization: `Bearer ${mintToken(claims)}` };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: payload });
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`${method} ${path} as ${claims.sub}: ${res.status} ${text}`);
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
