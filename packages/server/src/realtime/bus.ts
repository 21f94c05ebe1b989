import type { Db } from '../db/client.js';

type Listener = () => void;

/**
 * The in-process wake-up bus. It carries no data: the durable `events` table is the source of truth,
 * and a woken stream reads what is new for its user from there. So a wake-up that arrives for a
 * transaction that rolled back costs one empty query and nothing else.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();
  private pending = new Set<string>();
  private scheduled = false;

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

  /**
   * Wakes the users' streams once the current synchronous work is over. Writes run in synchronous
   * better-sqlite3 transactions, so by the time the microtask runs the transaction has committed.
   */
  wakeAfterCommit(userIds: Iterable<string>): void {
    for (const id of userIds) if (this.listeners.has(id)) this.pending.add(id);
    if (this.scheduled || this.pending.size === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const users = this.pending;
      this.pending = new Set();
      for (const id of users) for (const listener of this.listeners.get(id) ?? []) listener();
    });
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
