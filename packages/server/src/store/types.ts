/**
 * The seam between the domain and a store (the shape of Payload's and Auth.js's database adapters):
 * what the domain needs from wherever its data lives. SQLite (store/sqlite/) is the embedded store;
 * PostgreSQL (store/postgres/) mirrors the same table and column names, so the domain's Drizzle
 * queries are typed once, against the SQLite schema.
 *
 * The domain is becoming async, written once for both stores: its queries are Drizzle's, awaited, and
 * its writes run in `transaction`, which settles after the commit. The busy-path writes (`Writes`) are the
 * SQLite store's group commits (on its writer thread for a database file), whose jobs are async too.
 *
 * On SQLite a transaction holds the one write lock of the database file while it is open, and this
 * thread's connection serves every read: so transactions run one at a time, in order of arrival, on a
 * connection of their own (store/sqlite/client.ts `transaction`); a read outside a transaction never
 * sees the rows of one still open or rolled back. A transaction's body awaits only its own queries (no
 * network, no timers): while it awaits, every other write of the database waits for it.
 */
import type { Writes } from '../domain/writes.js';
import type { SearchScope, SearchTerm } from '../search/terms.js';
import type { Dialect } from './dialect.js';
import type { Db } from './sqlite/client.js';

export type { Db };

/** A message as the search index takes it. */
export interface IndexedMessage {
  seq: number;
  subject: string;
  /** The message's visible text. */
  body: string;
  conversationId: string;
  accountId: string;
  /** Kept from customers (domain/visibility.ts hiddenFromCustomers). */
  hidden: boolean;
}

/** Search over subjects and visible bodies with the caller's scope inside the index (search/terms.ts). */
export interface SearchIndex {
  /** Adds a message, in the caller's transaction. */
  index(db: Db, message: IndexedMessage): Promise<void>;
  /** The conversations of the first `limit` matches within `scope`, and whether those were all (domain/search.ts). */
  firstMatches(db: Db, terms: SearchTerm[], scope: SearchScope, limit: number): Promise<{ ids: string[]; complete: boolean; read: number }>;
  /** Of the conversations of `scope`, those holding a match. */
  conversationsMatching(db: Db, terms: SearchTerm[], scope: SearchScope): Promise<Set<string>>;
}

export interface TransactionOptions {
  /** Runs once the transaction has committed; never when it rolls back. */
  afterCommit?: () => void;
}

export interface Store {
  /** The Drizzle database the domain reads and writes through. */
  readonly db: Db;
  /** The SQL fragments that differ between stores. */
  readonly dialect: Dialect;
  /**
   * Runs `fn` in one write transaction (a savepoint inside one already open in the same async work) and
   * settles after its commit, then `afterCommit`; after its rollback when `fn` throws or rejects.
   */
  transaction<T>(fn: (tx: Db) => Promise<T> | T, options?: TransactionOptions): Promise<T>;
  /** The busy path's writes (sends, sign-ins, the delivery worker's claims); each settles after its commit. */
  readonly writes: Writes;
  readonly search: SearchIndex;
  /** Finishes the writes in flight and closes the store. */
  close(): Promise<void>;
}
