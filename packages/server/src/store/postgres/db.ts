/** A Drizzle database on a node-postgres pool, with the PostgreSQL schema. */
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { migratePostgres } from './migrate.js';
import * as schema from './schema.js';
import { checkDatabase, type DatabaseUrl } from './url.js';

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

/**
 * `bigint` (int8) values read as numbers, as SQLite gives them: the store's bigints are sequence values, sizes and
 * counts, far below 2^53. node-postgres reads them as strings by default, and Drizzle's node-postgres driver asks
 * node-postgres' process-wide parsers for every type it does not parse itself, so the parser is set process-wide.
 */
pg.types.setTypeParser(pg.types.builtins.INT8, Number);

/** A pool of at most `max` connections to `url`, and Drizzle over it. */
export function openPostgres(url: string, options: { max?: number } = {}): PgDb {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  return postgresDb(pool);
}

/** Drizzle over `pool`, as the store uses it. */
export function postgresDb(pool: pg.Pool): PgDb {
  // An idle connection the server closed is replaced by the pool; it is not an uncaught error.
  pool.on('error', () => undefined);
  return drizzle({ client: pool, schema, casing: 'snake_case' });
}

/**
 * Start-up on PostgreSQL: checks that the server at `target` answers (a ConfigError naming
 * SECURE_INBOX_DATABASE_URL and host:port otherwise), applies the migrations under their lock, then opens the pool.
 */
export async function connectPostgres(target: DatabaseUrl, options: { max?: number; timeoutMs?: number } = {}): Promise<PgDb> {
  await checkDatabase(target, { timeoutMs: options.timeoutMs });
  await migratePostgres(target.url);
  return openPostgres(target.url, { max: options.max });
}
