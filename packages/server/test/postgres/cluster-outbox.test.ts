/**
 * Outbox claims with two instances' workers: the same notice is never held by both, a claim held by one makes
 * the other skip at once, and a lease left by an instance that died runs out and is claimed again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { claimNotices, dueLeaders, finishNotices, postponeNotices } from '../../src/store/postgres/cluster/outbox.js';
import { useTestDatabase } from './database.js';

const database = useTestDatabase();
let a: PgDb;
let b: PgDb;

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const LEASE = 60_000;
const BATCH_SECONDS = 30;
let counter = 0;

/** A user with `count` pending e-mail notices made at T0 (their batch window closes at T0 + 30 s). */
async function userWithNotices(count: number): Promise<{ userId: string; ids: number[] }> {
  const userId = `user-${(counter += 1)}`;
  const pool = database.pool();
  await pool.query(`INSERT INTO users (id, name, role) VALUES ($1, $1, 'customer')`, [userId]);
  const ids: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO notifications (user_id, channel, reason, conversation_id, dedupe_key, created_at, next_attempt_at)
       VALUES ($1, 'email', 'reply', 'c1', $2, $3, $3) RETURNING id`,
      [userId, `${userId}:${i}`, new Date(T0 + i).toISOString()],
    );
    ids.push(Number(rows[0]!.id));
  }
  return { userId, ids };
}

beforeAll(() => {
  a = openPostgres(database.url(), { max: 4 });
  b = openPostgres(database.url(), { max: 4 });
});

afterAll(async () => {
  await a.$client.end();
  await b.$client.end();
});

describe('claimNotices on PostgreSQL', () => {
  it('gives each batch to exactly one of two instances claiming at once', async () => {
    const users = await Promise.all(Array.from({ length: 20 }, () => userWithNotices(3)));
    const now = T0 + 31_000;
    const claimed: number[] = [];
    for (const { userId, ids } of users) {
      const leader = { userId, leaderId: ids[0]! };
      const results = await Promise.all([claimNotices(a, leader, now, LEASE, BATCH_SECONDS), claimNotices(b, leader, now, LEASE, BATCH_SECONDS)]);
      const won = results.filter((r) => r !== null);
      expect(won).toHaveLength(1);
      expect(won[0]!.ids).toEqual(ids);
      expect(won[0]!.attempts).toBe(1);
      claimed.push(...won[0]!.ids);
    }
    expect(new Set(claimed).size).toBe(60);
    expect(await dueLeaders(a, now)).toEqual([]);
  });

  it('skips a batch another instance is claiming right now instead of waiting for it', async () => {
    const { userId, ids } = await userWithNotices(1);
    const holder = await database.pool().connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM notifications WHERE id = $1 FOR UPDATE', [ids[0]]);
      const started = Date.now();
      expect(await claimNotices(b, { userId, leaderId: ids[0]! }, T0 + 31_000, LEASE, BATCH_SECONDS)).toBeNull();
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await claimNotices(b, { userId, leaderId: ids[0]! }, T0 + 31_000, LEASE, BATCH_SECONDS)).not.toBeNull();
  });

  it('claims again a batch whose lease ran out (its instance died), and not before', async () => {
    const { userId, ids } = await userWithNotices(2);
    const leader = { userId, leaderId: ids[0]! };
    const now = T0 + 31_000;
    expect(await claimNotices(a, leader, now, LEASE, BATCH_SECONDS)).toMatchObject({ ids, attempts: 1 });
    // Instance a dies here: no finish, no postpone.
    expect(await claimNotices(b, leader, now + LEASE - 1, LEASE, BATCH_SECONDS)).toBeNull();
    expect(await dueLeaders(b, now + LEASE - 1)).not.toContainEqual(leader);
    expect(await dueLeaders(b, now + LEASE)).toContainEqual(leader);
    expect(await claimNotices(b, leader, now + LEASE, LEASE, BATCH_SECONDS)).toMatchObject({ ids, attempts: 2 });
  });

  it('waits for the batch window to close, postpones after a failure, and never claims a sent batch', async () => {
    const { userId, ids } = await userWithNotices(1);
    const leader = { userId, leaderId: ids[0]! };
    expect(await claimNotices(a, leader, T0 + 29_000, LEASE, BATCH_SECONDS)).toBeNull();
    const batch = await claimNotices(a, leader, T0 + 31_000, LEASE, BATCH_SECONDS);
    expect(batch?.ids).toEqual(ids);
    await postponeNotices(a, ids, new Date(T0 + 600_000).toISOString(), 'smtp down');
    expect(await claimNotices(b, leader, T0 + 31_000 + LEASE, LEASE, BATCH_SECONDS)).toBeNull();
    expect(await claimNotices(b, leader, T0 + 600_000, LEASE, BATCH_SECONDS)).toMatchObject({ attempts: 2 });
    await finishNotices(b, ids, 'sent', null, new Date(T0 + 600_001).toISOString());
    expect(await claimNotices(a, leader, T0 + 10_000_000, LEASE, BATCH_SECONDS)).toBeNull();
    const { rows } = await database.pool().query('SELECT status, delivered_at, last_error FROM notifications WHERE id = $1', [ids[0]]);
    expect(rows[0]).toEqual({ status: 'sent', delivered_at: new Date(T0 + 600_001).toISOString(), last_error: null });
  });
});
