/**
 * End-to-end harness: the real demo server (real SQLite file, real bundle) in a child process,
 * and Debian's Chromium driven by playwright-core. In the project `e2e on PostgreSQL` (vitest.config.ts)
 * the server stores everything in a fresh PostgreSQL database instead (SECURE_INBOX_DATABASE_URL).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { freePort, startChild } from '../scripts/child-server.mjs';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.mjs';
import { createTestDatabase } from '../packages/server/test/postgres/database.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const serverDir = join(root, 'packages/server');

export { freePort };

export interface RunningServer {
  url: string;
  dataDir: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Whether this run's servers store everything in PostgreSQL (the project `e2e on PostgreSQL`). */
export const onPostgres = process.env.SECURE_INBOX_E2E_STORE === 'postgres';

/** Starts `src/demo/main.ts` (or another entry) on a fresh data folder (and database) and waits for /healthz. */
export async function startServer(options: { entry?: string; env?: Record<string, string> } = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'secure-inbox-e2e-'));
  const database = onPostgres ? await createTestDatabase() : null;
  const child = await startChild({
    args: ['--import', 'tsx', options.entry ?? 'src/demo/main.ts'],
    cwd: serverDir,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      SECURE_INBOX_DB: join(dataDir, 'secure-inbox.db'),
      SECURE_INBOX_DATA_DIR: dataDir,
      SECURE_INBOX_PUBLIC_URL: `http://127.0.0.1:${port}/`,
      SECURE_INBOX_RATE_LIMIT: '0',
      ...(database ? { SECURE_INBOX_DATABASE_URL: database.url } : {}),
      ...options.env,
    },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
  });
  const stop = async () => {
    await child.stop();
    await database?.drop();
  };
  return { url: `http://127.0.0.1:${port}`, dataDir, output: child.output, stop };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
  });
}

/** A token for a demo user, minted by the demo's own `POST /demo/token`. */
export async function demoToken(server: RunningServer, userId: string): Promise<string> {
  const response = await fetch(`${server.url}/demo/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  if (response.status !== 200) throw new Error(`POST /demo/token for ${userId}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** A JSON request to the API as a demo user; `json` is null for an empty answer. */
export async function demoApi<T>(server: RunningServer, userId: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${await demoToken(server, userId)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as T };
}
