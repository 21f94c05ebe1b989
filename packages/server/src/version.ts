import { createRequire } from 'node:module';

/**
 * The server's version, from its package.json. `/healthz` and every API answer (`Secure-Inbox-Version`)
 * carry it, so a widget bundle from another release can tell that it does not match.
 */
export const serverVersion: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
