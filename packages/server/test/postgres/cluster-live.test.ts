/**
 * Live updates across instances, end to end on the building blocks: events appended through one connection wake
 * two other instances, which read exactly those events from the feed; a dropped listener misses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { appendEvents, readEventsAfter } from '../../src/store/postgres/cluster/feed.js';
import { listenForWakeups, type WakeListener } from '../../src/store/postgres/cluster/wakeups.js';
import { useTestDatabase } from './database.js';

const database = useTestDatabase();
let writer: PgDb;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  writer = openPostgres(database.url(), { max: 2 });
});

afterAll(async () => {
  for (const close of closers) await close();
  await writer.$client.end();
});

/** An instance holding one stream per user: on a wake-up it reads what is new for the streams it holds. */
function instance(users: string[]) {
  const db = openPostgres(database.url(), { max: 2 });
  const received = new Map(users.map((u) => [u, [] as number[]]));
  const lastIds = new Map<string, number | null>(users.map((u) => [u, null]));
  let reading = Promise.resolve();
  const read = (who: string[]) => {
    reading = reading.then(async () => {
      for (const user of who) {
        if (!received.has(user)) continue;
        for (const event of await readEventsAfter(db, user, lastIds.get(user)!)) {
          received.get(user)!.push(event.id);
          lastIds.set(user, event.id);
        }
      }
    });
  };
  const listener: WakeListener = listenForWakeups({
    url: database.url(),
    catchUpMs: 0,
    reconnectMs: 20,
    onWake: (wake) => read(wake.users === 'all' ? users : wake.users),
  });
  closers.push(
    () => listener.close(),
    () => db.$client.end(),
  );
  return { listener, received };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('events across instances', () => {
  it('reach the streams of both other instances, each event once, in the order the feed gives', async () => {
    const a = instance(['customer', 'staff']);
    const b = instance(['customer']);
    await Promise.all([a.listener.ready, b.listener.ready]);
    const written: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      written.push(
        ...(await writer.transaction((tx) =>
          appendEvents(tx, [
            { userId: 'customer', type: 'message.created', data: `{"n":${i}}` },
            { userId: 'staff', type: 'message.created', data: `{"n":${i}}` },
          ]),
        )),
      );
    }
    const forCustomer = written.filter((_, i) => i % 2 === 0);
    await until(() => a.received.get('customer')!.length === 5 && b.received.get('customer')!.length === 5, 'the events');
    expect(a.received.get('customer')).toEqual(forCustomer);
    expect(b.received.get('customer')).toEqual(forCustomer);
    await until(() => a.received.get('staff')!.length === 5, "staff's events");
    expect(a.received.get('staff')).toEqual(written.filter((_, i) => i % 2 === 1));
  });

  it('misses nothing written while the listening connection was down', async () => {
    const a = instance(['late']);
    await a.listener.ready;
    await writer.$client.query('SELECT pg_terminate_backend($1)', [a.listener.backendPid()]);
    const [id] = await writer.transaction((tx) => appendEvents(tx, [{ userId: 'late', type: 'message.created', data: '{}' }]));
    await until(() => a.received.get('late')!.length === 1, 'the event written during the gap');
    expect(a.received.get('late')).toEqual([id]);
  });
});
