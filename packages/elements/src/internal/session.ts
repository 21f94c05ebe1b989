import type { Me } from '@secure-inbox/protocol';
import { ApiClient, type Credentials } from './api.js';
import { listen, type ConnectionState } from './events.js';

/** The origin the bundle was loaded from: the default `api-base`. */
export const scriptOrigin = new URL(import.meta.url).origin;

/**
 * What a live source tells the widget: the event stream (`GET /api/v1/events`, shared by every element of the
 * page) pushes these through `Session.push`; a poll of `GET /me` produces `unread.changed` while it is down.
 */
export type SessionEvent =
  | { type: 'unread.changed'; unread: number }
  | { type: 'message.created'; conversationId: string; messageId?: string }
  | { type: 'conversation.updated'; conversationId: string }
  | { type: 'notification.created'; conversationId: string; messageId?: string }
  | { type: 'typing'; conversationId: string; user: { id: string; name: string }; expiresInSeconds: number }
  | { type: 'credentials.changed' }
  | { type: 'connection'; state: ConnectionState };

export type SessionListener = (event: SessionEvent) => void;

/**
 * A tiny store shared by the elements of one widget: the api client, the current user and the unread count.
 * Sources (`poll`, later an SSE reader) call `push`; elements `subscribe`.
 */
export class Session {
  readonly api: ApiClient;
  /** The latest `GET /me`, once loaded. */
  me?: Me;
  /** Conversations left on this page: opening one again says "You left this conversation" (kept in memory only). */
  readonly left = new Set<string>();
  /** The Inbox unread count, once known. */
  unread?: number;
  /** How often `watch` refreshes the counts while the event stream is down, in milliseconds. */
  pollInterval = 60_000;
  /** The event stream's state while watched. */
  connection?: ConnectionState;

  #listeners = new Set<SessionListener>();
  #me?: Promise<Me>;
  #meAt = 0;
  #watchers = 0;
  #timer?: ReturnType<typeof setInterval>;
  #unlisten?: () => void;

  /** The set-up problems already explained in the console since the last `configure`. */
  #told = new Set<string>();

  constructor(base: string = scriptOrigin, credentials: Credentials = {}) {
    this.api = new ApiClient(base, credentials);
    // A set-up problem (no token source, a failing provider, a refused token or origin, another version) is
    // explained once in the console for the developer: what is wrong, what to set (the server's words for a
    // refused token, which name the claim and the variable) and where the docs say more. Elements show the
    // person a sentence.
    this.api.onProblem = ({ message }) => {
      if (!this.#told.has(message)) console.error(`Secure Inbox: ${message} (docs/embedding.md#when-it-does-not-work)`);
      this.#told.add(message);
    };
  }

  /** New base or credentials: cached data is dropped and subscribers reload. */
  configure(base: string, credentials: Credentials): void {
    const { token, tokenProvider } = this.api.credentials;
    if (base === this.api.base && credentials.token === token && credentials.tokenProvider === tokenProvider) return;
    this.api.base = base;
    this.api.credentials = credentials;
    this.#told.clear();
    this.me = undefined;
    this.#me = undefined;
    if (this.#watchers) this.#listen();
    this.push({ type: 'credentials.changed' });
  }

  /** (Re)joins the page's event stream for the current base and credentials. */
  #listen(): void {
    this.#unlisten?.();
    this.#unlisten = this.api.hasCredentials
      ? listen(this.api, {
          event: (event) => {
            const { type, conversationId, messageId, unread, user, expiresInSeconds } = event;
            if (type === 'unread.changed') {
              if (typeof unread === 'number') this.push({ type, unread });
              // The folder counts (Sent, Trash) come with `/me` only.
              this.refreshCounts();
            } else if (type === 'message.created' || type === 'conversation.updated' || type === 'notification.created') {
              this.push({ type, conversationId, messageId });
            } else if (type === 'typing' && user) {
              // Ephemeral (no id, never replayed): another staff member is writing in a thread.
              this.push({ type, conversationId, user, expiresInSeconds: Number(expiresInSeconds) || 5 });
            }
          },
          state: (state) => {
            // Back after a gap: the replay brings the events, a fresh `/me` the counts.
            if (state === 'live' && this.connection && this.connection !== 'live') this.refreshCounts();
            this.connection = state;
            this.push({ type: 'connection', state });
          },
        })
      : undefined;
  }

  /**
   * `GET /me`, shared by every element. Updates the unread count. Without `fresh`, the last answer (or
   * the request under way, before the first one); `fresh` asks the server again: `true` always, a number
   * of milliseconds unless the request in hand was started less than that long ago (elements starting
   * together share one request).
   */
  loadMe(fresh: boolean | number = false): Promise<Me> {
    if (!fresh && this.me) return Promise.resolve(this.me);
    if (!this.#me || fresh === true || (fresh && performance.now() - this.#meAt >= fresh)) {
      this.#meAt = performance.now();
      const request = this.api.me().then((me) => {
        const folders = JSON.stringify(this.me?.folders);
        this.me = me;
        if (me.unread.inbox !== this.unread || JSON.stringify(me.folders) !== folders) this.push({ type: 'unread.changed', unread: me.unread.inbox });
        return me;
      });
      request.catch(() => {
        if (this.#me === request) this.#me = undefined;
      });
      this.#me = request;
    }
    return this.#me;
  }

  /** Re-reads the counts (after reading or marking a conversation unread). Failures are left to the next poll. */
  refreshCounts(): void {
    this.loadMe(true).catch(() => undefined);
  }

  push(event: SessionEvent): void {
    if (event.type === 'unread.changed') this.unread = event.unread;
    for (const listener of [...this.#listeners]) listener(event);
  }

  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Keeps the counts fresh while at least one element watches; returns the function that stops watching. */
  watch(): () => void {
    if (this.#watchers++ === 0) {
      this.#timer = setInterval(() => {
        if (document.visibilityState !== 'hidden' && this.connection !== 'live') this.refreshCounts();
      }, this.pollInterval);
      document.addEventListener('visibilitychange', this.#onVisible);
      this.#listen();
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--this.#watchers === 0) {
        clearInterval(this.#timer);
        document.removeEventListener('visibilitychange', this.#onVisible);
        this.#unlisten?.();
        this.#unlisten = this.connection = undefined;
      }
    };
  }

  /** Hidden pages are not polled; catch up as soon as the page is shown again. */
  #onVisible = (): void => {
    if (document.visibilityState === 'visible') this.refreshCounts();
  };
}

/** The `role` claim of a JWT, read without checking it (a hint for what to show first), or undefined. */
export function claimedRole(token: string | undefined): string | undefined {
  try {
    const role = JSON.parse(atob(token!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).role;
    return typeof role === 'string' ? role : undefined;
  } catch {
    return undefined;
  }
}
