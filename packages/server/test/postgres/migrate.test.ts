import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getTableName, is, sql } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from '../../src/store/postgres/schema.js';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { connectPostgres } from '../../src/store/postgres/db.js';
import { SHARED_TABLES } from '../../src/store/postgres/cluster/counters.js';
import { migratePostgres, migrationsFolder } from '../../src/store/postgres/migrate.js';
import { parseDatabaseUrl } from '../../src/store/postgres/url.js';
import { createTestDatabase, useTestDatabase } from './database.js';

const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };

/** Runs migratePostgres(url) in a process of its own, as a server instance starting does. */
function migrateInProcess(url: string): Promise<void> {
  const script = `import(${JSON.stringify(pathToFileURL(join(migrationsFolder, '../src/store/postgres/migrate.ts')).href)}).then((m) => m.migratePostgres(process.env.URL))`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, URL: url } }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
    );
  });
}

describe('migratePostgres', () => {
  const db = useTestDatabase({ migrated: false });

  it('applies every migration once when several instances start together on an empty database', async () => {
    await Promise.all(Array.from({ length: 6 }, () => migratePostgres(db.url())));
    const pool = db.pool();
    const applied = await pool.query('SELECT hash FROM drizzle.__drizzle_migrations');
    expect(applied.rowCount).toBe(journal.entries.length);
    const tables = await pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
    expect(tables.rows[0].n).toBeGreaterThan(10);
    const unaccent = await pool.query(`SELECT unaccent('Crème brûlée') AS s`);
    expect(unaccent.rows[0].s).toBe('Creme brulee');
    // No session is left waiting on or holding the lock (in this database: other test files hold advisory locks in theirs).
    const locks = await pool.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(locks.rows[0].n).toBe(0);
  });

  it('builds the tables, columns and indexes of src/store/postgres/schema.ts (no migration is missing)', async () => {
    const pool = db.pool();
    const columns = await pool.query<{ table_name: string; column_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const indexes = await pool.query<{ tablename: string; indexname: string }>(`SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'`);
    const inDatabase: Record<string, { columns: string[]; indexes: string[] }> = {};
    for (const c of columns.rows)
      (inDatabase[c.table_name] ??= { columns: [], indexes: [] }).columns.push(`${c.column_name}${c.is_nullable === 'NO' ? ' not null' : ''}`);
    for (const i of indexes.rows) if (!i.indexname.endsWith('_pkey') && !i.indexname.endsWith('_pk')) inDatabase[i.tablename]!.indexes.push(i.indexname);
    // The shared counters' UNLOGGED tables are made by a migration written by hand (cluster/counters.ts), not schema.ts.
    for (const table of SHARED_TABLES) {
      expect(inDatabase[table], `${table} is migrated`).toBeDefined();
      delete inDatabase[table];
    }
    const inSchema: typeof inDatabase = {};
    for (const table of Object.values(schema as Record<string, unknown>).filter((v): v is PgTable => is(v, PgTable))) {
      const config = getTableConfig(table);
      inSchema[getTableName(table)] = {
        columns: config.columns.map((c) => `${c.name}${c.notNull ? ' not null' : ''}`),
        indexes: config.indexes.map((i) => i.config.name!),
      };
    }
    const sorted = (shape: typeof inDatabase) =>
      Object.fromEntries(Object.entries(shape).map(([t, v]) => [t, { columns: v.columns.sort(), indexes: v.indexes.sort() }]));
    expect(sorted(inDatabase)).toEqual(sorted(inSchema));
  });

  it('migrates once when several processes start together on another empty database', async () => {
    const other = await createTestDatabase({ migrated: false });
    try {
      await Promise.all(Array.from({ length: 4 }, () => migrateInProcess(other.url)));
      const client = new pg.Client({ connectionString: other.url });
      await client.connect();
      try {
        expect((await client.query('SELECT hash FROM drizzle.__drizzle_migrations')).rowCount).toBe(journal.entries.length);
      } finally {
        await client.end();
      }
    } finally {
      await other.drop();
    }
  });

  it('does nothing on a database that is up to date', async () => {
    await migratePostgres(db.url());
    const applied = await db.pool().query('SELECT hash FROM drizzle.__drizzle_migrations');
    expect(applied.rowCount).toBe(journal.entries.length);
  });

  it('writes timestamps as SQLite does, and keeps audit rows append-only with growing counts', async () => {
    const pool = db.pool();
    const row = await pool.query(`INSERT INTO accounts (id) VALUES ('acme') RETURNING created_at`);
    expect(row.rows[0].created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(row.rows[0].created_at) - Date.now())).toBeLessThan(60_000);

    const audit = await pool.query(`INSERT INTO audit_events (action, outcome) VALUES ('read', 'denied') RETURNING id`);
    const id = audit.rows[0].id as string;
    await pool.query('UPDATE audit_events SET count = count + 1 WHERE id = $1', [id]);
    await expect(pool.query('UPDATE audit_events SET count = 1 WHERE id = $1', [id])).rejects.toThrow('counts only grow');
    await expect(pool.query(`UPDATE audit_events SET action = 'x' WHERE id = $1`, [id])).rejects.toThrow('append-only');
    await expect(pool.query('DELETE FROM audit_events WHERE id = $1', [id])).rejects.toThrow('append-only');
  });

  it('refuses a connection that cannot migrate with the error of the server', async () => {
    const url = new URL(db.url());
    url.pathname = '/secure_inbox_no_such_database';
    await expect(migratePostgres(url.toString())).rejects.toThrow(/does not exist/);
    // Nothing was left connected.
    const client = new pg.Client({ connectionString: db.url() });
    await client.connect();
    await client.end();
  });

  it('starts a server on it: checked, migrated, pooled; or refused with a sentence when nothing answers', async () => {
    const store = await connectPostgres(parseDatabaseUrl({ SECURE_INBOX_DATABASE_URL: db.url() })!, { max: 1 });
    try {
      const rows = await store.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
      expect(rows.rows[0]!.n).toBe(journal.entries.length);
    } finally {
      await store.$client.end();
    }
    const nowhere = parseDatabaseUrl({ SECURE_INBOX_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' })!;
    await expect(connectPostgres(nowhere)).rejects.toThrow(new ConfigError('SECURE_INBOX_DATABASE_URL: no PostgreSQL answers at 127.0.0.1:1 (ECONNREFUSED).'));
  });
});
