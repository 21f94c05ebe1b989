/**
 * Search on SQLite: the FTS5 table `message_search` (migration 0001) holds each message's subject,
 * visible text and scope tokens; a search is one MATCH of the caller's terms AND their scope
 * (search/terms.ts), so FTS5 never returns a row the caller may not see. The domain parses `q` and
 * decides the scope (domain/visibility.ts); only the rendering into FTS5's query language is here.
 */
import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createHash } from 'node:crypto';
import type { Db } from './client.js';
import type { SearchScope, SearchTerm } from '../../search/terms.js';
import type { IndexedMessage, SearchIndex } from '../types.js';
import { rows } from '../sql.js';
import { prepareOnce } from '../prepared.js';

/** The FTS5 table as Drizzle writes to it. Not in store/sqlite/schema.ts: drizzle-kit cannot create virtual tables (0001 does). */
const messageSearch = sqliteTable('message_search', {
  rowid: integer('rowid').notNull(),
  subject: text('subject').notNull(),
  body: text('body').notNull(),
  scope: text('scope').notNull(),
});

// ------------------------------------------------------------------ scope tokens
/** Tokens already hashed: every message written and every search names some, mostly the same few. */
const hashed = new Map<string, string>();
const HASHED_KEPT = 10_000;

function token(prefix: string, value: string): string {
  const key = prefix + value;
  let known = hashed.get(key);
  if (known === undefined) {
    if (hashed.size >= HASHED_KEPT) hashed.clear();
    known = prefix + createHash('sha256').update(value).digest('hex').slice(0, 24);
    hashed.set(key, known);
  }
  return known;
}
export const accountToken = (accountId: string) => token('a', accountId);
export const conversationToken = (conversationId: string) => token('c', conversationId);
const PUBLIC_TOKEN = 'vpublic';
const HIDDEN_TOKEN = 'vhidden';
/** Every row carries exactly one of the two visibility tokens: asking for both matches nothing. */
const NOTHING = `scope : ${HIDDEN_TOKEN} AND scope : ${PUBLIC_TOKEN}`;

/**
 * The scope tokens stored with a message: its account, its conversation, and whether customers may
 * see it (`hidden`: domain/visibility.ts hiddenFromCustomers). Hashed, so no word of a body matches one.
 */
export function searchScopeTokens(conversation: { id: string; accountId: string }, message: { hidden: boolean }): string {
  return [accountToken(conversation.accountId), conversationToken(conversation.id), message.hidden ? HIDDEN_TOKEN : PUBLIC_TOKEN].join(' ');
}

// ------------------------------------------------------------------ index
/** Adds a message to the search index (in the caller's transaction). */
export async function indexMessage(db: Db, message: IndexedMessage): Promise<void> {
  const p = sql.placeholder;
  await prepareOnce(db, 'search.index', (db) =>
    db
      .insert(messageSearch)
      .values({ rowid: p('seq'), subject: p('subject'), body: p('body'), scope: p('scope') })
      .prepare(),
  ).execute({
    seq: message.seq,
    subject: message.subject,
    body: message.body,
    scope: searchScopeTokens({ id: message.conversationId, accountId: message.accountId }, { hidden: message.hidden }),
  });
}

// ------------------------------------------------------------------ match
/** FTS5's part of a query limiting matches to the scope, or null for every message. */
function renderScope(scope: SearchScope): string | null {
  if (scope === null) return null;
  const reach = [...scope.accounts.map(accountToken), ...scope.conversations.map(conversationToken)];
  if (reach.length === 0) return NOTHING;
  const reachQuery = `scope : (${reach.join(' OR ')})`;
  // "Not hidden" is "public"; FTS5 evaluates NOT against the short hidden list much faster than AND
  // against the long public one.
  return scope.publicOnly ? `${reachQuery} NOT scope : ${HIDDEN_TOKEN}` : reachQuery;
}

/** The FTS5 query for `terms` (at least one) within `scope`: words AND-ed, each a phrase, prefixes with `*`. */
export function ftsMatch(terms: SearchTerm[], scope: SearchScope): string {
  const words = terms.map((t) => `"${t.words.join(' ')}"${t.prefix ? ' *' : ''}`).join(' AND ');
  const limit = renderScope(scope);
  return `{subject body} : (${words})${limit ? ` AND ${limit}` : ''}`;
}

/**
 * Of the conversations of `scope`, those holding a message that matches `terms`: one MATCH, so the index reads the
 * caller's part of it (domain/search.ts asks it when a search's terms are rare in the caller's scope).
 */
export async function conversationsMatching(db: Db, terms: SearchTerm[], scope: SearchScope): Promise<Set<string>> {
  const found = await rows<{ id: string }>(
    db,
    sql`SELECT DISTINCT sm.conversation_id AS id FROM message_search JOIN messages sm ON sm.seq = message_search.rowid
        WHERE message_search MATCH ${ftsMatch(terms, scope)}`,
  );
  return new Set(found.map((r) => r.id));
}

/**
 * The conversations of the first `limit` messages (in the index's order) that match `terms` within `scope`, and
 * whether those were all of them (`complete`); `read` counts the matches read (at most limit + 1).
 */
export async function firstMatches(
  db: Db,
  terms: SearchTerm[],
  scope: SearchScope,
  limit: number,
): Promise<{ ids: string[]; complete: boolean; read: number }> {
  // LIMIT written into the text: bound as a parameter, it keeps SQLite from stopping early in a join (docs/performance.md, change 39).
  const hits = await rows<{ id: string }>(
    db,
    sql`
    SELECT sm.conversation_id AS id FROM (
      SELECT rowid FROM message_search WHERE message_search MATCH ${ftsMatch(terms, scope)} LIMIT ${sql.raw(String(Math.floor(limit) + 1))}) AS hit
    JOIN messages sm ON sm.seq = hit.rowid`,
  );
  return { ids: [...new Set(hits.slice(0, limit).map((r) => r.id))], complete: hits.length <= limit, read: hits.length };
}

/** The SQLite store's search index (store/types.ts). */
export const sqliteSearch: SearchIndex = { index: indexMessage, firstMatches, conversationsMatching };
