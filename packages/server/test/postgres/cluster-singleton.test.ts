/**
 * Singletons: of two instances contending for the same work, one runs it and the other returns at once; the lock
 * is released when the work ends, by return or by throw, and when its connection dies.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsSingleton, SINGLETON_LOCK_SPACE } from '../../src/store/postgres/cluster/singleton.js';
import { useTestDatabase } from './database.js';

const database = useTestDatabase();
let a: pg.Pool;
let b: pg.Pool;

beforeAll(() => {
  a = new pg.Pool({ connectionString: database.url(), max: 3 });
  b = new pg.Pool({ connectionString: database.url(), max: 3 });
  a.on('error', () => undefined);
});

afterAll(async () => {
  await a.end();
  await b.end();
});

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Singleton locks held in this test file's own database. */
const held = `FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = ${SINGLETON_LOCK_SPACE}
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

async function lockHolders(): Promise<number> {
  const { rows } = await database.pool().query(`SELECT count(*)::int AS n ${held}`);
  return rows[0].n;
}

describe('runAsSingleton', () => {
  it('runs the work on one of two contenders; the other skips it until the first is done', async () => {
    const release = gate();
    const started = gate();
    const first = runAsSingleton(a, 'prune', async () => {
      started.open();
      await release.opened;
      return 'pruned on a';
    });
    await started.opened;
    let ranOnB = false;
    expect(await runAsSingleton(b, 'prune', async () => void (ranOnB = true))).toEqual({ ran: false });
    expect(ranOnB).toBe(false);
    expect(await runAsSingleton(b, 'another job', async () => 'other')).toEqual({ ran: true, value: 'other' });
    release.open();
    expect(await first).toEqual({ ran: true, value: 'pruned on a' });
    expect(await runAsSingleton(b, 'prune', async () => 'pruned on b')).toEqual({ ran: true, value: 'pruned on b' });
    expect(await lockHolders()).toBe(0);
  });

  it('lets two contenders starting together run it once', async () => {
    let runs = 0;
    const job = async () => {
      runs += 1;
      await new Promise((r) => setTimeout(r, 100));
    };
    const results = await Promise.all([runAsSingleton(a, 'tick', job), runAsSingleton(b, 'tick', job)]);
    expect(results.filter((r) => r.ran)).toHaveLength(1);
    expect(runs).toBe(1);
  });

  it('releases the lock when the work throws', async () => {
    await expect(runAsSingleton(a, 'fails', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lockHolders()).toBe(0);
    expect(await runAsSingleton(b, 'fails', async () => 'ok')).toEqual({ ran: true, value: 'ok' });
  });

  it('aborts the work when its lock connection dies, and the lock is free for the other instance', async () => {
    const started = gate();
    const run = runAsSingleton(a, 'dies', async (signal) => {
      started.open();
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return signal.aborted;
    });
    await started.opened;
    await database.pool().query(`SELECT pg_terminate_backend(pid) ${held}`);
    expect(await run).toEqual({ ran: true, value: true });
    // The client hears of the termination before the backend has finished exiting, and the backend releases its
    // locks as it exits: the lock is free once it has gone, within moments.
    for (const deadline = Date.now() + 5_000; (await lockHolders()) > 0 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await runAsSingleton(b, 'dies', async () => 'taken over')).toEqual({ ran: true, value: 'taken over' });
  });
});
