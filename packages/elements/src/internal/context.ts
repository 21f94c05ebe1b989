import type { ReactiveElement } from 'lit';
import type { Strings } from './i18n.js';
import type { Session } from './session.js';

/** What an enclosing `<secure-inbox>` shares with every element inside it. */
export interface Provided {
  /** The session (api client, current user, live counts). */
  session: Session;
  /** The merged string catalogue, so a `strings` override on `<secure-inbox>` reaches every nested element. */
  strings?: Strings;
}

/**
 * The key `<secure-inbox>` provides under, in the Context Community Protocol (the `context-request` event of
 * `@lit/context` and other libraries): `createContext<Provided>('secure-inbox')` on the host's side is the same
 * context. Typed as `@lit/context`'s `Context<'secure-inbox', Provided>`, without depending on it.
 */
export const secureInboxContext = 'secure-inbox' as 'secure-inbox' & { __context__: Provided };

/** Called with what the provider has, at once and after every change, until `release` is called. */
export type Receiver = (provided: Provided, release?: () => void) => void;

/** The protocol's `context-request` event, as `@lit/context`'s `ContextRequestEvent` builds it. */
interface ContextRequest extends Event {
  context: unknown;
  contextTarget?: Element;
  callback: Receiver;
  subscribe?: boolean;
}

/** Fires a protocol event (`context-request`, `context-provider`) that bubbles out of shadow roots. */
const announce = (target: Element, type: string, fields: object): boolean =>
  target.dispatchEvent(Object.assign(new Event(type, { bubbles: true, composed: true }), { context: secureInboxContext, contextTarget: target }, fields));

/**
 * Asks the nearest enclosing provider (a `<secure-inbox>`, or any provider of `secureInboxContext`) for what it
 * has; `callback` is called at once and after every change, with the provider's `release`. Keep `callback` the same
 * function for one element, as the protocol's providers and roots tell requests apart by it.
 */
export function request(host: Element, callback: Receiver): void {
  announce(host, 'context-request', { callback, subscribe: true });
}

/**
 * Makes `host` a provider of `current()` to the elements inside it; call the returned function after a change.
 * Call it from the constructor, so the provider answers before any child connects. It answers only requests for
 * `secureInboxContext`, stops them there, and announces itself with `context-provider` when it connects (a protocol
 * root then repeats the requests sent before it was there).
 */
export function provide(host: ReactiveElement, current: () => Provided): () => void {
  // One release per receiver, always the same: a consumer takes a different one for a change of provider.
  const receivers = new Map<Receiver, () => void>();
  host.addEventListener('context-request', (event) => {
    const { context, contextTarget, callback, subscribe } = event as ContextRequest;
    // The host's own request goes on to an outer provider.
    if (context !== secureInboxContext || (contextTarget ?? event.composedPath()[0]) === host) return;
    event.stopPropagation();
    if (!subscribe) return callback(current());
    if (!receivers.has(callback)) receivers.set(callback, () => receivers.delete(callback));
    callback(current(), receivers.get(callback));
  });
  host.addController({ hostConnected: () => announce(host, 'context-provider', {}) });
  return () => {
    const provided = current();
    for (const [receiver, release] of receivers) receiver(provided, release);
  };
}
