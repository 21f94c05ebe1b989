import type { PropertyDeclarations } from 'lit';
import type { TokenProvider } from './api.js';
import { SecureElement } from './secure-element.js';
import { scriptOrigin, Session } from './session.js';

/**
 * An element that can talk to the API on its own: `api-base`, `token` and `tokenProvider`, as in the embedding contract.
 */
export class SessionRoot extends SecureElement {
  static override properties: PropertyDeclarations = {
    apiBase: { attribute: 'api-base' },
    token: {},
    tokenProvider: { attribute: false },
  };

  /** The BFF origin; defaults to the origin the bundle was loaded from. */
  apiBase?: string;

  /** A token for simple pages (prefer `tokenProvider`). */
  token?: string;

  /** An async function returning a fresh token; called at start and again after a 401. */
  tokenProvider?: TokenProvider;

  protected ownSession = new Session(scriptOrigin);

  protected configureSession(session: Session): void {
    session.configure(this.apiBase || scriptOrigin, { token: this.token || undefined, tokenProvider: this.tokenProvider });
  }
}
