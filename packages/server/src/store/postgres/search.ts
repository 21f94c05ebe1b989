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

/** Above this many matching conversations, matches spread over less than DENSE of the messages are walked for (as on SQLite). */
const FEW_HITS = 150;
const DENSE = 0.125;
/** The first batch of matches read; each next one is four times larger. */
const MATCH_BATCH = 500;

/**
 * The conversations holding a message that matches `terms` within `scope`, oldest message first, with the
 * SQLite store's contract (store/sqlite/search.ts `matchingConversations`): with `mayStop`, the reading stops once
 * more than FEW_HITS conversations were met within the oldest DENSE of all messages (`complete: false`), and the
 * domain walks the caller's conversations in page order instead.
 */
export async function matchingConversations(
  db: PgDb,
  terms: SearchTerm[],
  scope: SearchScope,
  mayStop: boolean,
): Promise<{ ids: string[]; complete: boolean }> {
  const ids = new Set<string>();
  const newest = mayStop ? Number((await db.execute<{ seq: string | null }>(sql`SELECT max(seq) AS seq FROM messages`)).rows[0]?.seq ?? 0) : 0;
  for (let after = 0, size = MATCH_BATCH; ; size *= 4) {
    const rows = await matchingMessages(db, terms, scope, { after, limit: size });
    for (const row of rows) {
      ids.add(row.conversationId);
      if (mayStop && ids.size === FEW_HITS + 1 && row.seq < DENSE * newest) return { ids: [...ids], complete: false };
    }
    if (rows.length < size) break;
    after = rows[rows.length - 1]!.seq;
  }
  return { ids: [...ids], complete: true };
}

/** The PostgreSQL store's search index: store/types.ts `SearchIndex`, async. */
export const postgresSearch = {
  index: indexMessage,
  matchingConversations,
  conversationsMatching,
};
