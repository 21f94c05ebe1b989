import { property } from 'lit/decorators.js';
import type { TokenProvider } from './api.js';
import { SecureElement } from './secure-element.js';
import { scriptOrigin, Session } from './session.js';

/**
 * An element that can talk to the API on its own: `api-base`, `token` and `tokenProvider`, as in the embedding contract.
 */
export class SessionRoot extends SecureElement {
  /** The BFF origin; defaults to the origin the bundle was loaded from. */
  @property({ attribute: 'api-base' }) apiBase?: string;

  /** A token for simple pages (prefer `tokenProvider`). */
  @property() token?: string;

  /** An async function returning a fresh token; called at start and again after a 401. */
  @property({ attribute: false }) tokenProvider?: TokenProvider;

  protected ownSession = new Session(scriptOrigin);

  protected configureSession(session: Session): void {
    session.configure(this.apiBase || scriptOrigin, { token: this.token || undefined, tokenProvider: this.tokenProvider });
  }
}
