/**
 * The PostgreSQL store of `pnpm bench:traffic` (lib/stores.ts) on the local server (`SECURE_INBOX_TEST_DATABASE_URL`):
 * a run's database of its own, kept as a template under the cache key, copied for the next run, dropped at the end.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ensureDb } from '../generate.js';
import { postgresCopyOf, stores, storesOption, templateOf } from '../lib/stores.js';

const adminUrl = process.env.SECURE_INBOX_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const databaseOf = (url: string) => new URL(url).pathname.slice(1);
const databases = async () => ((await query(adminUrl, 'SELECT datname FROM pg_database')) as { datname: string }[]).map((r) => r.datname);

describe('the PostgreSQL store', () => {
  it('gives each run a database of its own, keeps it as a template and copies it for the next run', async () => {
    expect(await stores.postgres.unavailable()).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'bench-stores-'));
    const cacheDir = join(dir, `postgres-${'1-'.repeat(40)}cache-key-longer-than-a-database-name-may-be`);
    expect(await stores.postgres.cached(cacheDir, dir)).toBeNull();

    const first = await stores.postgres.empty(dir);
    const firstUrl = first.env.SECURE_INBOX_DATABASE_URL!;
    await query(firstUrl, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
    const before = await databases();
    await first.keep(cacheDir);
    // Other suites may create databases meanwhile: only the bench's templates count.
    const template = (await databases()).filter((name) => !before.includes(name) && /^secure_inbox_bench_[0-9a-f]+$/.test(name));
    expect(template).toHaveLength(1);
    expect(Buffer.byteLength(template[0]!)).toBeLessThanOrEqual(63);
    writeFileSync(join(cacheDir, 'written.json'), '{}');
    await first.dispose();
    expect(await databases()).not.toContain(databaseOf(firstUrl));

    const second = await stores.postgres.cached(cacheDir, dir);
    try {
      const secondUrl = second!.env.SECURE_INBOX_DATABASE_URL!;
      expect(databaseOf(secondUrl)).not.toBe(databaseOf(firstUrl));
      expect(await query(secondUrl, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
    } finally {
      await second?.dispose();
    }
    await query(adminUrl, `DROP DATABASE "${template[0]}"`);
  }, 30_000);

  it('keeps the data of two checkouts of the same build apart: the template is named after the whole cache path', () => {
    const key = 'postgres-100-1000-20-4000-16000-7dbcf541-b484c311634d';
    const mine = templateOf(join('/work/one/bench/.data/traffic/cache', key));
    const theirs = templateOf(join('/work/two/bench/.data/traffic/cache', key));
    expect(mine).not.toBe(theirs);
    expect(mine).toMatch(/^secure_inbox_bench_[0-9a-f]{16}$/);
    expect(templateOf(join('/work/one/bench/.data/traffic/cache', key))).toBe(mine);
  });
});

describe('a generated SQLite database on PostgreSQL', () => {
  it('is copied into a database of its own that holds the same messages, dropped when the run is done', async () => {
    const { file } = ensureDb('3000', { log: () => {} });
    const dir = mkdtempSync(join(tmpdir(), 'bench-stores-'));
    const run = await postgresCopyOf(file, dir);
    const url = run.env.SECURE_INBOX_DATABASE_URL!;
    try {
      expect(databaseOf(url)).toMatch(/^secure_inbox_bench_run_/);
      expect(await query(url, 'SELECT count(*)::int AS n FROM messages')).toEqual([{ n: 3000 }]);
    } finally {
      await run.dispose();
    }
    expect(await databases()).not.toContain(databaseOf(url));
  }, 120_000);

  it('reads --store: one store, or both, SQLite first', () => {
    expect(storesOption('sqlite')).toEqual(['sqlite']);
    expect(storesOption('postgres')).toEqual(['postgres']);
    expect(storesOption('both')).toEqual(['sqlite', 'postgres']);
    expect(storesOption('mysql')).toBeNull();
  });
});
