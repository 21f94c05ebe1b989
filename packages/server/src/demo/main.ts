/**
 * `pnpm start`: the demo. Opens (or creates) the SQLite file, seeds the demo data once, and serves
 * the demo portal at `/` next to the API. Not for production: `pnpm serve` has no demo login.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { runOrExplain, startServer } from '../server.js';
import { closeLane, openDb } from '../store/sqlite/client.js';
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
  // Seeded before the server opens the file: its writer thread then starts on the seeded data.
  void seedOnce(config.dbFile).then(
    (seed) =>
      startServer(config, {
        mount: (root) => root.route('/', demoRoutes()),
        noticeLink: demoNoticeLink,
        onListening: (url) => {
          const lines = [
            `Secure Inbox demo listening on ${url}`,
            seed.seeded ? `Seeded ${seed.conversations} demo conversations into ${config.dbFile}.` : `Kept the existing data in ${config.dbFile}.`,
            'Demo users (pick one on the page):',
            ...demoUserList.map((u) => `  ${u.id.padEnd(14)} ${u.role.padEnd(8)} ${u.name} — ${accountNamesOf(u).join(', ')}`),
          ];
          console.log(lines.join('\n'));
        },
      }),
    (error: unknown) => {
      console.error(`Secure Inbox demo cannot start: the demo data could not be written (${error instanceof Error ? error.message : String(error)}).`);
      process.exit(1);
    },
  );
}

/** Opens (and migrates) the file, seeds it unless it holds data, and closes it again. */
async function seedOnce(file: string) {
  const db = openDb(file);
  try {
    return await seedDemo(db);
  } finally {
    closeLane(db);
    db.$client.close();
  }
}

runOrExplain('Secure Inbox demo', start);
