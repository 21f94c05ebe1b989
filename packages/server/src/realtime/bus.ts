import type { Db } from '../store/sqlite/client.js';

type Listener = () => void;

/**
 * The in-process wake-up bus. It carries no data: the durable `events` table is the source of truth,
 * and a woken stream reads what is new for its user from there. Wake-ups are sent once the events
 * are committed (realtime/fanout.ts), so a woken stream always finds them.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  subscribe(userId: string, listener: Listener): () => void {
    let set = this.listeners.get(userId);
    if (!set) this.listeners.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      const current = this.listeners.get(userId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(userId);
    };
  }

  /** Wakes the users' streams: called once what woke them has committed (realtime/fanout.ts `afterCommit`). */
  wake(userIds: Iterable<string>): void {
    for (const id of userIds) for (const listener of this.listeners.get(id) ?? []) listener();
  }

  /** Connected streams, for tests and metrics. */
  get connections(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

const buses = new WeakMap<object, EventBus>();

/** The bus of a database: one writer connection per process, so one bus per connection. */
export function eventBus(db: Db): EventBus {
  let bus = buses.get(db.$client);
  if (!bus) buses.set(db.$client, (bus = new EventBus()));
  return bus;
}
