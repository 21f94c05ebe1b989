/** `secure-inbox migrate`: creates the database file if needed and applies the migrations that have not run yet. */
import { loadDatabaseConfig } from './config.js';
import { openDb } from './store/sqlite/client.js';
import { runOrExplain } from './server.js';

runOrExplain('Secure Inbox', () => {
  const { dbFile, dbSynchronous } = loadDatabaseConfig();
  const db = openDb(dbFile, { synchronous: dbSynchronous });
  db.$client.close();
  console.log(`Secure Inbox: ${dbFile} is migrated.`);
});
