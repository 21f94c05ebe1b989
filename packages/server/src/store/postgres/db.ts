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

/**
 * How long a new connection may take. node-postgres waits for ever by default: a database that accepts connections
 * and never answers (a network that swallows packets) would hold every request until the client gave up.
 */
export const CONNECT_TIMEOUT_MS = 5_000;

/** A pool of at most `max` connections to `url`, and Drizzle over it. */
export function openPostgres(url: string, options: { max?: number } = {}): PgDb {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  return postgresDb(pool);
}

/**
 * node-postgres' own errors for a connection that was lost or could not be made in time. They carry no SQLSTATE
 * (the server never said anything), only these sentences (pg's client.js, pg-pool's index.js).
 */
const CONNECTION_LOST = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
]);

/** Whether `error` is node-postgres saying the connection to the server was lost or never made. */
export function lostConnection(error: unknown): boolean {
  return error instanceof Error && CONNECTION_LOST.has(error.message);
}

/** Drizzle over `pool`, as the store uses it. */
export function postgresDb(pool: pg.Pool): PgDb {
  // An idle connection the server closed is replaced by the pool; it is not an uncaught error.
  pool.on('error', () => undefined);
  // Nor is one lost while checked out between two statements (a transaction's, waiting on the lane or on its
  // caller): node-postgres would emit it with no listener, an uncaught exception that ends the process. The
  // statement that uses it next fails instead (`lostConnection`), and the pool drops it when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return drizzle({ client: pool, schema, casing: 'snake_case' });
}

/** Drizzle over each pooled connection, made once per connection: making it costs about half a millisecond. */
const overConnection = new WeakMap<pg.PoolClient, PgDb>();

/**
 * Runs `fn` with Drizzle over one connection checked out of `db`'s pool, and gives it back however `fn` ends
 * (the pool drops it when it was lost). Drizzle's own `transaction` on a pool leaves the connection checked out
 * for good when its BEGIN fails, as it does when the connection is lost just before (a database restarting): each
 * such loss would take one connection from the pool until none was left. A `db` on a single client runs `fn` as is.
 */
export async function onOneConnection<T>(db: PgDb, fn: (one: PgDb) => Promise<T>): Promise<T> {
  if (!(db.$client instanceof pg.Pool)) return fn(db);
  const client = await db.$client.connect();
  try {
    let one = overConnection.get(client);
    if (!one) overConnection.set(client, (one = drizzle({ client, schema, casing: 'snake_case' }) as unknown as PgDb));
    return await fn(one);
  } finally {
    client.release();
  }
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
