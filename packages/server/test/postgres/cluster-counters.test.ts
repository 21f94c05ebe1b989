/**
 * Counters shared by two instances (two pools): a limit of 10 holds for hits split over both at once, the first
 * refusal is told once, windows end, and versions never repeat even after the unlogged table is emptied.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { bumpVersions, pruneCounters, readVersions, SharedWindows, SyncedLimits, SyncedWindows } from '../../src/store/postgres/cluster/counters.js';
import { useTestDatabase } from './database.js';

const database = useTestDatabase();
let a: PgDb;
let b: PgDb;

beforeAll(async () => {
  a = openPostgres(database.url(), { max: 5 });
  b = openPostgres(database.url(), { max: 5 });
});

afterAll(async () => {
  await a.$client.end();
  await b.$client.end();
});

describe('SharedWindows', () => {
  it('lets exactly 10 of 24 hits split over two instances at once through, and tells the first refusal once', async () => {
    const onA = new SharedWindows(a, 10);
    const onB = new SharedWindows(b, 10);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? onA : onB).hit('writes:user:u1')));
    expect(results.filter((r) => r === null)).toHaveLength(10);
    const refused = results.filter((r) => r !== null);
    expect(refused).toHaveLength(14);
    expect(refused.filter((r) => r.first)).toHaveLength(1);
    for (const r of refused) expect(r.retryAfter).toBeGreaterThanOrEqual(1);
    expect(await onA.hit('writes:user:u2')).toBeNull(); // another key has its own window
  });

  it('lets 10 hits split over two instances reach a limit of 10 without a refusal', async () => {
    const onA = new SharedWindows(a, 10);
    const onB = new SharedWindows(b, 10);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? onA : onB).hit('writes:user:u3')));
    expect(results.every((r) => r === null)).toBe(true);
    expect(await onB.hit('writes:user:u3')).toMatchObject({ first: true });
  });

  it('starts a new window once the last one ended, with Retry-After counted to its end', async () => {
    let now = 1_000_000;
    const windows = new SharedWindows(a, 2, 60_000, () => now);
    expect(await windows.hit('k')).toBeNull();
    now += 20_000;
    expect(await windows.hit('k')).toBeNull();
    expect(await windows.hit('k')).toEqual({ retryAfter: 40, first: true });
    now = 1_000_000 + 60_000;
    expect(await windows.hit('k')).toBeNull();
  });

  it('counts failed sign-ins on both instances and tells one caller of the first refusal', async () => {
    const onA = new SharedWindows(a, 5);
    const onB = new SharedWindows(b, 5);
    await Promise.all(Array.from({ length: 4 }, (_, i) => (i % 2 ? onA : onB).count('auth:203.0.113.9')));
    expect(await onA.over('auth:203.0.113.9')).toBeNull();
    await onB.count('auth:203.0.113.9');
    const checks = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? onA : onB).over('auth:203.0.113.9')));
    expect(checks.every((r) => r !== null)).toBe(true);
    expect(checks.filter((r) => r!.first)).toHaveLength(1);
  });

  it('never refuses with limit 0, bounds keys, and prunes ended windows', async () => {
    const off = new SharedWindows(a, 0);
    for (let i = 0; i < 3; i += 1) expect(await off.hit('off')).toBeNull();
    await expect(new SharedWindows(a, 1).hit('x'.repeat(257))).rejects.toThrow(RangeError);
    await new SharedWindows(a, 1, 60_000, () => 0).hit('ancient');
    expect(await pruneCounters(a, 120_000)).toBeGreaterThanOrEqual(1);
    const { rows } = await database.pool().query(`SELECT key FROM shared_counters WHERE key = 'ancient'`);
    expect(rows).toEqual([]);
    const tables = await database
      .pool()
      .query(`SELECT relname, relpersistence FROM pg_class WHERE relname IN ('shared_counters', 'shared_versions') ORDER BY relname`);
    expect(tables.rows).toEqual([
      { relname: 'shared_counters', relpersistence: 'u' },
      { relname: 'shared_versions', relpersistence: 'u' },
    ]);
  });
});

describe('SyncedWindows', () => {
  it('keeps counting the hits it is sending while their answer is on its way', async () => {
    const windows = new SyncedWindows(a, 5, 60_000, 60_000);
    for (let i = 0; i < 3; i += 1) expect(windows.hit('reads:user:s1')).toBeNull();
    const sending = windows.send();
    // Sent, not answered yet: the three still count.
    expect(windows.hit('reads:user:s1')).toBeNull();
    expect(windows.hit('reads:user:s1')).toBeNull();
    expect(windows.hit('reads:user:s1')).toMatchObject({ first: true });
    await sending;
    expect(windows.hit('reads:user:s1')).toMatchObject({ first: false });
  });
});

describe('SyncedLimits', () => {
  it('refuses a key at its limit through this instance at once, through another within 100 ms, and tells the first refusal once', async () => {
    const onA = new SyncedLimits(a, 'sign-in:', 3);
    const onB = new SyncedLimits(b, 'sign-in:', 3);
    expect(await onA.over('sign-in:198.51.100.1')).toBeNull();
    expect(await onB.over('sign-in:198.51.100.1')).toBeNull();
    await onA.count('sign-in:198.51.100.1');
    await onB.count('sign-in:198.51.100.1');
    await onA.count('sign-in:198.51.100.1');
    const first = await onA.over('sign-in:198.51.100.1');
    expect(first).toMatchObject({ first: true });
    expect(first!.retryAfter).toBeGreaterThan(50);
    expect(await onA.over('sign-in:198.51.100.1')).toMatchObject({ first: false });
    expect(await onA.over('sign-in:198.51.100.2')).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 110));
    expect(await onB.over('sign-in:198.51.100.1')).toMatchObject({ first: false });
    expect(await onB.over('sign-in:198.51.100.2')).toBeNull();
  });

  it('answers from memory between its reads, which requests arriving together share', async () => {
    const limits = new SyncedLimits(a, 'sign-in:', 3, 60_000, 60_000);
    const query = vi.spyOn(a.$client, 'query');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => limits.over(`sign-in:192.0.2.${i + 10}`)));
    for (let i = 0; i < 200; i += 1) expect(limits.over(`sign-in:192.0.2.${i}`)).toBeNull();
    const reads = query.mock.calls.length;
    query.mockRestore();
    expect(answers).toEqual(Array.from({ length: 20 }, () => null));
    expect(reads).toBe(1);
  });
});

describe('versions', () => {
  it('changes a version bumped through one instance for the other, and never hands one out twice', async () => {
    expect(await readVersions(b, ['page:u1'])).toEqual(new Map([['page:u1', 0]]));
    await bumpVersions(a, ['page:u1', 'page:u2', 'page:u1']);
    const first = (await readVersions(b, ['page:u1', 'page:u2'])).get('page:u1')!;
    expect(first).toBeGreaterThan(0);
    await bumpVersions(a, ['page:u1']);
    const second = (await readVersions(b, ['page:u1'])).get('page:u1')!;
    expect(second).toBeGreaterThan(first);

    // What a crash does to an unlogged table: it is emptied. A kept page at `second` must not match again.
    await database.pool().query('TRUNCATE shared_versions');
    expect((await readVersions(b, ['page:u1'])).get('page:u1')).toBe(0);
    await bumpVersions(b, ['page:u1']);
    expect((await readVersions(a, ['page:u1'])).get('page:u1')).toBeGreaterThan(second);
  });
});
