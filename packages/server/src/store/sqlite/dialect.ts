import { sql } from 'drizzle-orm';
import type { Dialect } from '../dialect.js';

/** SQLite's spelling of the fragments of store/dialect.ts. */
export const sqliteDialect: Dialect = {
  jsonEach: (json) => sql`json_each(${json})`,
  greatest: (a, b) => sql`max(${a}, ${b})`,
  migrations: sql`__drizzle_migrations`,
};
