/**
 * The servers under test, each in a child process of its own: the real API server (`src/main.ts`,
 * as `pnpm serve` runs it) on a generated database, and a bare Hono "hello" for the ratio.
 */
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { freePort, startChild } from '../../scripts/child-server.mjs';
import { benchDir, serverDir } from './paths.js';

export const SECRET = 'bench-secret-that-is-at-least-32-bytes-long!!';

export { freePort };

export interface Running {
  url: string;
  pid: number;
  output: () => string;
  stop: () => Promise<void>;
}

async function startProcess(args: string[], cwd: string, env: Record<string, string>, health: string): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startChild({
    args,
    cwd,
    env: { NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', ...env },
    readyUrl: url + health,
    timeoutMs: 120_000,
  });
  return { url, ...child };
}

/** The real server, as `pnpm serve` starts it, on the given database file. */
export function startApiServer(dbFile: string, dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  return startProcess(
    ['--import', 'tsx', 'src/main.ts'],
    serverDir,
    {
      SECURE_INBOX_DB: dbFile,
      SECURE_INBOX_DATA_DIR: dataDir,
      SECURE_INBOX_JWT_SECRET: SECRET,
      SECURE_INBOX_RATE_LIMIT: '0',
      ...env,
    },
    '/healthz',
  );
}

/** A bare Hono app answering "hello" on @hono/node-server: the yardstick. */
export function startHelloServer(): Promise<Running> {
  return startProcess(['--import', 'tsx', join(benchDir, 'lib/hello-server.ts')], benchDir, {}, '/');
}

export async function tokenFor(user: { sub: string; name: string; role: string; accounts: string[]; email?: string }): Promise<string> {
  const { sub, ...claims } = user;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience('secure-inbox')
    .setIssuedAt()
    .setExpirationTime('55m')
    .sign(new TextEncoder().encode(SECRET));
}
