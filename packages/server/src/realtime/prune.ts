import { sql } from 'drizzle-orm';
import { execute } from '../store/sql.js';
import type { Db } from '../store/sqlite/client.js';
import { transaction } from '../store/runtime.js';
import { startPeriodic } from '../periodic.js';
import { oneInstanceAtATime } from '../store/postgres/cluster/singleton.js';

/** Replay covers at least each user's last KEEP_PER_USER events or the last KEEP_HOURS hours, whichever is more. */
export const KEEP_PER_USER = 1000;
export const KEEP_HOURS = 24;

/** Deletes events that are both older than the retention window and beyond each user's newest KEEP_PER_USER. */
export async function pruneEvents(db: Db, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - KEEP_HOURS * 3600_000).toISOString();
  // The ranked rows are named (`ranked`): PostgreSQL wants an alias on every subquery in FROM.
  return transaction(db, (tx) =>
    execute(
      tx,
      sql`
      DELETE FROM events WHERE id IN (
        SELECT id FROM (
          SELECT id, created_at, row_number() OVER (PARTITION BY user_id ORDER BY id DESC) AS position
          FROM events WHERE user_id IN (SELECT DISTINCT user_id FROM events WHERE created_at < ${cutoff})
        ) AS ranked WHERE position > ${KEEP_PER_USER} AND created_at < ${cutoff})`,
    ),
  );
}

/**
 * Prunes once now and then every `intervalMs`; returns a function that stops it (after a run in progress). On
 * PostgreSQL one instance at a time prunes; the others skip their turn while it does.
 */
export function startEventPruner(db: Db, intervalMs = 3600_000, log: (line: string) => void = console.warn): () => Promise<void> {
  return startPeriodic(
    () => oneInstanceAtATime(db, 'event-pruner', () => pruneEvents(db)),
    intervalMs,
    (error) => log(`pruning the event log failed: ${error.message}`),
  );
}
