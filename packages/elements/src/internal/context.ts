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

/** Called with what the provider has, at once and after every change, until `release` is called. */
export type Receiver = (provided: Provided, release: () => void) => void;

/**
 * The request an element sends when it connects. It bubbles out of shadow roots to the nearest provider, which
 * answers and keeps the receiver until it is released (the context protocol, reduced to what these elements need).
 */
export const contextRequest = 'secure-context-request';

/**
 * Makes `host` a provider of `current()` to the elements inside it; call the returned function after a change.
 * Call it from the constructor, so the provider answers before any child connects.
 */
export function provide(host: ReactiveElement, current: () => Provided): () => void {
  const receivers = new Set<Receiver>();
  host.addEventListener(contextRequest, (event) => {
    // The host's own request goes on to an outer provider.
    if (event.composedPath()[0] === host) return;
    event.stopPropagation();
    const receiver = (event as CustomEvent<Receiver>).detail;
    receivers.add(receiver);
    receiver(current(), () => receivers.delete(receiver));
  });
  return () => {
    const provided = current();
    for (const receiver of receivers) receiver(provided, () => receivers.delete(receiver));
  };
}
