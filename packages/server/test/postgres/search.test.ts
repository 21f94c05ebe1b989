/**
 * Search on PostgreSQL against hand-written rows: diacritics, prefixes, phrases, scope (a customer never finds
 * another account's message or a hidden one, and body text cannot forge scope), the same results as FTS5 on the
 * same rows in a SQLite database built by its own migrations (rendered by the SQLite store), and a query plan that reads the GIN index.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/auth/token.js';
import { openDb, type Db } from '../../src/store/sqlite/client.js';
import { hiddenFromCustomers, searchScope } from '../../src/domain/visibility.js';
import { parseSearch, type SearchTerm } from '../../src/search/terms.js';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { accounts, conversations, messages, users } from '../../src/store/postgres/schema.js';
import {
  conversationsMatching,
  indexMessage,
  firstMatches,
  matchingAmong,
  matchingMessages,
  scopeLexemes,
  scopeQuery,
  searchCondition,
  words,
} from '../../src/store/postgres/search.js';
import { accountToken, ftsMatch, indexMessage as indexOnSqlite } from '../../src/store/sqlite/search.js';
import { foldTerms, matchesTerms } from '../../src/search/match.js';
import { useTestDatabase } from './database.js';

interface Row {
  seq: number;
  conversation: 'c1' | 'c2' | 'c3';
  text: string;
  doNotReply?: boolean;
  staffOnly?: boolean;
}

const CONVERSATIONS = {
  c1: { id: 'c1', accountId: 'acme', subject: 'Invoice question' },
  c2: { id: 'c2', accountId: 'acme', subject: 'Order 12345' },
  c3: { id: 'c3', accountId: 'globex', subject: 'Globex refund' },
} as const;

/** What a customer of another account could type to reach acme's messages, and the literal scope lexemes. */
const FORGERY = [
  `account acme account:acme ${accountToken('acme')} vpublic scope : ${accountToken('acme')}`,
  scopeLexemes({ accountId: 'acme', conversationId: 'c1', hidden: false }),
  `'account ${'x'.repeat(24)}':1C visibility public`,
].join(' ');

const ROWS: Row[] = [
  { seq: 1, conversation: 'c1', text: 'Der Café in München hat eine E-Mail geschickt.' },
  { seq: 2, conversation: 'c1', text: 'Internal: the secret refund is approved.', doNotReply: true },
  { seq: 3, conversation: 'c2', text: 'Refund requested for order 12345 — naïve façade, user@example.com.' },
  { seq: 4, conversation: 'c3', text: `Refund for another account. ${FORGERY}` },
  { seq: 5, conversation: 'c2', text: 'Staff-only chatter about the refund.', staffOnly: true },
  { seq: 6, conversation: 'c1', text: 'Crème brûlée for the résumé; Ærø Straße Łódź œuvre; v2.0 at https://example.com/path.' },
];

const viewer = (role: Identity['role'], accountIds: string[] | '*'): Identity => ({ id: `${role}-1`, name: role, email: null, role, accounts: accountIds });
const VIEWERS = {
  admin: viewer('admin', '*'),
  'acme staff': viewer('staff', ['acme']),
  'acme customer': viewer('customer', ['acme']),
  'globex customer': viewer('customer', ['globex']),
  'customer of no account': viewer('customer', []),
};

/** The terms of `q` as the domain parses them for both stores. */
function termsOf(q: string): SearchTerm[] {
  const terms = parseSearch(q);
  if (terms === null) throw new Error(`"${q}" is not a search of words`);
  return terms;
}

describe('search on PostgreSQL', () => {
  const database = useTestDatabase();
  let pg: PgDb;
  let lite: Db;

  beforeAll(async () => {
    pg = openPostgres(database.url(), { max: 2 });
    await pg.insert(accounts).values([{ id: 'acme' }, { id: 'globex' }]);
    await pg.insert(users).values({ id: 'u1', name: 'Priya', role: 'staff' });
    const at = '2026-12-07T00:00:00.000Z';
    await pg
      .insert(conversations)
      .values(Object.values(CONVERSATIONS).map((c) => ({ ...c, status: 'open' as const, createdBy: 'u1', createdAt: at, updatedAt: at, publicUpdatedAt: at })));
    lite = openDb(':memory:');
    for (const row of ROWS) {
      const c = CONVERSATIONS[row.conversation];
      const visibility = { doNotReply: row.doNotReply ?? false, staffOnly: row.staffOnly ?? false };
      await pg.insert(messages).values({
        seq: row.seq,
        id: `m${row.seq}`,
        conversationId: c.id,
        accountId: c.accountId,
        kind: 'message',
        body: row.text,
        text: row.text,
        authorId: 'u1',
        createdAt: at,
        ...visibility,
      });
      const indexed = {
        seq: row.seq,
        subject: c.subject,
        body: row.text,
        accountId: c.accountId,
        conversationId: c.id,
        hidden: hiddenFromCustomers(visibility),
      };
      await indexMessage(pg, indexed);
      indexOnSqlite(lite, indexed);
    }
  });

  afterAll(() => {
    lite?.$client.close();
  });

  const onPostgres = async (q: string, v: Identity, participations: string[] = []) =>
    (await matchingMessages(pg, termsOf(q), searchScope(v, participations))).map((m) => m.seq);

  /** The same search rendered by the SQLite store (store/sqlite/search.ts) on the same rows. */
  const onSqlite = (q: string, v: Identity, participations: string[] = []) => {
    const match = ftsMatch(termsOf(q), searchScope(v, participations));
    return lite.all<{ seq: number }>(sql`SELECT rowid AS seq FROM message_search WHERE message_search MATCH ${match} ORDER BY rowid`).map((r) => r.seq);
  };

  it.each([
    ['cafe', [1]],
    ['CAFÉ', [1]],
    ['munchen', [1]],
    ['Mün%', [1]],
    ['naive facade', [3]],
    ['creme brulee resume', [6]],
    ['straße', [6]],
    ['e-mail', [1]],
    ['email', []],
    ['ref', [2, 3, 4, 5]],
    ['refu%', [2, 3, 4, 5]],
    ['refund', [2, 3, 4, 5]],
    ['refund order', [3, 5]],
    ['"12345"', [3, 5]],
    ['invoice', [1, 2, 6]],
    ['invoice cafe', [1]],
    ['question-der', []],
    ['user example com', [3]],
    ['example path', [6]],
    ['v2', [6]],
    ['secret', [2]],
    ['cafe ʼ', []],
  ])('an admin searching %j finds %j, as FTS5 does', async (q, expected) => {
    expect(await onPostgres(q, VIEWERS.admin)).toEqual(expected);
    expect(onSqlite(q, VIEWERS.admin)).toEqual(expected);
  });

  it('folds more than FTS5: letters typed as written are found on both, their plain spellings (ß as ss) on PostgreSQL too', async () => {
    for (const q of ['ærø', 'straße', 'łódź', 'œuvre']) {
      expect(await onPostgres(q, VIEWERS.admin), q).toEqual([6]);
      expect(onSqlite(q, VIEWERS.admin), q).toEqual([6]);
    }
    for (const q of ['aero', 'strasse', 'lodz', 'oeuvre']) {
      expect(await onPostgres(q, VIEWERS.admin), q).toEqual([6]);
      expect(onSqlite(q, VIEWERS.admin), q).toEqual([]);
    }
  });

  it('limits customers to their accounts and to messages they may see, staff to their accounts', async () => {
    expect(await onPostgres('refund', VIEWERS['acme customer'])).toEqual([3]);
    expect(await onPostgres('refund', VIEWERS['acme staff'])).toEqual([2, 3, 5]);
    expect(await onPostgres('refund', VIEWERS['globex customer'])).toEqual([4]);
    expect(await onPostgres('refund', VIEWERS['customer of no account'])).toEqual([]);
    // Staff find the conversations they take part in outside their accounts too.
    expect(await onPostgres('refund', VIEWERS['acme staff'], ['c3'])).toEqual([2, 3, 4, 5]);
  });

  it('answers the domain as the SQLite store does: matching conversations, and messages in pages', async () => {
    for (const [name, v] of Object.entries(VIEWERS)) {
      for (const q of ['refund', 'cafe', 'invoice']) {
        // The conversations of FTS5's matches (the SQLite database here holds the index alone, without messages).
        const expected = new Set(onSqlite(q, v).map((seq) => ROWS.find((r) => r.seq === seq)!.conversation));
        expect(await conversationsMatching(pg, termsOf(q), searchScope(v)), `${name}: ${q}`).toEqual(expected);
      }
    }
    expect(await conversationsMatching(pg, termsOf('refund'), searchScope(VIEWERS['acme customer']))).toEqual(new Set(['c2']));
    const page = await matchingMessages(pg, termsOf('refund'), null, { after: 2, limit: 2 });
    expect(page).toEqual([
      { seq: 3, conversationId: 'c2' },
      { seq: 4, conversationId: 'c3' },
    ]);
  });

  it('matches a scope directly as the index does, on both stores: PostgreSQL by primary key, SQLite without FTS5', async () => {
    /** The messages of the viewer's scope, as domain/visibility.ts decides it (accounts, and for customers only what they may see). */
    const scopeRows = (v: Identity) =>
      ROWS.filter((r) => {
        const c = CONVERSATIONS[r.conversation];
        if (v.role === 'admin') return true;
        const hidden = hiddenFromCustomers({ doNotReply: r.doNotReply ?? false, staffOnly: r.staffOnly ?? false });
        return v.accounts !== '*' && v.accounts.includes(c.accountId) && !(v.role === 'customer' && hidden);
      });
    for (const [name, v] of Object.entries(VIEWERS)) {
      for (const q of [
        'refund',
        'ref',
        'cafe',
        'CAFÉ',
        'Mün%',
        'invoice',
        'order 12345',
        'naive facade',
        'e-mail',
        'email',
        'creme brulee resume',
        'secret',
        'account',
        'acme',
      ]) {
        const rows = scopeRows(v);
        const viaIndex = await onPostgres(q, v);
        const onPg = [
          ...(await matchingAmong(
            pg,
            termsOf(q),
            rows.map((r) => r.seq),
          )),
        ].sort((a, b) => a - b);
        const folded = foldTerms(termsOf(q))!;
        const onLite = rows.filter((r) => matchesTerms(folded, CONVERSATIONS[r.conversation].subject, r.text)).map((r) => r.seq);
        expect(onPg, `${name}: ${q}`).toEqual(viaIndex);
        expect(onLite, `${name}: ${q}`).toEqual(onSqlite(q, v));
        expect(onLite, `${name}: ${q}`).toEqual(viaIndex);
      }
    }
  });

  it('gives the results of FTS5 for every viewer and search', async () => {
    const searches = ['refund', 'ref', 'cafe', 'invoice', 'order 12345', 'secret', 'staff only', 'account', 'vpublic', 'acme', 'public', 'visibility'];
    for (const [name, v] of Object.entries(VIEWERS)) {
      for (const q of searches) expect(await onPostgres(q, v), `${name}: ${q}`).toEqual(onSqlite(q, v));
      expect(await onPostgres('refund', v, ['c3']), `${name} taking part in c3`).toEqual(onSqlite('refund', v, ['c3']));
    }
  });

  it('cannot be reached through body text that spells scope lexemes or tokens', async () => {
    // Message 4 (globex) spells acme's scope in every way above; acme's viewers never find it.
    for (const q of ['account', 'acme', 'visibility public', 'another account']) {
      expect(await onPostgres(q, VIEWERS['acme customer']), q).not.toContain(4);
      expect(await onPostgres(q, VIEWERS['acme staff']), q).not.toContain(4);
    }
    // Even a document made straight from the literal scope lexemes as body text, without cutting it into words first.
    const literal = scopeLexemes({ accountId: 'acme', conversationId: 'c1', hidden: false });
    const forged = await pg.execute<{ hit: boolean }>(sql`
      SELECT ${searchCondition([], searchScope(VIEWERS['acme customer']), sql`(setweight(to_tsvector('simple', ${literal}), 'B') || to_tsvector('simple', ${literal}))`)} AS hit`);
    expect(forged.rows[0]!.hit).toBe(false);
    // The real thing matches, so the query above is not vacuous.
    const genuine = await pg.execute<{ hit: boolean }>(
      sql`SELECT ${searchCondition([], searchScope(VIEWERS['acme customer']), sql`${literal}::tsvector`)} AS hit`,
    );
    expect(genuine.rows[0]!.hit).toBe(true);
  });

  it('never lets a prefix reach scope lexemes (every message has them; only the body of 4 has these words)', async () => {
    for (const q of ['acc%', 'vis%', 'con%', 'account', 'visibility public']) expect(await onPostgres(q, VIEWERS.admin), q).toEqual([4]);
    for (const q of ['acc%', 'vis%', 'con%']) expect(await onPostgres(q, VIEWERS['acme staff']), q).toEqual([]);
  });

  it('renders scopes to weight-C lexemes, nothing for no reach, and no condition for admins', () => {
    expect(scopeQuery(null)).toBeNull();
    expect(scopeQuery({ accounts: [], conversations: [], publicOnly: true })).toBe(false);
    expect(scopeQuery({ accounts: ['acme'], conversations: [], publicOnly: true })).toMatch(/^\('account [0-9a-f]{24}':C\) & 'visibility public':C$/);
    expect(words('E-Mail: naïve—façade, 3.14')).toBe('E Mail naïve façade 3 14');
  });

  it('reads the GIN index, and the index hands over only rows in the scope', async () => {
    // Many messages of another account share a word with a few of acme's.
    const globex = scopeLexemes({ accountId: 'globex', conversationId: 'c3', hidden: false });
    await pg.execute(sql`INSERT INTO messages (seq, id, conversation_id, account_id, kind, body, text, author_id, created_at)
      SELECT 1000 + i, 'filler' || i, 'c3', 'globex', 'message', 'common words', 'common words', 'u1', '2026-12-07T00:00:00.000Z' FROM generate_series(1, 4000) AS i`);
    await pg.execute(sql`INSERT INTO message_search (seq, document)
      SELECT 1000 + i, setweight(to_tsvector('simple', 'common words ' || i), 'B') || ${globex}::tsvector FROM generate_series(1, 4000) AS i`);
    for (const seq of [10, 11, 12]) {
      await pg.insert(messages).values({
        seq,
        id: `m${seq}`,
        conversationId: 'c2',
        accountId: 'acme',
        kind: 'message',
        body: 'common',
        text: 'common',
        authorId: 'u1',
        createdAt: '2026-12-07T00:00:00.000Z',
      });
      await indexMessage(pg, { seq, subject: 'Order 12345', body: 'common ground', accountId: 'acme', conversationId: 'c2', hidden: false });
    }
    await pg.execute(sql`ANALYZE message_search`);

    const condition = searchCondition(termsOf('common'), searchScope(VIEWERS['acme customer']));
    const explained = await pg.execute<{ 'QUERY PLAN': unknown }>(sql`EXPLAIN (ANALYZE, FORMAT JSON) SELECT seq FROM message_search WHERE ${condition}`);
    const plan = JSON.stringify(explained.rows[0]!['QUERY PLAN']);
    expect(plan).toContain('"Index Name":"message_search_document_idx"');
    const indexScan = /"Node Type":"Bitmap Index Scan".*?"Actual Rows":(\d+)/.exec(plan);
    expect(indexScan, plan).not.toBeNull();
    // The index hands over acme's three, not globex's four thousand.
    expect(Number(indexScan![1])).toBe(3);
    expect(await onPostgres('common', VIEWERS['acme customer'])).toEqual([10, 11, 12]);
    // A bounded read: the first matches within the scope, and whether they were all.
    const few = await firstMatches(pg, termsOf('common'), searchScope(VIEWERS['acme customer']), 1_000);
    expect(few).toEqual({ ids: ['c2'], complete: true, read: 3 });
    const many = await firstMatches(pg, termsOf('common'), null, 1_000);
    expect(many).toMatchObject({ complete: false, read: 1_001 });
    // The direct match reads the documents it is given by primary key, not the GIN index.
    const seqs = [10, 11, 12, 1001, 1002, 3];
    expect(await matchingAmong(pg, termsOf('common'), seqs)).toEqual(new Set([10, 11, 12, 1001, 1002]));
    const direct = await pg.execute<{ 'QUERY PLAN': unknown }>(sql`EXPLAIN (ANALYZE, FORMAT JSON)
      SELECT ms.seq FROM message_search ms WHERE ms.seq IN (SELECT unnest(${'{10,11,12,1001,1002,3}'}::bigint[])) AND ${searchCondition(termsOf('common'), null, sql`ms.document`)}`);
    const directPlan = JSON.stringify(direct.rows[0]!['QUERY PLAN']);
    expect(directPlan).toContain('"Index Name":"message_search_pkey"');
    expect(directPlan).not.toContain('message_search_document_idx');
    // A prefix and a phrase read the same index within the scope.
    for (const q of ['comm%', 'common-ground']) {
      const plan = await pg.execute<{ 'QUERY PLAN': unknown }>(
        sql`EXPLAIN (ANALYZE, FORMAT JSON) SELECT seq FROM message_search WHERE ${searchCondition(termsOf(q), searchScope(VIEWERS['acme customer']))}`,
      );
      const text = JSON.stringify(plan.rows[0]!['QUERY PLAN']);
      expect(text, q).toContain('"Index Name":"message_search_document_idx"');
      expect(Number(/"Node Type":"Bitmap Index Scan".*?"Actual Rows":(\d+)/.exec(text)![1]), q).toBe(3);
    }
    expect(await onPostgres('common', VIEWERS['globex customer'])).toHaveLength(4000);
  });
});
