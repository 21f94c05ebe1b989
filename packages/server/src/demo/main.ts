/**
 * `pnpm start`: the demo. Opens (or creates) the SQLite file, or the PostgreSQL database SECURE_INBOX_DATABASE_URL names, seeds the demo data once, and serves
 * the demo portal at `/` next to the API. Not for production: `pnpm serve` has no demo login.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { runOrExplain, startServer } from '../server.js';
import { demoNoticeLink, demoRoutes } from './page.js';
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

async function start() {
  const env = process.env;
  const dataDir = env.SECURE_INBOX_DATA_DIR?.trim() || join(repoRoot, 'data');
  const defaults = {
    SECURE_INBOX_DATA_DIR: dataDir,
    SECURE_INBOX_DB: join(dataDir, 'secure-inbox.db'),
    SECURE_INBOX_JWT_SECRET: env.SECURE_INBOX_JWT_SECRET?.trim() ? undefined : demoSecret(dataDir),
  };
  const config = loadConfig(env, defaults);
  demoAlgorithm(config);
  let seed: Awaited<ReturnType<typeof seedDemo>> | undefined;
  const store = config.database ? `PostgreSQL database "${config.database.database}" at ${config.database.address}` : config.dbFile;
  await startServer(config, {
    mount: (root) => root.route('/', demoRoutes()),
    noticeLink: demoNoticeLink,
    prepare: async (db) => {
      seed = await seedDemo(db);
    },
    onListening: (url) => {
      const lines = [
        `Secure Inbox demo listening on ${url}`,
        seed?.seeded ? `Seeded ${seed.conversations} demo conversations into ${store}.` : `Kept the existing data in ${store}.`,
        'Demo users (pick one on the page):',
        ...demoUserList.map((u) => `  ${u.id.padEnd(14)} ${u.role.padEnd(8)} ${u.name} — ${accountNamesOf(u).join(', ')}`),
      ];
      console.log(lines.join('\n'));
    },
  });
}

runOrExplain('Secure Inbox demo', start);
