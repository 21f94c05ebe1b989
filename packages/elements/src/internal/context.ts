import { createContext } from '@lit/context';
import type { Strings } from './i18n.js';
import type { Session } from './session.js';

/** The session (api client, current user, live counts) shared by every element inside one `<secure-inbox>`. */
export const sessionContext = createContext<Session | undefined>(Symbol.for('secure-inbox.session'));

/** The merged string catalogue, so a `strings` override on `<secure-inbox>` reaches every nested element. */
export const stringsContext = createContext<Strings | undefined>(Symbol.for('secure-inbox.strings'));
