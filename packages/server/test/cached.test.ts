/**
 * Queries are turned into text and parameters by db/cached.ts for the shapes our templates use, and
 * by drizzle for any other; both must give exactly what drizzle gives. (Under test every query the
 * suite runs is also checked against drizzle as it is compiled.)
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { messages } from '../src/db/schema.js';
import { toQuery } from '../src/db/cached.js';

const drizzle = new SQLiteSyncDialect();

describe('query text and parameters', () => {
  const visible = (role: string) => (role === 'admin' ? sql`1 = 1` : sql`(c.account_id IN (${sql.join(['a', 'b'].map((id) => sql`${id}`), sql`, `)}) OR cu.participant = 1)`);
  const cases = {
    'values of every kind': sql`SELECT ${'text'}, ${42}, ${1.5}, ${null}, ${12345678901234567890n}`,
    'nested fragments, raw text and joins': sql`SELECT c.id FROM conversations c WHERE ${visible('staff')} AND ${sql.join([sql`c.status = ${'open'}`, sql.raw('c.last_seq > 0')], sql` AND `)} ORDER BY ${sql.raw('c.last_seq')} DESC LIMIT ${26}`,
    'an empty fragment and a leading value': sql`${'x'}${sql``} = ${undefined}`,
    'booleans (left to drizzle)': sql`SELECT ${true}, ${false}`,
    'arrays (left to drizzle)': sql`SELECT 1 WHERE 2 IN ${[1, 2, 3]}`,
    'columns and tables (left to drizzle)': sql`SELECT ${messages.seq} FROM ${messages} WHERE ${messages.seq} > ${10}`,
    'parameters with their own mapping (left to drizzle)': sql`SELECT ${sql.param(7)}`,
    'inlined parameters (left to drizzle)': sql`SELECT ${'inline'}`.inlineParams(),
  };
  for (const [name, query] of Object.entries(cases)) {
    it(`are drizzle's for ${name}`, () => {
      const { sql: text, params } = drizzle.sqlToQuery(query);
      expect(toQuery(query)).toMatchObject({ sql: text, params });
    });
  }
});
