import { sql } from 'drizzle-orm';
import type { Dialect } from '../dialect.js';

/** PostgreSQL's spelling of the fragments of store/dialect.ts. */
export const postgresDialect: Dialect = {
  // Its one column is named `value`, with or without an alias for the function (`AS hits` then `hits.value`).
  jsonEach: (json) => sql`json_array_elements_text(${json}::json)`,
  greatest: (a, b) => sql`greatest(${a}, ${b})`,
  migrations: sql`drizzle.__drizzle_migrations`,
};
