/**
 * The few SQL fragments that differ between the stores, so that the domain's SQL reads the same for
 * both. Everything else the domain writes is SQL both understand: `TRUE`/`FALSE` for booleans (SQLite
 * reads them as 1 and 0), `ON CONFLICT … DO UPDATE/NOTHING` with `excluded`, `coalesce`, `count(*)`.
 */
import type { SQL } from 'drizzle-orm';

export interface Dialect {
  /** A table of the elements of a JSON array (a string parameter), as `value` (text). */
  jsonEach(json: SQL): SQL;
  /** The larger of two values (SQLite: two-argument max(); PostgreSQL: greatest()). */
  greatest(a: SQL, b: SQL): SQL;
  /** The journal of applied migrations Drizzle's migrator keeps (PostgreSQL: in a schema of its own, `drizzle`). */
  readonly migrations: SQL;
}
