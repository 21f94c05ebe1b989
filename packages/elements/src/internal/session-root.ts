import type { PropertyDeclarations, PropertyValues } from 'lit';
import type { TokenProvider } from './api.js';
import { SecureElement } from './secure-element.js';
import { scriptOrigin, Session, type SessionEvent } from './session.js';

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

/**
 * An element that works on its own or inside `<secure-inbox>`, whose session it then uses, and follows that session
 * while it is connected (the unread badge, the notification centre).
 */
export class SessionFollower extends SessionRoot {
  static override properties: PropertyDeclarations = { inherited: { state: true } };

  static override sessionField = 'inherited';

  protected inherited?: Session;

  #stop: (() => void)[] = [];

  /** The session in use: the enclosing `<secure-inbox>`'s, or this element's own. */
  get session(): Session {
    return this.inherited ?? this.ownSession;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // After the first update, so attributes and a provided session are in place.
    this.updateComplete.then(() => {
      if (!this.isConnected || this.#stop.length) return;
      this.#stop.push(
        this.session.subscribe((event) => this.onSessionEvent(event)),
        this.session.watch(),
      );
      this.follow();
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const stop of this.#stop.splice(0)) stop();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.inherited && (changed.has('apiBase') || changed.has('token') || changed.has('tokenProvider'))) this.configureSession(this.ownSession);
  }

  /** Called once the element follows its session: read what it shows. */
  protected follow(): void {}

  /** Called with every event of the session. */
  protected onSessionEvent(_event: SessionEvent): void {}
}
