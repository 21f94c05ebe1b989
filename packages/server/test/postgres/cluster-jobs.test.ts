/**
 * Periodic jobs with several instances: while one instance prunes the event log, another's pruner skips its turn,
 * and prunes once the first has finished; the shared rate-limit counters are pruned on PostgreSQL too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_PER_USER, startEventPruner } from '../../src/realtime/prune.js';
import { postgresNoticeWrites } from '../../src/store/postgres/cluster/outbox.js';
import { runAsSingleton } from '../../src/store/postgres/cluster/singleton.js';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import type { Db } from '../../src/store/sqlite/client.js';
import { loadConfig } from '../../src/config.js';
import { startBackgroundJobs } from '../../src/notify/background.js';
import { SECRET } from '../helpers.js';
import { useTestDatabase } from './database.js';

const database = useTestDatabase();
let a: PgDb;
let b: PgDb;

beforeAll(() => {
  a = openPostgres(database.url(), { max: 3 });
  b = openPostgres(database.url(), { max: 3 });
});

afterAll(async () => {
  await a.$client.end();
  await b.$client.end();
});

const eventCount = async () => Number((await a.$client.query('SELECT count(*) AS n FROM events')).rows[0].n);

describe('the event pruner', () => {
  it('skips its turn while another instance prunes, and prunes after', async () => {
    // Two days old, KEEP_PER_USER + 5 of them: the 5 oldest are due.
    const old = new Date(Date.now() - 48 * 3600_000).toISOString();
    await a.$client.query(`INSERT INTO events (user_id, type, data, created_at) SELECT 'u', 'unread.changed', '{}', $1 FROM generate_series(1, $2)`, [
      old,
      KEEP_PER_USER + 5,
    ]);
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    // Instance A holds the job (as its own pruner would while it runs).
    const held = runAsSingleton(a.$client, 'event-pruner', () => {
      started();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await running;
    await startEventPruner(b as unknown as Db, 3600_000, () => undefined)();
    expect(await eventCount()).toBe(KEEP_PER_USER + 5);
    release();
    expect((await held).ran).toBe(true);
    await startEventPruner(b as unknown as Db, 3600_000, () => undefined)();
    expect(await eventCount()).toBe(KEEP_PER_USER);
  });
});

describe('the background jobs on PostgreSQL', () => {
  it('prune rate-limit windows that ended long ago', async () => {
    const longAgo = Date.now() - 3600_000;
    await a.$client.query(`INSERT INTO shared_counters (key, window_start, count) VALUES ('writes:old', $1, 3), ('writes:now', $2, 1)`, [longAgo, Date.now()]);
    const config = loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_DATABASE_URL: database.url() });
    const jobs = startBackgroundJobs(b as unknown as Db, config, { writes: postgresNoticeWrites(b), jobLog: () => undefined, log: () => undefined });
    await jobs.stop();
    const { rows } = await a.$client.query<{ key: string }>('SELECT key FROM shared_counters ORDER BY key');
    expect(rows.map((r) => r.key)).toEqual(['writes:now']);
  });
});
