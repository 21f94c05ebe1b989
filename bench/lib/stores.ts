/**
 * The stores `pnpm bench:traffic` can run the server on (`--store`). Each says how to give a server an empty store,
 * how to keep a store holding the generated data for later runs, and how to hand a run its own copy of it, so that the
 * writes of one run never reach the next. Adding a store is one entry of `stores`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { copySqliteToPostgres } from '../../packages/server/src/store/postgres/copy.js';
import { parseDatabaseUrl } from '../../packages/server/src/store/postgres/url.js';

export interface StoreRun {
  /** The server's environment for this store. */
  env: Record<string, string>;
  /** Keeps what the server wrote as the cached data of `key` (the server is stopped). */
  keep(cacheDir: string): Promise<void>;
  /** Frees what the run used. */
  dispose(): Promise<void>;
}

export interface Store {
  /** Why the store cannot be used here, or null when it can: asked before anything starts. */
  unavailable(): Promise<string | null>;
  /** A store with nothing in it, for writing the data through the API. */
  empty(runDir: string): Promise<StoreRun>;
  /** A copy of the data kept under `cacheDir`, or null when there is none. */
  cached(cacheDir: string, runDir: string): Promise<StoreRun | null>;
}

const SQLITE_FILES = ['', '-wal', '-shm'];

function sqliteRun(file: string): StoreRun {
  return {
    env: { SECURE_INBOX_DB: file },
    async keep(cacheDir) {
      mkdirSync(cacheDir, { recursive: true });
      for (const suffix of SQLITE_FILES) {
        rmSync(join(cacheDir, 'inbox.db' + suffix), { force: true });
        if (existsSync(file + suffix)) copyFileSync(file + suffix, join(cacheDir, 'inbox.db' + suffix));
      }
    },
    async dispose() {
      for (const suffix of SQLITE_FILES) rmSync(file + suffix, { force: true });
    },
  };
}

const sqlite: Store = {
  unavailable: async () => null,
  async empty(runDir) {
    const file = join(runDir, 'inbox.db');
    for (const suffix of SQLITE_FILES) rmSync(file + suffix, { force: true });
    return sqliteRun(file);
  },
  async cached(cacheDir, runDir) {
    if (!existsSync(join(cacheDir, 'inbox.db'))) return null;
    const file = join(runDir, 'inbox.db');
    for (const suffix of SQLITE_FILES) {
      rmSync(file + suffix, { force: true });
      if (existsSync(join(cacheDir, 'inbox.db' + suffix))) copyFileSync(join(cacheDir, 'inbox.db' + suffix), file + suffix);
    }
    return sqliteRun(file);
  },
};

/**
 * PostgreSQL: `empty` creates a database of its own for the run and points SECURE_INBOX_DATABASE_URL at it (the server
 * migrates it on start), `keep` copies it to a template database named after the cache key, `cached` creates the run's
 * database from that template (CREATE DATABASE … TEMPLATE …), `dispose` drops the run's database. The administrator's
 * URL is the tests' one, `SECURE_INBOX_TEST_DATABASE_URL`.
 *
 * A template stays when its cache directory is dropped for a newer build; `psql -c 'DROP DATABASE
 * secure_inbox_bench_<hash>'` frees it (they are listed by `psql -l`).
 */
const adminUrl = () => process.env.SECURE_INBOX_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The template of a cache directory: a hash, since a database name holds at most 63 bytes and the key is longer. Of
 * the whole path, not the key alone: two checkouts of the same build on one PostgreSQL server have the same key, and
 * each keeps the ids of its own data (written.json) beside its cache, so a template they shared would be overwritten
 * by one under the other's ids (every reply to a conversation of the other's data then answers 404).
 */
export const templateOf = (cacheDir: string) => `secure_inbox_bench_${createHash('sha256').update(resolve(cacheDir)).digest('hex').slice(0, 16)}`;

async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

/** The run's database, created (from `template`, or empty) under a name no other run has. */
async function postgresRun(template?: string): Promise<StoreRun> {
  const name = `secure_inbox_bench_run_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ''}`));
  return {
    env: { SECURE_INBOX_DATABASE_URL: databaseUrl(name) },
    async keep(cacheDir) {
      mkdirSync(cacheDir, { recursive: true });
      const kept = templateOf(cacheDir);
      await withAdmin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${ident(kept)} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${ident(kept)} TEMPLATE ${ident(name)}`);
      });
    },
    dispose: () => withAdmin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`))),
  };
}

const postgres: Store = {
  async unavailable() {
    try {
      await withAdmin((c) => c.query('SELECT 1'));
      return null;
    } catch (error) {
      return (
        `no PostgreSQL answers at ${adminUrl()} (${(error as Error).message}): install one with \`apt-get install -y postgresql\` ` +
        "and start it with `pg_ctlcluster <version> main start`, or set SECURE_INBOX_TEST_DATABASE_URL to an administrator's URL"
      );
    }
  },
  empty: () => postgresRun(),
  async cached(cacheDir) {
    const template = templateOf(cacheDir);
    if (!existsSync(join(cacheDir, 'written.json')) || !(await withAdmin((c) => databaseExists(c, template)))) return null;
    return postgresRun(template);
  },
};

/**
 * A PostgreSQL database of the run's own holding a copy of a SQLite installation (its file and the attachments under
 * `dataDir`), made the way `secure-inbox copy-to-postgres` makes one; `dispose` drops it. For the benchmarks that run
 * on a generated SQLite database (bench/generate.ts), so that both stores serve the same data.
 */
export async function postgresCopyOf(sqliteFile: string, dataDir: string, log: (line: string) => void = () => {}): Promise<StoreRun> {
  const run = await postgresRun();
  try {
    const target = parseDatabaseUrl({ SECURE_INBOX_DATABASE_URL: run.env.SECURE_INBOX_DATABASE_URL });
    if (!target) throw new Error(`not a PostgreSQL URL: ${run.env.SECURE_INBOX_DATABASE_URL}`);
    const { counts, differing } = await copySqliteToPostgres({ sqliteFile, dataDir, target, log });
    if (differing.length) throw new Error(`copying ${sqliteFile} to PostgreSQL: ${differing.join(', ')} differ (${JSON.stringify(counts)})`);
    return run;
  } catch (error) {
    await run.dispose();
    throw error;
  }
}

/** The stores a benchmark's `--store` names: one of them, or `both` (SQLite first). */
export function storesOption(raw: string): StoreName[] | null {
  if (raw === 'both') return ['sqlite', 'postgres'];
  return raw in stores ? [raw as StoreName] : null;
}

export class StoreUnavailable extends Error {}

export const stores = { sqlite, postgres } satisfies Record<string, Store>;
export type StoreName = keyof typeof stores;

export function storeNamed(name: string): Store {
  if (!(name in stores)) throw new StoreUnavailable(`--store must be one of ${Object.keys(stores).join(', ')} (got "${name}")`);
  return stores[name as StoreName];
}
