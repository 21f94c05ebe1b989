/**
 * The inbox page's statement is sent to PostgreSQL as a named statement (store/postgres/named.ts): parsed once per
 * pooled connection, each call with its own values; inside a transaction it runs on the transaction's connection as
 * any other statement.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { transaction } from '../../src/store/runtime.js';
import type { Db } from '../../src/store/sqlite/client.js';
import { rows, rowsOfKeptStatement } from '../../src/store/sql.js';
import { useTestDatabase } from './database.js';

describe('statements kept on PostgreSQL', () => {
  const database = useTestDatabase();
  let pg: PgDb;
  let db: Db;
  beforeAll(() => {
    // One connection: the statements it holds are the ones this test sent.
    pg = openPostgres(database.url(), { max: 1 });
    db = pg as unknown as Db;
  });
  afterAll(async () => {
    await pg?.$client.end();
  });

  const query = (n: number, word: string) => sql`SELECT ${n}::int + 1 AS next, ${word}::text AS word, 'kept-statement-test' AS tag`;
  const named = () => rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%kept-statement-test%'`);

  it('runs one named statement per text, each call with its own values', async () => {
    expect(await rowsOfKeptStatement(db, query(1, 'one'))).toEqual([{ next: 2, word: 'one', tag: 'kept-statement-test' }]);
    expect(await rowsOfKeptStatement(db, query(41, "o'brien"))).toEqual([{ next: 42, word: "o'brien", tag: 'kept-statement-test' }]);
    expect((await named())[0]!.n).toBe(1);
    await expect(rowsOfKeptStatement(db, sql`SELECT ${'x'}::int AS n, 'kept-statement-test' AS tag`)).rejects.toThrow();
    expect(await rowsOfKeptStatement(db, query(2, 'two'))).toEqual([{ next: 3, word: 'two', tag: 'kept-statement-test' }]);
  });

  it('runs inside a transaction on the transaction’s connection', async () => {
    const found = await transaction(db, async (tx) => {
      await rows(tx, sql`CREATE TEMP TABLE seen_in_transaction (n int) ON COMMIT DROP`);
      await rows(tx, sql`INSERT INTO seen_in_transaction VALUES (7)`);
      return rowsOfKeptStatement<{ n: number }>(tx, sql`SELECT n FROM seen_in_transaction`);
    });
    expect(found).toEqual([{ n: 7 }]);
  });
});
