/**
 * The stores `pnpm bench:traffic` can run the server on (`--store`). Each says how to give a server an empty store,
 * how to keep a store holding the generated data for later runs, and how to hand a run its own copy of it, so that the
 * writes of one run never reach the next. Adding a store is one entry of `stores`.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface StoreRun {
  /** The server's environment for this store. */
  env: Record<string, string>;
  /** Keeps what the server wrote as the cached data of `key` (the server is stopped). */
  keep(cacheDir: string): void;
  /** Frees what the run used. */
  dispose(): Promise<void>;
}

export interface Store {
  /** Why the store cannot be used here, or null when it can: asked before anything starts. */
  unavailable(): string | null;
  /** A store with nothing in it, for writing the data through the API. */
  empty(runDir: string): Promise<StoreRun>;
  /** A copy of the data kept under `cacheDir`, or null when there is none. */
  cached(cacheDir: string, runDir: string): Promise<StoreRun | null>;
}

const SQLITE_FILES = ['', '-wal', '-shm'];

function sqliteRun(file: string): StoreRun {
  return {
    env: { SECURE_INBOX_DB: file },
    keep(cacheDir) {
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
  unavailable: () => null,
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
 * PostgreSQL, once the server reads SECURE_INBOX_DATABASE_URL: `empty` creates a database of its own for the run and
 * points SECURE_INBOX_DATABASE_URL at it, `keep` copies it to a template database named after the cache key, `cached`
 * creates the run's database from that template (CREATE DATABASE … TEMPLATE …), `dispose` drops the run's database.
 */
const POSTGRES_MISSING = 'the PostgreSQL store is not available in this build';
const postgres: Store = {
  unavailable: () => POSTGRES_MISSING,
  async empty() {
    throw new StoreUnavailable(POSTGRES_MISSING);
  },
  async cached() {
    throw new StoreUnavailable(POSTGRES_MISSING);
  },
};

export class StoreUnavailable extends Error {}

export const stores = { sqlite, postgres } satisfies Record<string, Store>;
export type StoreName = keyof typeof stores;

export function storeNamed(name: string): Store {
  if (!(name in stores)) throw new StoreUnavailable(`--store must be one of ${Object.keys(stores).join(', ')} (got "${name}")`);
  return stores[name as StoreName];
}
