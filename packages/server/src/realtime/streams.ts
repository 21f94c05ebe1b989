import type { Db } from '../store/sqlite/client.js';
import { homeOf } from '../store/runtime.js';

/** Why the server closed a stream, sent as the `stream.closed` event before it ends the response. */
export type StreamCloseReason = 'too_many_streams';

interface OpenStream {
  address: string | undefined;
  close: (reason: StreamCloseReason) => void;
}

/**
 * The open event streams of this process, by user (in the order they were opened) and by client address. One user
 * holds at most `perUser` streams: a new one closes their oldest. One address holds at most `perAddress` (0: no
 * bound): past it a new stream is refused. So one token cannot pile up streams (each holds a socket, a buffer and
 * a query per wake-up), and a wake-up for a user reaches at most `perUser` streams.
 */
export class StreamRegistry {
  private readonly byUser = new Map<string, Set<OpenStream>>();
  private readonly byAddress = new Map<string, number>();

  /** Whether the address may open one more stream. */
  admits(address: string | undefined, perAddress: number): boolean {
    return perAddress === 0 || address === undefined || (this.byAddress.get(address) ?? 0) < perAddress;
  }

  /**
   * Registers a stream; closes the user's oldest ones past `perUser`. Returns the function that unregisters it
   * (called when the stream ends, however it ends).
   */
  open(userId: string, address: string | undefined, perUser: number, close: OpenStream['close']): () => void {
    const stream: OpenStream = { address, close };
    let streams = this.byUser.get(userId);
    if (!streams) this.byUser.set(userId, (streams = new Set()));
    streams.add(stream);
    if (address !== undefined) this.byAddress.set(address, (this.byAddress.get(address) ?? 0) + 1);
    for (const oldest of streams) {
      if (streams.size <= perUser) break;
      this.remove(userId, oldest);
      oldest.close('too_many_streams');
    }
    return () => this.remove(userId, stream);
  }

  private remove(userId: string, stream: OpenStream): void {
    const streams = this.byUser.get(userId);
    if (!streams?.delete(stream)) return;
    if (streams.size === 0) this.byUser.delete(userId);
    if (stream.address === undefined) return;
    const left = (this.byAddress.get(stream.address) ?? 1) - 1;
    if (left > 0) this.byAddress.set(stream.address, left);
    else this.byAddress.delete(stream.address);
  }

  /** Open streams of this process, for metrics. */
  total(): number {
    let n = 0;
    for (const streams of this.byUser.values()) n += streams.size;
    return n;
  }

  /** Open streams of one user, for tests and metrics. */
  ofUser(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }
}

const registries = new WeakMap<object, StreamRegistry>();

/** The stream registry of a database's process (one per writer connection, as the event bus). */
export function streamRegistry(db: Db): StreamRegistry {
  let registry = registries.get(homeOf(db));
  if (!registry) registries.set(homeOf(db), (registry = new StreamRegistry()));
  return registry;
}
