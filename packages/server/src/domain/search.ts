/**
 * How a search finds its page (docs/performance.md, "How a search is planned"): its cost follows the caller's scope.
 *
 * 1. The messages the caller may see in the conversations the page may list are counted from the index of messages
 *    by conversation, up to SMALL_SCOPE + 1 (visibility from ./visibility.ts, as for the page itself).
 * 2. A scope of at most SMALL_SCOPE messages is matched directly: its conversations walked in page order, their
 *    visible messages read newest first and matched here (search/match.ts) until a page is found. The index is never
 *    asked; an empty scope reads nothing.
 * 3. In a larger scope the index is asked, with the caller's scope inside the query, for at most FEW_MATCHES
 *    matches; when there are no more, the page is picked from their conversations.
 * 4. Otherwise the word is frequent in the caller's scope: the same direct walk stops after a page, reading at most
 *    WALK_READS messages; only past those does the index list every matching conversation of the scope.
 *
 * Text the direct match cannot decide exactly as the index does goes to the index. Both ways give the same
 * conversations (test/search-plan.test.ts, test/postgres/search.test.ts).
 */
import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../store/sqlite/client.js';
import { firstRow, rows } from '../store/sql.js';
import type { SearchTerm } from '../search/terms.js';
import { foldTerms, matchesTerms } from '../search/match.js';
import { searchIndexOf } from '../store/search.js';
import { messages } from '../store/sqlite/schema.js';
import { prepareOnce } from '../store/prepared.js';
import { messageVisible, messageVisibleIn, searchScope, seesHiddenNotes, type Viewer } from './visibility.js';

/** A scope of at most this many messages is matched directly, in full. */
export const SMALL_SCOPE = 1_000;
/** In a larger scope, the index is asked for at most this many matches… */
export const FEW_MATCHES = 1_000;
/** …and past them, the walk reads at most this many messages before the index lists every match of the scope. */
export const WALK_READS = 5_000;

/** Messages read at a time from one conversation. */
const CHUNK = 32;

/**
 * Whether the conversation holds a message the viewer may see that matches `folded`, reading at most `left` of
 * them, newest first; undefined when that was not enough, or when a message's text is not decided directly.
 */
async function matchConversation(
  db: Db,
  viewer: Viewer,
  folded: SearchTerm[],
  conversation: { id: string; subject: string },
  left: number,
): Promise<{ match: boolean | undefined; read: number }> {
  let read = 0;
  let before = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const size = Math.min(CHUNK, left - read);
    if (size <= 0) return { match: undefined, read };
    const chunk = await newestMessages(db, viewer).execute({ conversationId: conversation.id, before, size });
    read += chunk.length;
    for (const row of chunk) {
      const match = matchesTerms(folded, conversation.subject, row.text);
      if (match !== false) return { match, read };
    }
    if (chunk.length < size) return { match: false, read };
    before = chunk[chunk.length - 1]!.seq;
  }
}

/** A conversation's messages the viewer may see, newest first, before seq `before` (messages_conversation_idx). */
function newestMessages(db: Db, viewer: Viewer) {
  const p = sql.placeholder;
  return prepareOnce(db, seesHiddenNotes(viewer) ? 'search.direct.all' : 'search.direct.public', (db) =>
    db
      .select({ seq: messages.seq, text: messages.text })
      .from(messages)
      .where(and(eq(messages.conversationId, p('conversationId')), lt(messages.seq, p('before')), messageVisibleIn(viewer)))
      .orderBy(desc(messages.seq))
      .limit(p('size'))
      .prepare(),
  );
}

/** Where the page of a search comes from, and what finding it read. */
export interface SearchPlan {
  /** `direct`: matched over the caller's messages; `index`: the index listed the matches. */
  via: 'direct' | 'index';
  /** The matching conversations the page is picked from (their order does not matter). */
  ids: string[];
  /** Messages the caller may see in the page's conversations, counted up to SMALL_SCOPE + 1 (null: not counted). */
  scopeMessages: number | null;
  /** Messages read and matched directly. */
  messagesRead: number;
  /** Matches read from the index (null: every match of the scope). */
  matchesRead: number | null;
}

/** The page a search lists: its conditions (visibility included), sort key and direction, and how many rows it wants. */
export interface SearchPage {
  where: SQL[];
  sortKey: SQL;
  ascending: boolean;
  wanted: number;
}

/**
 * The conversations a search's page is picked from (see the top of this file). `participations` are the
 * conversations staff take part in outside their accounts (the index's scope needs them; the walk finds them by
 * visibility).
 */
export async function planSearch(db: Db, viewer: Viewer, terms: SearchTerm[], page: SearchPage, participations: () => Promise<string[]>): Promise<SearchPlan> {
  const folded = foldTerms(terms);
  const scope = async () => searchScope(viewer, await participations());
  const allFromIndex = async (walked: Walked | null): Promise<SearchPlan> => ({
    via: 'index',
    ids: [...(await searchIndexOf(db).conversationsMatching(db, terms, await scope()))],
    scopeMessages: walked ? walked.scopeMessages : null,
    messagesRead: walked?.messagesRead ?? 0,
    matchesRead: null,
  });
  if (!folded) return allFromIndex(null);
  const scopeMessages = await countScope(db, viewer, page);
  if (scopeMessages <= SMALL_SCOPE) {
    const walked = await walk(db, viewer, folded, page, SMALL_SCOPE);
    return walked.ids
      ? { via: 'direct', ids: walked.ids, scopeMessages, messagesRead: walked.read, matchesRead: 0 }
      : allFromIndex({ scopeMessages, messagesRead: walked.read });
  }
  const first = await searchIndexOf(db).firstMatches(db, terms, await scope(), FEW_MATCHES);
  if (first.complete) return { via: 'index', ids: first.ids, scopeMessages, messagesRead: 0, matchesRead: first.read };
  const walked = await walk(db, viewer, folded, page, WALK_READS);
  if (walked.ids) return { via: 'direct', ids: walked.ids, scopeMessages, messagesRead: walked.read, matchesRead: first.read };
  return { ...(await allFromIndex({ scopeMessages, messagesRead: walked.read })), matchesRead: null };
}

interface Walked {
  scopeMessages: number;
  messagesRead: number;
}

/**
 * How many messages the viewer may see in the conversations the page may list, counted up to SMALL_SCOPE + 1 only
 * (from messages_conversation_idx, without reading the messages).
 */
async function countScope(db: Db, viewer: Viewer, page: SearchPage): Promise<number> {
  const look = whereToLook(viewer);
  const row = await firstRow<{ n: number }>(
    db,
    sql`
    SELECT count(*) AS n FROM (
      SELECT 1 FROM ${look.from}
      LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
      JOIN messages m ON m.conversation_id = c.id
      WHERE ${sql.join([...look.where, ...page.where, messageVisible(viewer)], sql` AND `)}
      LIMIT ${SMALL_SCOPE + 1}) AS scope`,
  );
  return Number(row?.n ?? 0);
}

/**
 * The conversations (`c`) worth counting in, read lazily by index so that the count stops early: a customer's and a
 * staff member's participations, and the conversations of a staff member's accounts (a conversation met twice is
 * counted twice, which only makes the count larger). Who sees what is still decided by the page's conditions.
 * `from` joins the candidates to `c` with CROSS JOIN, which keeps SQLite's planner from reordering them; the join's
 * condition is in `where` (PostgreSQL takes no ON after CROSS JOIN).
 */
function whereToLook(viewer: Viewer): { from: SQL; where: SQL[] } {
  const participations = sql`SELECT conversation_id AS id FROM conversation_users WHERE user_id = ${viewer.id} AND participant = TRUE`;
  if (viewer.role === 'admin' || viewer.accounts === '*') return { from: sql`conversations c`, where: [] };
  const accounts = viewer.role === 'staff' && viewer.accounts.length > 0 ? viewer.accounts : [];
  return { from: sql`(${accountConversationsUnion(accounts)}${participations}) AS k CROSS JOIN conversations c`, where: [sql`c.id = k.id`] };
}

/** `SELECT id FROM conversations WHERE account_id IN (…) UNION ALL `, to put before another id query; nothing without accounts. */
export function accountConversationsUnion(accounts: readonly string[]): SQL {
  if (!accounts.length) return sql``;
  return sql`SELECT id FROM conversations WHERE account_id IN (${sql.join(
    accounts.map((a) => sql`${a}`),
    sql`, `,
  )}) UNION ALL `;
}

/**
 * The first `wanted` conversations of the page that hold a matching message, walking them in page order and matching
 * their messages directly; `ids` undefined when that needed more than `reads` messages, or a text is not decided
 * directly (search/match.ts).
 */
async function walk(db: Db, viewer: Viewer, folded: SearchTerm[], page: SearchPage, reads: number): Promise<{ ids: string[] | undefined; read: number }> {
  const found: string[] = [];
  let read = 0;
  let after: number | null = null;
  for (;;) {
    const position: SQL[] = after === null ? [] : [page.ascending ? sql`${page.sortKey} > ${after}` : sql`${page.sortKey} < ${after}`];
    const batch = await rows<{ id: string; subject: string; sortKey: number }>(
      db,
      sql`
      SELECT c.id, c.subject, ${page.sortKey} AS "sortKey" FROM conversations c
      LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${viewer.id}
      WHERE ${sql.join([...page.where, ...position], sql` AND `)}
      ORDER BY ${page.sortKey} ${sql.raw(page.ascending ? 'ASC' : 'DESC')}
      LIMIT ${page.wanted}`,
    );
    for (const c of batch) {
      // Newest first, a few at a time: a conversation is decided by its first matching message, or by all of them.
      const decided = await matchConversation(db, viewer, folded, c, reads - read);
      read += decided.read;
      if (decided.match === undefined) return { ids: undefined, read };
      if (!decided.match) continue;
      found.push(c.id);
      if (found.length === page.wanted) return { ids: found, read };
    }
    if (batch.length < page.wanted) return { ids: found, read };
    after = Number(batch[batch.length - 1]!.sortKey);
  }
}
