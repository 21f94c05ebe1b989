/**
 * Named statements for the few hot reads whose text repeats with other values (the inbox page). node-postgres sends
 * an unnamed statement for every `db.execute(sql…)`, which PostgreSQL parses and plans each time; a named one is
 * parsed once per pooled connection and planned from then on with the parse kept (docs/performance.md, change 46).
 * The name is a hash of the text, so one name never stands for two texts. PostgreSQL keeps a connection's named
 * statements until the connection closes; the pool closes idle connections, and the texts that come here are few.
 */
import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';

const dialect = new PgDialect({ casing: 'snake_case' });
const names = new Map<string, string>();
const MAX_NAMES = 1_000;

function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `si_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    if (names.size >= MAX_NAMES) names.delete(names.keys().next().value!);
    names.set(text, name);
  }
  return name;
}

/**
 * The rows of `query` on the pool of `db` as a named statement; undefined when `db` is not a pool's database (a
 * transaction's, which runs its statements on its own connection: the caller runs the query as usual there).
 */
export async function namedStatementRows<T>(db: unknown, query: SQL): Promise<T[] | undefined> {
  const client = (db as { $client?: unknown }).$client;
  if (!(client instanceof pg.Pool)) return undefined;
  const { sql: text, params } = dialect.sqlToQuery(query);
  const result = await client.query({ name: nameOf(text), text, values: params as unknown[] });
  return result.rows as T[];
}
