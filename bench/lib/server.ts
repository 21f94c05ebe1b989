/**
 * The servers under test, each in a child process of its own: the real API server (`src/main.ts`,
 * as `pnpm serve` runs it) on a generated database, and a bare Hono "hello" for the ratio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { benchDir, serverDir } from './paths.js';

export const SECRET = 'bench-secret-that-is-at-least-32-bytes-long!!';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface Running {
  url: string;
  pid: number;
  output: () => string;
  stop: () => Promise<void>;
}

async function startProcess(args: string[], cwd: string, env: Record<string, string>, health: string): Promise<Running> {
  const port = await freePort();
  let log = '';
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (log = (log + chunk).slice(-20_000)));
  child.stderr!.on('data', (chunk) => (log = (log + chunk).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${log}`);
    try {
      if ((await fetch(url + health)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer ${health} within 120 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    output: () => log,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/** The real server, as `pnpm serve` starts it, on the given database file. */
export function startApiServer(dbFile: string, dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  return startProcess(['--import', 'tsx', 'src/main.ts'], serverDir, {
    SECURE_INBOX_DB: dbFile,
    SECURE_INBOX_DATA_DIR: dataDir,
    SECURE_INBOX_JWT_SECRET: SECRET,
    SECURE_INBOX_RATE_LIMIT: '0',
    ...env,
  }, '/healthz');
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
