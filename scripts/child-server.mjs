// Starting servers for the end-to-end tests, the benchmarks and the screenshots: a free loopback port, and a
// Node child process that counts as started once a URL of it answers.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Runs `node ...args` in `cwd` and waits until `readyUrl` answers 2xx. Rejects with the child's output when it
 * exits first or does not answer within `timeoutMs`.
 */
export async function startChild({ args, cwd, env = {}, readyUrl, timeoutMs = 30_000 }) {
  let log = '';
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk) => (log = (log + chunk).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node ${args.join(' ')} exited early:\n${log}`);
    try {
      if ((await fetch(readyUrl)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node ${args.join(' ')} did not answer ${readyUrl} within ${timeoutMs / 1000} s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid,
    output: () => log,
    /** SIGTERM, then SIGKILL if it is still there after 5 s. */
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
