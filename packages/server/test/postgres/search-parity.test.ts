/**
 * PostgreSQL's search against FTS5 on generated rows and searches: the same messages for every viewer. Words
 * are drawn from a small vocabulary with diacritics, hyphens and shared beginnings, so that searches hit, miss,
 * and match as prefixes and phrases; letters the two fold differently (ß, ø, ł) are left out
 * (search.test.ts shows those). The direct match of a small scope (domain/search.ts) finds the same on both.
 */
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/auth/token.js';
import { openDb, type Db } from '../../src/store/sqlite/client.js';
import { hiddenFromCustomers, searchScope } from '../../src/domain/visibility.js';
import { parseSearch, type SearchTerm } from '../../src/search/terms.js';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { accounts, conversations, messages, users } from '../../src/store/postgres/schema.js';
import { indexMessage, matchingAmong, matchingMessages } from '../../src/store/postgres/search.js';
import { foldTerms, matchesTerms } from '../../src/search/match.js';
import { ftsMatch, indexMessage as indexOnSqlite } from '../../src/store/sqlite/search.js';
import { useTestDatabase } from './database.js';

const VOCABULARY = [
  'café',
  'Cafe',
  'cafés',
  'Éclair',
  'eclat',
  'e-mail',
  'mail',
  'Mailbox',
  'refund',
  'refunds',
  're-fund',
  'naïve',
  'naive',
  'Zürich',
  'zurich',
  'ZÜRICH',
  '2026',
  'v2',
  'order-12345',
  '12345',
  'über',
  'uber',
  'Ångström',
  'angstrom',
  'crème',
  'brûlée',
];
const CONVERSATIONS = [
  { id: 'c1', accountId: 'acme', subject: 'Refund for the café' },
  { id: 'c2', accountId: 'acme', subject: 'Mailbox full' },
  { id: 'c3', accountId: 'globex', subject: 'Zürich order' },
];
const at = '2026-12-07T00:00:00.000Z';

const viewer = (role: Identity['role'], accountIds: string[] | '*'): Identity => ({ id: `${role}-1`, name: role, email: null, role, accounts: accountIds });
const VIEWERS: [Identity, string[]][] = [
  [viewer('admin', '*'), []],
  [viewer('staff', ['acme']), []],
  [viewer('staff', ['acme']), ['c3']],
  [viewer('customer', ['acme']), []],
  [viewer('customer', ['globex']), []],
];

describe('search on PostgreSQL and on SQLite', () => {
  const database = useTestDatabase();
  let pg: PgDb;
  let lite: Db;
  const generated: { seq: number; subject: string; text: string }[] = [];

  beforeAll(async () => {
    pg = openPostgres(database.url(), { max: 2 });
    lite = openDb(':memory:');
    await pg.insert(accounts).values([{ id: 'acme' }, { id: 'globex' }]);
    await pg.insert(users).values({ id: 'u1', name: 'Priya', role: 'staff' });
    await pg
      .insert(conversations)
      .values(CONVERSATIONS.map((c) => ({ ...c, status: 'open' as const, createdBy: 'u1', createdAt: at, updatedAt: at, publicUpdatedAt: at })));

    const rows = fc.sample(
      fc.record({
        conversation: fc.constantFrom(...CONVERSATIONS),
        words: fc.array(fc.constantFrom(...VOCABULARY), { minLength: 1, maxLength: 8 }),
        separator: fc.constantFrom(' ', ', ', '. ', ' — '),
        doNotReply: fc.boolean(),
        staffOnly: fc.boolean(),
      }),
      { numRuns: 80, seed: 20261207 },
    );
    for (const [i, row] of rows.entries()) {
      const seq = i + 1;
      const text = row.words.join(row.separator);
      const visibility = { doNotReply: row.doNotReply, staffOnly: row.staffOnly };
      const c = row.conversation;
      await pg.insert(messages).values({
        seq,
        id: `m${seq}`,
        conversationId: c.id,
        accountId: c.accountId,
        kind: 'message',
        body: text,
        text,
        authorId: 'u1',
        createdAt: at,
        ...visibility,
      });
      const indexed = { seq, subject: c.subject, body: text, accountId: c.accountId, conversationId: c.id, hidden: hiddenFromCustomers(visibility) };
      await indexMessage(pg, indexed);
      indexOnSqlite(lite, indexed);
      generated.push({ seq, subject: c.subject, text });
    }
  });

  afterAll(() => {
    lite?.$client.close();
  });

  it('find the same messages for every viewer', async () => {
    const searches = fc.sample(
      fc
        .array(
          fc.oneof(
            fc.constantFrom(...VOCABULARY),
            // A prefix asked for: the first three or more characters and `%`.
            fc
              .tuple(fc.constantFrom(...VOCABULARY.filter((w) => w.length >= 4)), fc.integer({ min: 3, max: 5 }))
              .map(([w, n]) => `${[...w].slice(0, n).join('')}%`),
          ),
          { minLength: 1, maxLength: 3 },
        )
        .map((words) => words.join(' ')),
      { numRuns: 60, seed: 7 },
    );
    let found = 0;
    for (const q of searches) {
      let terms: SearchTerm[] | null;
      try {
        terms = parseSearch(q);
      } catch {
        continue; // a prefix too short after a hyphen (`re-f%`): refused with 422 before any store sees it
      }
      if (!terms?.length) continue;
      for (const [v, participations] of VIEWERS) {
        const scope = searchScope(v, participations);
        const match = ftsMatch(terms, scope);
        const onSqlite = lite
          .all<{ seq: number }>(sql`SELECT rowid AS seq FROM message_search WHERE message_search MATCH ${match} ORDER BY rowid`)
          .map((r) => r.seq);
        const onPostgres = (await matchingMessages(pg, terms, scope)).map((m) => m.seq);
        expect(onPostgres, `${v.role} ${JSON.stringify(v.accounts)} +${participations.join(',')}: ${q}`).toEqual(onSqlite);
        found += onSqlite.length;
        if (scope === null) {
          // The direct match of a small scope (domain/search.ts) over every message: the same on both stores.
          const folded = foldTerms(terms)!;
          expect(
            generated.filter((r) => matchesTerms(folded, r.subject, r.text)).map((r) => r.seq),
            `direct on SQLite: ${q}`,
          ).toEqual(onSqlite);
          const direct = await matchingAmong(
            pg,
            terms,
            generated.map((r) => r.seq),
          );
          expect(
            [...direct].sort((a, b) => a - b),
            `direct on PostgreSQL: ${q}`,
          ).toEqual(onSqlite);
        }
      }
    }
    // The searches find things, not only nothing.
    expect(found).toBeGreaterThan(500);
  });
});
