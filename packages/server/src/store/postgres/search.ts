/**
 * Search on PostgreSQL: one `tsvector` document per message in `message_search`, one GIN index over it, and
 * the caller's scope inside the query, as the FTS5 table does on SQLite.
 *
 * A document holds three kinds of lexemes, told apart by their weight:
 * - A: the words of the subject; B: the words of the visible body text. Both are cut into runs of letters and
 *   digits as FTS5's unicode61 tokenizer cuts them, folded with `unaccent` and lower-cased by the `simple`
 *   configuration (no stemming, no stop words: `refunds` does not find `refund`, on either store);
 * - C: the scope of the message, `account <h>`, `conversation <h>` and `visibility public|hidden` (<h> a hash of
 *   the id). Body text cannot forge them: the parser never emits a lexeme holding a space, and a query asks for
 *   scope lexemes with weight C only, which no word of a subject or body carries.
 * A query is the AND of its terms (each word restricted to weights A and B, `prefix` as `:*`, the words of one
 * term a phrase `<->` within one column) and of the scope; GIN intersects the scope's posting lists with the
 * words', so a search costs what the caller's part of the index holds, not the whole index.
 */
import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { SearchScope, SearchTerm } from '../../search/terms.js';
import type { IndexedMessage } from '../types.js';
import type { PgDb } from './db.js';
import { messageSearch } from './schema.js';

/** Ids are hashed into scope lexemes, so that a lexeme stays short and plain whatever an id holds. */
function hashed(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 24);
}

const accountLexeme = (accountId: string) => `account ${hashed(accountId)}`;
const conversationLexeme = (conversationId: string) => `conversation ${hashed(conversationId)}`;
const PUBLIC_LEXEME = 'visibility public';
const HIDDEN_LEXEME = 'visibility hidden';

/** The words of a text as FTS5's unicode61 tokenizer finds them: runs of letters and digits. */
export function words(text: string): string {
  return (text.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []).join(' ');
}

/** The scope lexemes of a message, as a tsvector literal of weight C. */
export function scopeLexemes(message: Pick<IndexedMessage, 'accountId' | 'conversationId' | 'hidden'>): string {
  return [accountLexeme(message.accountId), conversationLexeme(message.conversationId), message.hidden ? HIDDEN_LEXEME : PUBLIC_LEXEME]
    .map((lexeme) => `'${lexeme}':1C`)
    .join(' ');
}

/** The document of one message, as an SQL expression of type tsvector. */
export function searchDocument(message: Omit<IndexedMessage, 'seq'>): SQL {
  return sql`(setweight(to_tsvector('simple', unaccent(${words(message.subject)}::text)), 'A')
    || setweight(to_tsvector('simple', unaccent(${words(message.body)}::text)), 'B')
    || ${scopeLexemes(message)}::tsvector)`;
}

/** Adds (or rewrites) the search document of a message, in the caller's transaction. */
export async function indexMessage(db: PgDb, message: IndexedMessage): Promise<void> {
  const document = searchDocument(message);
  await db.insert(messageSearch).values({ seq: message.seq, document }).onConflictDoUpdate({ target: messageSearch.seq, set: { document } });
}

/**
 * One word as a tsquery: folded like the documents (unaccent, then the `simple` configuration), quoted so that
 * to_tsquery reads it as a lexeme whatever unaccent made of it, with `suffix` (`:AB`, `:*A`, …) after it.
 */
function word(value: string, suffix: string): SQL {
  return sql`to_tsquery('simple', '''' || replace(replace(unaccent(${value}::text), '\\', '\\\\'), '''', '''''') || ${`'${suffix}`})`;
}

/** One term: a word in the subject or the body, or the phrase of its words within one of them. */
function term(t: SearchTerm): SQL {
  const star = t.prefix ? '*' : '';
  if (t.words.length === 1) return word(t.words[0]!, `:${star}AB`);
  const inColumn = (weight: 'A' | 'B') =>
    t.words.map((w, i) => word(w, `:${i === t.words.length - 1 ? star : ''}${weight}`)).reduce((phrase, next) => sql`tsquery_phrase(${phrase}, ${next})`);
  return sql`(${inColumn('A')} || ${inColumn('B')})`;
}

/** The scope as a tsquery of weight-C lexemes, `null` for every message, `false` for none. */
export function scopeQuery(scope: SearchScope): string | null | false {
  if (scope === null) return null;
  const reach = [...new Set([...scope.accounts.map(accountLexeme), ...scope.conversations.map(conversationLexeme)])];
  if (reach.length === 0) return false;
  const reachQuery = `(${reach.map((lexeme) => `'${lexeme}':C`).join(' | ')})`;
  return scope.publicOnly ? `${reachQuery} & '${PUBLIC_LEXEME}':C` : reachQuery;
}

/**
 * The condition that `document` (by default `message_search.document`) matches every term and lies in the scope:
 * one tsquery, so that one GIN index scan answers it. No terms: every message in the scope. A term that folds to
 * no lexeme at all (a letter unaccent turns into punctuation, such as `ʼ`) would drop out of the AND; it finds
 * nothing instead, as on SQLite (a condition PostgreSQL evaluates once per query, not per row).
 */
export function searchCondition(terms: SearchTerm[], scope: SearchScope, document: SQL = sql`${messageSearch.document}`): SQL {
  const inScope = scopeQuery(scope);
  if (inScope === false) return sql`false`;
  const queries = terms.map(term);
  const parts = [...queries];
  if (inScope !== null) parts.push(sql`${inScope}::tsquery`);
  if (parts.length === 0) return sql`true`;
  const conditions = [sql`${document} @@ (${sql.join(parts, sql` && `)})`, ...queries.map((q) => sql`numnode(${q}) > 0`)];
  return sql`(${sql.join(conditions, sql` AND `)})`;
}

/** The messages (seq and conversation, oldest first) that match `terms` within `scope`, after seq `after`. */
export async function matchingMessages(
  db: PgDb,
  terms: SearchTerm[],
  scope: SearchScope,
  options: { after?: number; limit?: number } = {},
): Promise<{ seq: number; conversationId: string }[]> {
  const rows = await db.execute<{ seq: string; conversation_id: string }>(sql`
    SELECT ms.seq, m.conversation_id FROM message_search ms JOIN messages m ON m.seq = ms.seq
    WHERE ${searchCondition(terms, scope, sql`ms.document`)}${options.after === undefined ? sql`` : sql` AND ms.seq > ${options.after}`}
    ORDER BY ms.seq${options.limit === undefined ? sql`` : sql` LIMIT ${options.limit}`}`);
  return rows.rows.map((r) => ({ seq: Number(r.seq), conversationId: r.conversation_id }));
}

/** Of the conversations of `scope`, those holding a message that matches `terms` (store/sqlite/search.ts, the same). */
export async function conversationsMatching(db: PgDb, terms: SearchTerm[], scope: SearchScope): Promise<Set<string>> {
  const rows = await db.execute<{ id: string }>(sql`
    SELECT DISTINCT m.conversation_id AS id FROM message_search ms JOIN messages m ON m.seq = ms.seq
    WHERE ${searchCondition(terms, scope, sql`ms.document`)}`);
  return new Set(rows.rows.map((r) => r.id));
}

/**
 * The conversations of the first `limit` messages (oldest first) that match `terms` within `scope`, and whether those
 * were all of them: store/sqlite/search.ts `firstMatches`, the same (domain/search.ts asks it in a large scope).
 */
export async function firstMatches(
  db: PgDb,
  terms: SearchTerm[],
  scope: SearchScope,
  limit: number,
): Promise<{ ids: string[]; complete: boolean; read: number }> {
  const rows = await matchingMessages(db, terms, scope, { limit: limit + 1 });
  return { ids: [...new Set(rows.slice(0, limit).map((r) => r.conversationId))], complete: rows.length <= limit, read: rows.length };
}

/**
 * Of the messages `seqs` (those a caller may see, chosen by domain/visibility.ts), the ones that match `terms`: their
 * documents read by primary key and matched one by one, without the GIN index, so that the cost is the number of
 * messages named (domain/search.ts matches a small scope so; on SQLite it is search/match.ts).
 */
export async function matchingAmong(db: PgDb, terms: SearchTerm[], seqs: number[]): Promise<Set<number>> {
  if (seqs.length === 0 || terms.length === 0) return new Set();
  const rows = await db.execute<{ seq: string }>(sql`
    SELECT ms.seq FROM message_search ms
    WHERE ms.seq IN (SELECT unnest(${`{${seqs.map((n) => Math.trunc(n)).join(',')}}`}::bigint[]))
      AND ${searchCondition(terms, null, sql`ms.document`)}`);
  return new Set(rows.rows.map((r) => Number(r.seq)));
}

/** The PostgreSQL store's search index: store/types.ts `SearchIndex`, async. */
export const postgresSearch = {
  index: indexMessage,
  firstMatches,
  matchingAmong,
  conversationsMatching,
};
