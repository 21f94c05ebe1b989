/**
 * The search index of the store `db` belongs to (store/types.ts `SearchIndex`): FTS5 on SQLite
 * (store/sqlite/search.ts), a tsvector under a GIN index on PostgreSQL (store/postgres/search.ts).
 */
import type { PgDb } from './postgres/db.js';
import { postgresSearch } from './postgres/search.js';
import { isPostgres } from './runtime.js';
import type { Db } from './sqlite/client.js';
import { sqliteSearch } from './sqlite/search.js';
import type { SearchIndex } from './types.js';

const onPostgres: SearchIndex = {
  index: (db, message) => postgresSearch.index(db as unknown as PgDb, message),
  firstMatches: (db, terms, scope, limit) => postgresSearch.firstMatches(db as unknown as PgDb, terms, scope, limit),
  conversationsMatching: (db, terms, scope) => postgresSearch.conversationsMatching(db as unknown as PgDb, terms, scope),
};

export function searchIndexOf(db: Db): SearchIndex {
  return isPostgres(db) ? onPostgres : sqliteSearch;
}
