/**
 * A search, as both stores understand it: the words of `q` and the rows the caller may see. The
 * domain parses `q` and decides the scope (domain/visibility.ts); each store renders the two into its
 * own index's query (FTS5 on SQLite, a tsquery on PostgreSQL), so both give the same results.
 */
import { limits } from '@secure-inbox/protocol';
import { invalid } from '../errors.js';

/** One word of `q`: matched whole, or as a prefix (`word%`, or a word long enough to be one). */
export interface SearchTerm {
  /** Lower-cased letters and digits; several runs of one piece (`e-mail`) become a phrase of words. */
  words: string[];
  prefix: boolean;
}

/**
 * The messages a caller may find: in these accounts or these conversations, and for customers only
 * messages visible to customers. `null` is "every message" (admins).
 */
export type SearchScope = {
  accounts: string[];
  conversations: string[];
  /** Only messages customers may see (neither DoNotReply nor written for staff only). */
  publicOnly: boolean;
} | null;

/**
 * The terms of `q`: words AND-ed, each a prefix from `limits.searchPrefix` characters on (`word%` asks for it and
 * needs that many); null for "everything", an empty list for words that match nothing. Bounded so one search stays
 * cheap: at most `limits.searchTerms` different words (422 past it), and no prefix shorter than `limits.searchPrefix`
 * (a short prefix matches a large share of all words, which the index merges across all of it before it applies the
 * caller's scope).
 */
export function parseSearch(q: string | undefined): SearchTerm[] | null {
  const trimmed = (q ?? '').trim();
  if (trimmed === '' || trimmed === '%') return null;
  const terms = new Map<string, SearchTerm>();
  for (const piece of trimmed.split(/\s+/)) {
    const runs = piece.match(/[\p{L}\p{N}]+/gu);
    if (!runs) continue;
    const asked = piece.endsWith('%');
    const last = [...runs[runs.length - 1]!].length;
    if (asked && last < limits.searchPrefix) {
      throw invalid('q', `"${piece}": a prefix search needs at least ${limits.searchPrefix} characters before the %`);
    }
    const term = { words: runs.map((run) => run.toLowerCase()), prefix: asked || last >= limits.searchPrefix };
    terms.set(JSON.stringify(term), term);
    if (terms.size > limits.searchTerms) throw invalid('q', `search for at most ${limits.searchTerms} different words at once`);
  }
  return [...terms.values()];
}
