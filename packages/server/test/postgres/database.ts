/**
 * PostgreSQL for tests: `SECURE_INBOX_TEST_DATABASE_URL` (default the local server) names a database to connect
 * to as an administrator; each test file gets a database of its own, copied from a template that holds the
 * migrated schema (building the schema once per set of migrations, copying it in milliseconds after that), and
 * dropped at the end.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migratePostgres, migrationsFolder } from '../../src/store/postgres/migrate.js';

export const testDatabaseUrl = process.env.SECURE_INBOX_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Taken in the administrator's database while a template is looked for or built. */
const TEMPLATE_LOCK = 0x5ec0_7e57;

/** The URL of database `name` on the test server. */
export function databaseUrl(name: string): string {
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `No PostgreSQL answers at ${testDatabaseUrl} (${(error as Error).message}): install one with \`apt-get install -y postgresql\` ` +
        'and start it with `pg_ctlcluster <version> main start`, or set SECURE_INBOX_TEST_DATABASE_URL.',
      { cause: error },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The template's name: it changes whenever a migration does, so a stale template is never copied. Templates of
 * earlier migrations stay (another checkout may still copy them) and can be dropped at any time:
 * `psql -c 'DROP DATABASE secure_inbox_template_<hash>'`.
 */
function templateName(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsFolder)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash.update(file).update(readFileSync(join(migrationsFolder, file)));
  }
  hash.update(readFileSync(join(migrationsFolder, 'meta/_journal.json')));
  return `secure_inbox_template_${hash.digest('hex').slice(0, 16)}`;
}

async function exists(client: pg.Client, name: string): Promise<boolean> {
  return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

/** The migrated template, built under a lock the first time any test file asks for it. */
async function ensureTemplate(client: pg.Client): Promise<string> {
  const name = templateName();
  if (await exists(client, name)) return name;
  await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
  try {
    if (await exists(client, name)) return name;
    // Built under another name and renamed once migrated: a half-built template is never copied.
    const building = `${name}_building`;
    await client.query(`DROP DATABASE IF EXISTS ${ident(building)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${ident(building)}`);
    await migratePostgres(databaseUrl(building));
    await client.query(`ALTER DATABASE ${ident(building)} RENAME TO ${ident(name)}`);
    return name;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new database; `migrated: false` gives an empty one (to test migrations themselves). */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `secure_inbox_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (client) => {
    const template = options.migrated === false ? 'template0' : await ensureTemplate(client);
    await client.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)}`);
  });
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      withAdmin(async (client) => {
        // Connections a test's pools are still closing are let go first: FORCE would end them with an error
        // (57P01) that a client half way through closing reports as unhandled. After two seconds, FORCE ends what is left.
        for (let waited = 0; waited < 2_000; waited += 50) {
          const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (rows[0]!.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await client.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
      }),
  };
}

/**
 * For a test file: a fresh migrated database before its tests and dropped after them, and a pool on it
 * (`pool()`), ended before the drop.
 */
export function useTestDatabase(options: { migrated?: boolean } = {}) {
  let database: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(options);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });
  const url = (): string => {
    if (!database) throw new Error('the test database exists from beforeAll on');
    return database.url;
  };
  return {
    url,
    pool: (): pg.Pool => (pool ??= new pg.Pool({ connectionString: url(), max: 4 })),
  };
}

/**
 * A database made in the background, for code that needs one at once but can wait for its first connection
 * (test/helpers.ts `makeTestApp`, which is synchronous): its name and URL now, `ready` once it exists, and a
 * pool and clients (the wake listener's) whose connections wait for `ready` before they connect.
 */
export function databaseInTheBackground(): TestDatabase & { ready: Promise<void>; pool(max: number): pg.Pool; client(): pg.Client } {
  const name = `secure_inbox_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const ready = withAdmin(async (client) => {
    const template = await ensureTemplate(client);
    await client.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)}`);
  });
  // Whoever connects first hears of a failure; until then it must not count as unhandled.
  ready.catch(() => undefined);
  class AfterCreation extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: (error: Error) => void): void;
    override connect(callback?: (error: Error) => void): Promise<pg.Client> | void {
      const connected = ready.then(() => super.connect());
      if (!callback) return connected;
      connected.then(
        () => callback(null as unknown as Error),
        (error: Error) => callback(error),
      );
    }
  }
  const url = databaseUrl(name);
  return {
    name,
    url,
    ready,
    pool: (max) => new pg.Pool({ connectionString: url, max, Client: AfterCreation }),
    client: () => new AfterCreation({ connectionString: url, keepAlive: true }),
    drop: async () => {
      await ready.catch(() => undefined);
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`));
    },
  };
}
