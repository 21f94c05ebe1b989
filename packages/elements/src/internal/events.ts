import type { streamClosedEvent } from '@secure-inbox/protocol';
import { ApiError, type ApiClient } from './api.js';

/** The protocol's closing event, named by type only so that the bundle does not take in the protocol's schemas. */
const STREAM_CLOSED: typeof streamClosedEvent = 'stream.closed';

/** One event of `GET /api/v1/events`: the SSE `event:` type, its `id`, and the JSON `data:` fields. */
export interface LiveEvent {
  type: string;
  id: string;
  conversationId: string;
  messageId?: string;
  unread?: number;
  /** `typing` (staff): who is writing, and for how long the notice holds without another. */
  user?: { id: string; name: string };
  expiresInSeconds?: number;
}

/**
 * `live`: the stream is open; `reconnecting`: waiting to try again; `offline`: the browser is offline or the server
 * refused for good; `paused`: the server closed this stream because the user has more open elsewhere (other tabs)
 * than it keeps. A paused stream opens again only when this page is shown again, never by itself: reopening it would
 * close another tab's stream, which would reopen and close this one, and so on.
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'paused';

export interface LiveListener {
  event(event: LiveEvent): void;
  state(state: ConnectionState): void;
}

/** Reconnect timing: exponential from `min` to `max` ms, each wait drawn between half and all of it (jitter). Tests shorten it. */
export const backoff = { min: 1000, max: 30_000, random: Math.random };

export const delayFor = (attempt: number): number => {
  const ceiling = Math.min(backoff.max, backoff.min * 2 ** attempt);
  return ceiling / 2 + (backoff.random() * ceiling) / 2;
};

/**
 * An incremental `text/event-stream` parser (the WHATWG rules this API needs: `event`, `data`, `id`, comments,
 * LF or CRLF lines). `id` keeps the last event id seen, also from events without data.
 */
export function sseParser(dispatch: (type: string, data: string, id: string) => void) {
  let rest = '';
  let type = '';
  let data: string | undefined;
  const parser = {
    id: '',
    push(chunk: string): void {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (let line of lines) {
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (!line) {
          if (data !== undefined) dispatch(type || 'message', data, parser.id);
          type = '';
          data = undefined;
          continue;
        }
        const colon = line.indexOf(':');
        if (!colon) continue;
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value[0] === ' ') value = value.slice(1);
        if (field === 'event') type = value;
        else if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
        else if (field === 'id' && !value.includes('\0')) parser.id = value;
      }
    },
  };
  return parser;
}

/** One stream for all the listeners of one api base and token source. */
class Connection {
  readonly listeners = new Set<LiveListener>();
  state: ConnectionState = 'connecting';
  #api: ApiClient;
  #abort?: AbortController;
  #timer?: ReturnType<typeof setTimeout>;
  #attempt = 0;
  #lastId = '';
  #closed = false;
  #paused = false;

  constructor(api: ApiClient) {
    // The first listener's client, so its token is shared (a session that is reconfigured listens again under a new key).
    this.#api = api;
    addEventListener('online', this.#online);
    document.addEventListener('visibilitychange', this.#shown);
    this.#run();
  }

  close(): void {
    this.#closed = true;
    this.#abort?.abort();
    clearTimeout(this.#timer);
    removeEventListener('online', this.#online);
    document.removeEventListener('visibilitychange', this.#shown);
  }

  #set(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of [...this.listeners]) listener.state(state);
  }

  /** Back online: try at once instead of waiting for the backoff. */
  #online = (): void => {
    if (this.state !== 'live' && !this.#paused && !this.#closed) {
      clearTimeout(this.#timer);
      this.#abort?.abort();
      this.#attempt = 0;
      this.#run();
    }
  };

  /** A paused stream opens again when the user comes back to this page. */
  #shown = (): void => {
    if (!this.#paused || this.#closed || document.visibilityState === 'hidden') return;
    this.#paused = false;
    this.#attempt = 0;
    this.#set('connecting');
    this.#run();
  };

  async #run(): Promise<void> {
    const abort = (this.#abort = new AbortController());
    const parser = sseParser((type, data, id) => {
      if (type === STREAM_CLOSED) {
        // The server keeps only so many streams per user and closed this, the oldest: stay closed (see `paused`).
        this.#paused = true;
        return;
      }
      let event: LiveEvent;
      try {
        event = { ...JSON.parse(data), type, id };
      } catch {
        return; // Not JSON: not an event of this API.
      }
      // One failing listener must not keep the event from the others.
      for (const listener of [...this.listeners]) {
        try {
          listener.event(event);
        } catch (error) {
          setTimeout(() => {
            throw error;
          });
        }
      }
    });
    parser.id = this.#lastId;
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (this.#lastId) headers['Last-Event-ID'] = this.#lastId;
      // `fetch` asks the token provider again after a 401 (and each reconnect after one does too).
      const response = await this.#api.fetch('/events', { headers, signal: abort.signal });
      this.#attempt = 0;
      this.#set('live');
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.push(value);
        this.#lastId = parser.id;
      }
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      const setup = error instanceof ApiError && (error.code === 'origin_not_allowed' || error.code === 'version_mismatch');
      // Not allowed, not there, a fixed token that was refused, or a server that refuses this page: retrying cannot help.
      if (setup || status === 403 || status === 404 || (status === 401 && !this.#api.credentials.tokenProvider)) {
        this.#closed = true;
        this.#set('offline');
      }
    }
    if (this.#closed || abort.signal.aborted) return;
    if (this.#paused) return this.#set('paused');
    this.#set(navigator.onLine === false ? 'offline' : 'reconnecting');
    this.#timer = setTimeout(() => this.#run(), delayFor(this.#attempt++));
  }
}

const connections = new Map<string, Connection>();
const providers = new WeakMap<object, number>();
let providerCount = 0;

/** Which stream a client shares: the same api base and the same token or token provider. */
function keyOf(api: ApiClient): string {
  const { token, tokenProvider } = api.credentials;
  let provider = 0;
  if (tokenProvider) {
    provider = providers.get(tokenProvider) ?? ++providerCount;
    providers.set(tokenProvider, provider);
  }
  return `${api.base} ${token ?? ''} ${provider}`;
}

/**
 * Listens to the event stream of `api`'s user. Every listener on the page with the same base and credentials shares
 * one connection, which closes when the last one stops. Returns the function that stops listening.
 */
export function listen(api: ApiClient, listener: LiveListener): () => void {
  const key = keyOf(api);
  let connection = connections.get(key);
  if (!connection) connections.set(key, (connection = new Connection(api)));
  connection.listeners.add(listener);
  listener.state(connection.state);
  const current = connection;
  return () => {
    if (!current.listeners.delete(listener) || current.listeners.size) return;
    current.close();
    if (connections.get(key) === current) connections.delete(key);
  };
}

/** Open connections, for tests. */
export const openConnections = (): number => connections.size;
