/**
 * `secure-inbox copy-to-postgres`: copies the SQLite installation named by the environment (SECURE_INBOX_DB, and the
 * attachment files under SECURE_INBOX_DATA_DIR) into the empty PostgreSQL database at SECURE_INBOX_DATABASE_URL,
 * then prints one line per table comparing the counts. Exit code 0 once committed, 1 when it refused, failed or a
 * count differed (nothing committed then).
 */
import { ConfigError, loadDatabaseConfig } from './config.js';
import { copySqliteToPostgres, reason } from './store/postgres/copy.js';
import { DATABASE_URL_VARIABLE, parseDatabaseUrl } from './store/postgres/url.js';

async function run(env: NodeJS.ProcessEnv): Promise<number> {
  const { dbFile } = loadDatabaseConfig(env);
  const dataDir = env.SECURE_INBOX_DATA_DIR?.trim() || './data';
  const target = parseDatabaseUrl(env);
  if (!target) throw new ConfigError(`${DATABASE_URL_VARIABLE} must name the PostgreSQL database to copy into (postgres://user:password@host:5432/database).`);
  const { counts, differing } = await copySqliteToPostgres({ sqliteFile: dbFile, dataDir, target, log: (line) => console.log(line) });
  for (const c of counts) {
    const bytes = c.sourceBytes === undefined ? '' : `, ${c.sourceBytes} bytes on SQLite's disk, ${c.targetBytes} in PostgreSQL`;
    console.log(
      `${c.source === c.target && c.sourceBytes === c.targetBytes ? 'same' : 'DIFFERS'}  ${c.table}: ${c.source} on SQLite, ${c.target} in PostgreSQL${bytes}`,
    );
  }
  if (differing.length > 0) {
    console.error(`copy-to-postgres: ${differing.join(', ')} differ${differing.length === 1 ? 's' : ''} between the two databases; nothing was committed.`);
    return 1;
  }
  console.log(`copy-to-postgres: every table and attachment file copied and committed into "${target.database}" at ${target.address}.`);
  return 0;
}

try {
  process.exitCode = await run(process.env);
} catch (error) {
  const message = reason(error);
  console.error(
    error instanceof ConfigError
      ? `copy-to-postgres: ${message} No rows were written to PostgreSQL.`
      : `copy-to-postgres failed: ${message}. The copy was rolled back: no rows were written to PostgreSQL.`,
  );
  process.exitCode = 1;
}
