/**
 * The two stores' schemas are one schema: every SQLite table has its PostgreSQL twin with the same columns
 * (names, JavaScript types, nullability, defaults), keys, foreign keys and indexes. Adding a column, an index or a
 * key to one side only fails here.
 */
import { getTableName, is, SQL } from 'drizzle-orm';
import { getTableConfig as pgConfig, PgDialect, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteSyncDialect, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as sqliteSchema from '../../src/store/sqlite/schema.js';
import * as pgSchema from '../../src/store/postgres/schema.js';

/** Tables only PostgreSQL has: what SQLite keeps outside its Drizzle schema (an FTS5 table, files on disk). */
const POSTGRES_ONLY = ['message_search', 'attachment_blobs', 'attachment_chunks'];

const sqliteTables = new Map<string, SQLiteTable>(
  Object.values(sqliteSchema as Record<string, unknown>)
    .filter((v): v is SQLiteTable => is(v, SQLiteTable))
    .map((t) => [getTableName(t), t]),
);
const pgTables = new Map<string, PgTable>(
  Object.values(pgSchema as Record<string, unknown>)
    .filter((v): v is PgTable => is(v, PgTable))
    .map((t) => [getTableName(t), t]),
);

/** Defaults by meaning: the current time is `now` on both sides, whatever each dialect writes for it. */
const NOW = {
  sqlite: `(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
  pg: `to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
};
const sqliteDialect = new SQLiteSyncDialect();
const pgDialect = new PgDialect();

function sqlText(value: SQL, dialect: 'sqlite' | 'pg'): string {
  const query = dialect === 'sqlite' ? sqliteDialect.sqlToQuery(value) : pgDialect.sqlToQuery(value);
  expect(query.params, 'defaults and index conditions carry no parameters').toEqual([]);
  return query.sql;
}

function meaningOfDefault(value: unknown, dialect: 'sqlite' | 'pg'): unknown {
  if (!is(value, SQL)) return value;
  const text = sqlText(value, dialect);
  return text === NOW[dialect] ? 'now' : `sql: ${text}`;
}

interface Shape {
  columns: Record<string, unknown>;
  primaryKey: string[];
  foreignKeys: string[];
  indexes: Record<string, unknown>;
}

function sqliteShape(table: SQLiteTable): Shape {
  const config = sqliteConfig(table);
  return {
    columns: Object.fromEntries(
      config.columns.map((c) => [
        c.name,
        {
          type: c.dataType,
          enum: c.enumValues ?? null,
          notNull: c.notNull,
          default: meaningOfDefault(c.default, 'sqlite'),
          generatedKey: c.primary && (c as unknown as { autoIncrement?: boolean }).autoIncrement === true,
        },
      ]),
    ),
    primaryKey: config.primaryKeys.length ? config.primaryKeys[0]!.columns.map((c) => c.name) : config.columns.filter((c) => c.primary).map((c) => c.name),
    foreignKeys: config.foreignKeys
      .map((fk) => fk.reference())
      .map((r) => `${r.columns.map((c) => c.name).join(',')} -> ${getTableName(r.foreignTable)}(${r.foreignColumns.map((c) => c.name).join(',')})`)
      .sort(),
    indexes: Object.fromEntries(
      config.indexes.map((i) => [
        i.config.name,
        {
          columns: i.config.columns.map((c) => (is(c, SQL) ? sqlText(c, 'sqlite') : c.name)),
          unique: i.config.unique,
          where: i.config.where ? sqlText(i.config.where, 'sqlite') : null,
        },
      ]),
    ),
  };
}

function pgShape(table: PgTable): Shape {
  const config = pgConfig(table);
  return {
    columns: Object.fromEntries(
      config.columns.map((c) => [
        c.name,
        {
          type: c.dataType,
          enum: c.enumValues ?? null,
          notNull: c.notNull,
          default: meaningOfDefault(c.default, 'pg'),
          generatedKey: c.primary && c.generatedIdentity !== undefined,
        },
      ]),
    ),
    primaryKey: config.primaryKeys.length ? config.primaryKeys[0]!.columns.map((c) => c.name) : config.columns.filter((c) => c.primary).map((c) => c.name),
    foreignKeys: config.foreignKeys
      .map((fk) => fk.reference())
      .map((r) => `${r.columns.map((c) => c.name).join(',')} -> ${getTableName(r.foreignTable)}(${r.foreignColumns.map((c) => c.name).join(',')})`)
      .sort(),
    indexes: Object.fromEntries(
      config.indexes.map((i) => [
        i.config.name,
        {
          columns: i.config.columns.map((c) => (is(c, SQL) ? sqlText(c, 'pg') : (c as { name: string }).name)),
          unique: i.config.unique,
          where: i.config.where ? sqlText(i.config.where, 'pg') : null,
        },
      ]),
    ),
  };
}

describe('the SQLite and PostgreSQL schemas', () => {
  it('have the same tables, apart from what only PostgreSQL keeps in tables', () => {
    expect([...pgTables.keys()].filter((name) => !POSTGRES_ONLY.includes(name)).sort()).toEqual([...sqliteTables.keys()].sort());
    for (const name of POSTGRES_ONLY) expect(sqliteTables.has(name), name).toBe(false);
  });

  for (const [name, table] of sqliteTables) {
    it(`agree on ${name}`, () => {
      const twin = pgTables.get(name);
      expect(twin, `${name} in src/store/postgres/schema.ts`).toBeDefined();
      expect(pgShape(twin!)).toEqual(sqliteShape(table));
    });
  }

  it('know every SQL default they use (the current time), so that defaults compare by meaning', () => {
    for (const [, table] of sqliteTables)
      for (const c of sqliteConfig(table).columns) expect(String(meaningOfDefault(c.default, 'sqlite'))).not.toMatch(/^sql:/);
    for (const [, table] of pgTables) for (const c of pgConfig(table).columns) expect(String(meaningOfDefault(c.default, 'pg'))).not.toMatch(/^sql:/);
  });

  it('read the JavaScript types the domain expects', () => {
    expect(pgShape(pgTables.get('messages')!).columns['seq']).toMatchObject({ type: 'number', generatedKey: true });
    expect(pgShape(pgTables.get('conversation_users')!).columns['has_left']).toMatchObject({ type: 'boolean', notNull: true, default: false });
  });
});
