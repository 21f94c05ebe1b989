/**
 * `secure-inbox migrate`: applies the migrations that have not run yet, to the PostgreSQL at SECURE_INBOX_DATABASE_URL
 * when it is set (under the lock a start takes), or else to the SQLite file, created if need be.
 */
import { loadDatabaseConfig } from './config.js';
import { checkDatabase } from './store/postgres/url.js';
import { migratePostgres } from './store/postgres/migrate.js';
import { openDb } from './store/sqlite/client.js';
import { runOrExplain } from './server.js';

runOrExplain('Secure Inbox', async () => {
  const { dbFile, dbSynchronous, database } = loadDatabaseConfig();
  if (database) {
    await checkDatabase(database);
    await migratePostgres(database.url);
    console.log(`Secure Inbox: database "${database.database}" at ${database.address} is migrated.`);
    return;
  }
  const db = openDb(dbFile, { synchronous: dbSynchronous });
  db.$client.close();
  console.log(`Secure Inbox: ${dbFile} is migrated.`);
});
