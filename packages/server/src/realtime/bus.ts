import type { Db } from '../store/sqlite/client.js';
import { homeOf } from '../store/runtime.js';

/** Called with nothing (read the durable log) or with an ephemeral frame to write as it is. */
type Listener = (frame?: string) => void;

/**
 * The in-process wake-up bus. A wake-up carries no data: the durable `events` table is the source of truth,
 * and a woken stream reads what is new for its user from there. Wake-ups are sent once the events
 * are committed (realtime/fanout.ts), so a woken stream always finds them. Ephemeral frames ("is writing",
 * domain/typing.ts) are the exception: they are handed to the user's open streams and kept nowhere.
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

  /** Wakes every stream of this process (a wake-up for all users from another instance, or after a gap in them). */
  wakeAll(): void {
    for (const set of this.listeners.values()) for (const listener of set) listener();
  }

  /** Hands an ephemeral SSE frame (no `id:`) to the users' open streams; a user with none never gets it. */
  send(userIds: Iterable<string>, frame: string): void {
    for (const id of userIds) for (const listener of this.listeners.get(id) ?? []) listener(frame);
  }

  /** Whether the user has a stream open in this process. */
  listening(userId: string): boolean {
    return this.listeners.has(userId);
  }

  /** Connected streams, for tests and metrics. */
  get connections(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

const buses = new WeakMap<object, EventBus>();

/**
 * The bus of a database: one writer connection per process, so one bus per connection. On PostgreSQL, one per pool;
 * the instance's wake listener (store/postgres/cluster/instance.ts) wakes it for commits made by any instance.
 */
export function eventBus(db: Db): EventBus {
  let bus = buses.get(homeOf(db));
  if (!bus) buses.set(homeOf(db), (bus = new EventBus()));
  return bus;
}
