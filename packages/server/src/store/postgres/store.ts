/**
 * The PostgreSQL store (store/types.ts), selected by SECURE_INBOX_DATABASE_URL: one pool, migrations applied at start
 * under their advisory lock, the domain's queries run through Drizzle's node-postgres driver, every write in a
 * transaction of its own (PostgreSQL commits concurrent transactions side by side: no group commit, no writer
 * thread), attachments in the database (blobs.ts, chosen by app.ts for a PostgreSQL database), the delivery worker's
 * claims safe with several instances (cluster/outbox.ts), and this instance's wake listener (cluster/instance.ts), which
 * brings other instances' commits, "is writing" frames and sign-in changes to this one's streams and kept pages.
 */
import type { Config } from '../../config.js';
import { createConversation } from '../../domain/conversations.js';
import type { MessageEffects } from '../../domain/messages.js';
import { postMessage } from '../../domain/messages.js';
import { prepareRichText } from '../../domain/rich-text.js';
import { writeUser } from '../../domain/users.js';
import type { Writes } from '../../domain/writes.js';
import { notifyEffects } from '../../notify/effects.js';
import { transaction } from '../runtime.js';
import type { Db } from '../sqlite/client.js';
import type { Store } from '../types.js';
import { joinCluster, leaveCluster } from './cluster/instance.js';
import { postgresNoticeWrites } from './cluster/outbox.js';
import { connectPostgres, type PgDb } from './db.js';
import { postgresDialect } from './dialect.js';
import { postgresSearch } from './search.js';
import type { DatabaseUrl } from './url.js';

export interface PostgresStoreOptions {
  /** The side effects of a message (by default the notices and events of config). */
  effects?: MessageEffects;
  /** The pool's size (10 unless told otherwise; docs/operations.md, "Several instances"). */
  poolSize?: number;
  /** Told when the wake listener loses its connection (it reconnects by itself). */
  warn?: (line: string) => void;
}

/** How long start-up waits for the wake listener before it goes on (the listener keeps trying). */
const LISTEN_WAIT_MS = 10_000;

/** The busy path's writes on PostgreSQL: each in a transaction of its own. */
export function postgresWrites(pg: PgDb, effects: MessageEffects): Writes {
  const db = pg as unknown as Db;
  return {
    createConversation: (viewer, input) => {
      const body = prepareRichText(input.body);
      return transaction(db, (tx) => createConversation(tx, viewer, input, body, effects));
    },
    postMessage: (viewer, conversationId, input) => {
      const body = prepareRichText(input.body);
      return transaction(db, (tx) => postMessage(tx, viewer, conversationId, input, body, effects));
    },
    writeUser: (identity) => transaction(db, (tx) => writeUser(tx, identity)),
    notices: postgresNoticeWrites(pg),
  };
}

/** Connects to `target` (start-up stops with a sentence naming the variable when it cannot), migrates, and opens the store. */
export async function openPostgresStore(config: Config, target: DatabaseUrl, options: PostgresStoreOptions = {}): Promise<Store> {
  const pg = await connectPostgres(target, { max: options.poolSize });
  const db = pg as unknown as Db;
  const listener = joinCluster(pg, {
    url: target.url,
    onError: (error) => options.warn?.(`Listening for other instances' changes: ${error.message}; reconnecting`),
  });
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([listener.ready, new Promise((resolve) => (waited = setTimeout(resolve, LISTEN_WAIT_MS)))]);
  clearTimeout(waited);
  return {
    db,
    dialect: postgresDialect,
    search: postgresSearch as unknown as Store['search'],
    writes: postgresWrites(pg, options.effects ?? notifyEffects(config)),
    transaction: (fn, transactionOptions) => transaction(db, fn, transactionOptions),
    close: async () => {
      await leaveCluster(pg);
      await pg.$client.end();
    },
  };
}
