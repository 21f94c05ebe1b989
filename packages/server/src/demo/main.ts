/**
 * `pnpm start`: the demo. Opens (or creates) the SQLite file, seeds the demo data once, and serves
 * the demo portal at `/` next to the API. Not for production: `pnpm serve` has no demo login.
 */
import { serve } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDb } from '../db/client.js';
import { startBackgroundJobs } from '../notify/background.js';
import { demoRoutes } from './page.js';
import { seedDemo } from './seed.js';
import { demoAlgorithm } from './token.js';
import { accountNamesOf, demoUserList } from './users.js';

/** The repository root: `pnpm --filter` runs this with the package folder as cwd, the data belongs at the root. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * The demo's own signing secret, generated at the first start and kept next to the data so that
 * tokens (and open pages) survive a restart. Used only by the demo.
 */
function demoSecret(dataDir: string): string {
  const file = join(dataDir, 'demo-secret');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (Buffer.byteLength(kept, 'utf8') >= 32) return kept;
  }
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function start() {
  const env = process.env;
  const dataDir = env.SECURE_INBOX_DATA_DIR?.trim() || join(repoRoot, 'data');
  const defaults = {
    SECURE_INBOX_DATA_DIR: dataDir,
    SECURE_INBOX_DB: join(dataDir, 'secure-inbox.db'),
    SECURE_INBOX_JWT_SECRET: env.SECURE_INBOX_JWT_SECRET?.trim() ? undefined : demoSecret(dataDir),
  };
  const config = loadConfig(env, defaults);
  demoAlgorithm(config);
  const db = openDb(config.dbFile);
  const seed = seedDemo(db);

  const app = createApp({ db, config }, { mount: (root) => root.route('/', demoRoutes()) });
  const jobs = startBackgroundJobs(db, config);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    const url = `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`;
    const lines = [
      `Secure Inbox demo listening on ${url}/`,
      seed.seeded ? `Seeded ${seed.conversations} demo conversations into ${config.dbFile}.` : `Kept the existing data in ${config.dbFile}.`,
      'Demo users (pick one on the page):',
      ...demoUserList.map((u) => `  ${u.id.padEnd(14)} ${u.role.padEnd(8)} ${u.name} — ${accountNamesOf(u).join(', ')}`),
    ];
    console.log(lines.join('\n'));
  });

  const stop = () => {
    // Open event streams would keep close() waiting: give them a moment, then leave anyway.
    setTimeout(() => process.exit(0), 2_000).unref();
    server.close();
    void jobs.stop().finally(() => {
      db.$client.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

try {
  start();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Secure Inbox demo cannot start: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
