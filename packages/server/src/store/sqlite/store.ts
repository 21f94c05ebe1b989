/**
 * The SQLite store (store/types.ts): one database file opened by this process, WAL, IMMEDIATE
 * transactions. Its busy-path writes are committed in groups (group-commit.ts), for a database file on
 * a writer thread with a connection of its own (writer-thread.ts), and its WAL is checkpointed on a
 * thread of its own (checkpointer.ts); all three are private to this store.
 */
import type { Config } from '../../config.js';
import type { MessageEffects } from '../../domain/messages.js';
import { writesInProcess } from '../../domain/writes.js';
import { notifyEffects } from '../../notify/effects.js';
import type { Store } from '../types.js';
import { startCheckpointer } from './checkpointer.js';
import { closeLane, dialect, laneDrained, openDb, transaction, type Db } from './client.js';
import { sqliteSearch } from './search.js';
import { startWriterThread } from './writer-thread.js';

export interface SqliteStore extends Store {
  /** Writes waiting for the writer thread (metrics), or null when sends are written on this thread. */
  readonly writerQueue: (() => number) | null;
}

export interface SqliteStoreOptions {
  /** Runs once the database is open and migrated, before the writer thread starts. */
  prepare?: (db: Db) => void;
  /** The side effects of a message written on this thread (by default the notices and events of config). */
  effects?: MessageEffects;
  /** Writes sends on the writer thread even where they would be written here; by default for a database file. */
  writerThread?: boolean;
  /** Where the checkpointer's warnings go. */
  warn?: (line: string) => void;
  /** Where the writer thread's errors go. */
  error?: (line: string) => void;
}

/** Opens (and migrates) `config.dbFile` and starts what the store runs beside it. */
export function openSqliteStore(config: Config, options: SqliteStoreOptions = {}): SqliteStore {
  const db = openDb(config.dbFile, { synchronous: config.dbSynchronous });
  options.prepare?.(db);
  const checkpointer = startCheckpointer(db, config.dbFile, { log: options.warn ?? console.warn });
  // An in-memory database has one connection: its sends are written on this thread.
  const onThread = options.writerThread ?? config.dbFile !== ':memory:';
  const writer = onThread ? startWriterThread(db, config, { log: options.error ?? console.error }) : null;
  return {
    db,
    dialect,
    search: sqliteSearch,
    writes: writer ?? writesInProcess(db, options.effects ?? notifyEffects(config)),
    writerQueue: writer ? writer.queued : null,
    transaction: (fn, transactionOptions) => transaction(db, fn, transactionOptions),
    async close() {
      await writer?.stop();
      await checkpointer.stop();
      // Rows queued for the lane (refusals' audit rows) are written before it closes.
      await laneDrained(db);
      closeLane(db);
      db.$client.close();
    },
  };
}
