/** The PostgreSQL spelling of the fragments that differ between the stores, as the domain uses them. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { postgresDialect as dialect } from '../../src/store/postgres/dialect.js';
import { useTestDatabase } from './database.js';

describe('the PostgreSQL dialect', () => {
  const database = useTestDatabase();
  let db: PgDb;
  beforeAll(() => {
    db = openPostgres(database.url(), { max: 1 });
  });
  afterAll(async () => {
    await db?.$client.end();
  });

  it('reads a JSON array parameter as rows of `value`, with or without an alias', async () => {
    const ids = JSON.stringify(['c1', "o'brien", 'c3']);
    const plain = await db.execute<{ value: string }>(sql`SELECT value FROM ${dialect.jsonEach(sql`${ids}`)}`);
    expect(plain.rows.map((r) => r.value)).toEqual(['c1', "o'brien", 'c3']);
    const aliased = await db.execute<{ id: string }>(sql`SELECT hits.value AS id FROM ${dialect.jsonEach(sql`${ids}`)} AS hits WHERE hits.value <> 'c3'`);
    expect(aliased.rows.map((r) => r.id)).toEqual(['c1', "o'brien"]);
    const inList = await db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM (VALUES ('c1'), ('c2')) AS t(id) WHERE id IN (SELECT value FROM ${dialect.jsonEach(sql`${ids}`)})`,
    );
    expect(inList.rows[0]!.n).toBe(1);
  });

  it('takes the greater of two values', async () => {
    const row = await db.execute<{ a: number; b: number }>(
      sql`SELECT ${dialect.greatest(sql`3`, sql`${7}::int`)} AS a, ${dialect.greatest(sql`9`, sql`2`)} AS b`,
    );
    expect(row.rows[0]).toEqual({ a: 7, b: 9 });
  });

  it('names the migrations journal, which /healthz reads', async () => {
    const row = await db.execute<{ id: number }>(sql`SELECT id FROM ${dialect.migrations} ORDER BY id DESC LIMIT 1`);
    expect(row.rows).toHaveLength(1);
  });
});
