import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context.js';
import { audit } from '../domain/audit.js';
import { createUserSync } from '../domain/users.js';
import { ApiError } from '../errors.js';
import type { SignInGuard } from '../rate-limit.js';
import { createTokenVerifier, TokenError, type TokenRefusal } from './token.js';

/**
 * What the site that mints the tokens changes, by refusal. It names the setting, never its value: the answer
 * tells the token's holder nothing the token does not already say.
 */
const FIXES: Record<TokenRefusal | 'missing', string> = {
  missing: 'send the token in the Authorization header as "Bearer <token>"',
  expired: 'mint a fresh token (tokenProvider is called again after a 401)',
  audience: "set the aud claim to the server's SECURE_INBOX_JWT_AUDIENCE",
  issuer: "set the iss claim to the server's SECURE_INBOX_JWT_ISSUER",
  signature:
    "sign with the secret of SECURE_INBOX_JWT_SECRET (or the one SECURE_INBOX_JWT_SECRETS lists under the token's kid, or a key of SECURE_INBOX_JWT_PUBLIC_KEY or the key set) and an algorithm in SECURE_INBOX_JWT_ALGORITHMS",
  claims: 'give the token sub, name, role (customer, staff or admin) and accounts claims',
  lifetime: 'keep exp at most SECURE_INBOX_JWT_MAX_AGE seconds after iat, and iat not in the future',
};

/**
 * Verifies the bearer token (header only: tokens are never accepted in the URL), upserts the user
 * from its claims and sets `viewer`. Failures answer 401 and are audited; the answer's
 * `details.reason` says why in one word (`missing` when no credentials came at all).
 *
 * Only credentials that were presented and failed count as a failed sign-in for the client address:
 * a request without any (a page that has not set up its token yet) never locks anyone out.
 */
export function requireUser(deps: AppEnv['Variables']['deps'], guard?: SignInGuard) {
  const verify = createTokenVerifier(deps.config.jwt);
  const syncUser = createUserSync(deps.db, deps.writes.writeUser);
  return createMiddleware<AppEnv>(async (c, next) => {
    await guard?.check(c);
    const header = c.req.header('authorization');
    const match = header?.match(/^Bearer ([A-Za-z0-9_\-.=]+)$/);
    let reason = 'no bearer token in the Authorization header';
    const presented = Boolean(header?.trim());
    let refusal: TokenRefusal | 'missing' = presented ? 'signature' : 'missing';
    if (match?.[1]) {
      try {
        const identity = await verify(match[1]);
        const synced = syncUser(identity);
        if (synced) await synced;
        c.set('viewer', identity);
        return next();
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        reason = error.message;
        refusal = error.reason;
      }
    }
    if (presented) {
      await guard?.failed(c);
      // One line for the operator, saying what the answer says: never the token itself.
      deps.logger.warn({ reason: refusal, method: c.req.method, path: c.req.path }, `Sign-in refused (${refusal}): ${reason}; ${c.req.method} ${c.req.path}.`);
    }
    await audit(deps.db, { actorId: null, action: 'auth', outcome: 'denied', detail: { reason, path: c.req.path } });
    throw new ApiError(401, 'unauthorized', `Sign-in rejected: ${reason}; ${FIXES[refusal]}.`, { reason: refusal }, { 'WWW-Authenticate': 'Bearer' });
  });
}
