import type { ApiError } from './api.js';

const docs = 'docs/embedding.md, "When it does not work"';

/** What a developer sets to fix a token the server refused, by the server's `details.reason`. */
const tokenFixes: Record<string, string> = {
  expired: 'the token has expired: have tokenProvider mint a fresh token on every call, not return a saved one',
  audience: 'its aud claim must be the server\'s SECURE_INBOX_JWT_AUDIENCE (default "secure-inbox")',
  issuer: 'its iss claim must be the server\'s SECURE_INBOX_JWT_ISSUER',
  signature: 'sign it with the server\'s SECURE_INBOX_JWT_SECRET (or the key of SECURE_INBOX_JWT_PUBLIC_KEY) and an algorithm in SECURE_INBOX_JWT_ALGORITHMS',
  claims: 'it needs sub, name, role (customer, staff or admin) and accounts claims',
  lifetime: 'exp may lie at most SECURE_INBOX_JWT_MAX_AGE seconds after iat, and iat may not be in the future',
  missing: 'no token was sent',
};

/** One sentence for the console: what is wrong, what to set, and where the docs say more. */
export function developerMessage(error: ApiError, base: string): string {
  const server = new URL(base).origin;
  switch (error.code) {
    case 'not_configured':
      return `Secure Inbox: the element has no token source. Set its tokenProvider property to a function returning a JWT your backend mints for the signed-in user (or, on simple pages, its token attribute). If a script sets it, check that the page's Content-Security-Policy lets that script run. See ${docs}.`;
    case 'token_provider_failed':
      return `Secure Inbox: ${error.message}. tokenProvider must return (or resolve to) the JWT string your backend mints, e.g. async () => (await fetch('/portal/secure-inbox-token')).text(). See ${docs}.`;
    case 'origin_not_allowed':
      return `Secure Inbox: the server at ${server} answers, but refuses requests from this page's origin (${location.origin}). Add ${location.origin} to SECURE_INBOX_ALLOWED_ORIGINS on the server, or check the api-base attribute. See ${docs}.`;
    case 'version_mismatch':
      return `Secure Inbox: ${error.message} Load /secure-inbox.js from the server named in api-base (${server}), or upgrade the bundle and the server together. See ${docs}.`;
    case 'offline':
    case 'unreachable':
      return `Secure Inbox: no answer from ${server}. Check that the server is running and that the api-base attribute names it (default: the origin the script came from). See ${docs}.`;
    default: {
      const reason = String((error.details as { reason?: unknown } | undefined)?.reason ?? '');
      const fix = tokenFixes[reason] ?? 'check the token your tokenProvider returns';
      return `Secure Inbox: the server at ${server} refused the token${reason ? ` (${reason})` : ''}: ${fix}. See ${docs}.`;
    }
  }
}

/** Logs each kind of set-up problem once until `reset` (a new api base or token source). */
export class ProblemLog {
  #told = new Set<string>();

  report(error: ApiError, base: string): void {
    const key = error.code === 'unauthorized' ? `unauthorized:${(error.details as { reason?: unknown } | undefined)?.reason}` : error.code;
    if (this.#told.has(key)) return;
    this.#told.add(key);
    console.error(developerMessage(error, base));
  }

  reset(): void {
    this.#told.clear();
  }
}
