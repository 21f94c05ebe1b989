/**
 * A search, as both stores understand it: the words of `q` and the rows the caller may see. The
 * domain parses `q` and decides the scope (domain/visibility.ts); each store renders the two into its
 * own index's query (FTS5 on SQLite, a tsquery on PostgreSQL), so both give the same results.
 */

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
