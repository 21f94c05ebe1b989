/**
 * Wake-ups across instances: two listeners (as two instances) hear a commit made through a third connection,
 * come back after their connection is killed, and catch up on a tick.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import {
  ALL_USERS,
  listenForWakeups,
  MAX_PAYLOADS,
  notifyUsers,
  PAYLOAD_MAX_BYTES,
  parseWakePayload,
  wakePayloads,
  type Wake,
  type WakeListener,
} from '../../src/store/postgres/cluster/wakeups.js';
import { useTestDatabase } from './database.js';

const database = useTestDatabase();
let writer: PgDb;
const listeners: WakeListener[] = [];

beforeAll(() => {
  writer = openPostgres(database.url(), { max: 2 });
});

afterAll(async () => {
  for (const listener of listeners) await listener.close();
  await writer.$client.end();
});

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function instance(catchUpMs = 0) {
  const wakes: Wake[] = [];
  const listener = listenForWakeups({ url: database.url(), onWake: (w) => wakes.push(w), catchUpMs, reconnectMs: 20 });
  listeners.push(listener);
  const woken = () => new Set(wakes.flatMap((w) => (w.users === 'all' ? [ALL_USERS] : w.users)));
  return { listener, wakes, woken };
}

describe('wakePayloads', () => {
  it('keeps each payload under the limit, names each user once, and says "all" past MAX_PAYLOADS', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `user-${i}-${'x'.repeat(20)}`);
    const payloads = wakePayloads([...ids, ...ids]);
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(PAYLOAD_MAX_BYTES);
    expect(payloads.flatMap((p) => parseWakePayload(p) as string[])).toEqual(ids);

    const many = Array.from({ length: MAX_PAYLOADS * 400 }, (_, i) => `user-${i}-${'x'.repeat(20)}`);
    expect(wakePayloads(many)).toEqual([ALL_USERS]);
    expect(wakePayloads(['é'.repeat(PAYLOAD_MAX_BYTES)])).toEqual([ALL_USERS]);
    expect(wakePayloads([])).toEqual([]);
  });

  it('reads anything it cannot parse as "all"', () => {
    expect(parseWakePayload('["a","b"]')).toEqual(['a', 'b']);
    for (const p of [ALL_USERS, '', undefined, '{', '[1]', '{"a":1}']) expect(parseWakePayload(p)).toBe('all');
  });
});

describe('listenForWakeups', () => {
  it('wakes both instances with the user ids of a commit made elsewhere, and nothing for a rollback', async () => {
    const a = instance();
    const b = instance();
    await Promise.all([a.listener.ready, b.listener.ready]);

    await writer
      .transaction(async (tx) => {
        await notifyUsers(tx, ['rolled-back']);
        tx.rollback();
      })
      .catch(() => undefined);
    const ids = Array.from({ length: 600 }, (_, i) => `customer-${i}-${'y'.repeat(24)}`);
    await writer.transaction(async (tx) => notifyUsers(tx, ['u1', 'u2', ...ids]));

    for (const side of [a, b]) {
      await until(() => side.woken().has(ids.at(-1)!) && side.woken().has('u1'), 'the wake-up');
      expect(side.wakes.length).toBeGreaterThan(1); // split over several notifications
      expect(side.wakes.every((w) => w.reason === 'notify')).toBe(true);
      expect(side.woken().has('rolled-back')).toBe(false);
      expect(side.woken().size).toBe(ids.length + 2);
    }
  });

  it('reconnects after its connection is killed, wakes everything, and hears notifications again', async () => {
    const a = instance();
    await a.listener.ready;
    const pid = a.listener.backendPid();
    expect(pid).not.toBeNull();
    await writer.$client.query('SELECT pg_terminate_backend($1)', [pid]);

    await until(() => a.wakes.some((w) => w.reason === 'reconnect'), 'the reconnect');
    expect(a.wakes.find((w) => w.reason === 'reconnect')!.users).toBe('all');
    expect(a.listener.backendPid()).not.toBe(pid);
    await writer.transaction(async (tx) => notifyUsers(tx, ['after-the-drop']));
    await until(() => a.woken().has('after-the-drop'), 'a wake-up after the reconnect');
  });

  it('catches up on its tick', async () => {
    const a = instance(50);
    await a.listener.ready;
    await until(() => a.wakes.filter((w) => w.reason === 'tick' && w.users === 'all').length >= 2, 'two ticks');
  });
});
