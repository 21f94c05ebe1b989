import { TokenClaims, type StaffKind } from '@secure-inbox/protocol';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  importSPKI,
  jwtVerify,
  type FlattenedJWSInput,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import type { Config } from '../config.js';
import { cleanPlainText } from '../domain/text.js';

export interface Identity {
  id: string;
  name: string;
  email: string | null;
  role: 'customer' | 'staff' | 'admin';
  /** Account ids from the token; `'*'` (admins only) means every account. */
  accounts: string[] | '*';
  /** The kind of staff the token names (`support`), for the sender-type flag; never grants anything. */
  staffKind?: StaffKind | null;
}

/**
 * Why a presented token was refused, in a word a developer can act on. Each says no more than the token
 * already tells its holder: which of its own claims (or its signature) the server does not accept.
 */
export type TokenRefusal = 'expired' | 'audience' | 'issuer' | 'signature' | 'claims' | 'lifetime';

export class TokenError extends Error {
  constructor(
    readonly reason: TokenRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** The reason for a claim jose refused. */
const claimReason = (claim: string): TokenRefusal =>
  claim === 'aud' ? 'audience' : claim === 'iss' ? 'issuer' : claim === 'nbf' || claim === 'iat' ? 'lifetime' : 'claims';

const CLOCK_SKEW_SECONDS = 30;

/** How long the server waits for SECURE_INBOX_JWT_JWKS_URL, and how long it keeps what it fetched. */
const JWKS_TIMEOUT_MS = 5000;
const JWKS_CACHE_MS = 10 * 60_000;
const JWKS_COOLDOWN_MS = 30_000;

/**
 * Builds the verifier once: the accepted algorithms come from configuration, never from the token. The key
 * is picked by the token's `kid` header: an HMAC one among SECURE_INBOX_JWT_SECRETS (SECURE_INBOX_JWT_SECRET
 * for a token without one, or when no SECRETS are set), an asymmetric one in the JWKS (file or URL; the
 * PEM key of SECURE_INBOX_JWT_PUBLIC_KEY for a token without one). Several keys at once let a host rotate.
 */
export function createTokenVerifier(config: Config['jwt']) {
  const publicKey = config.publicKeyPem
    ? (() => {
        const asymmetric = config.algorithms.find((a) => !a.startsWith('HS'));
        return asymmetric ? importSPKI(config.publicKeyPem!, asymmetric) : undefined;
      })()
    : undefined;
  const jwks = config.jwks
    ? createLocalJWKSet(config.jwks)
    : config.jwksUrl
      ? createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS, cacheMaxAge: JWKS_CACHE_MS, cooldownDuration: JWKS_COOLDOWN_MS })
      : undefined;

  async function keyFor(header: JWTHeaderParameters, token: FlattenedJWSInput) {
    // HS/RS confusion: an HMAC algorithm only ever gets a shared secret, an asymmetric one only a public key.
    if (header.alg.startsWith('HS')) {
      if (header.kid !== undefined && config.secrets.size > 0) {
        const secret = config.secrets.get(header.kid);
        if (!secret) throw new TokenError('signature', "the token's kid names no key this server holds");
        return secret;
      }
      if (!config.secret) throw new TokenError('signature', 'the token names no kid, and this server verifies HMAC tokens only by kid');
      return config.secret;
    }
    if (jwks && (header.kid !== undefined || !publicKey)) {
      try {
        return await jwks(header, token);
      } catch (error) {
        if (error instanceof joseErrors.JWKSNoMatchingKey) throw new TokenError('signature', "the token's kid names no key this server holds");
        if (error instanceof joseErrors.JWKSMultipleMatchingKeys) throw new TokenError('signature', 'the token names no kid, and several keys could verify it');
        if (error instanceof joseErrors.JWKSTimeout) throw new TokenError('signature', 'the key set of SECURE_INBOX_JWT_JWKS_URL could not be fetched in time');
        throw new TokenError('signature', `the key set could not be used (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    if (!publicKey) throw new TokenError('signature', 'algorithm not accepted');
    return publicKey;
  }

  // Verified tokens are remembered until they expire, so a busy reader pays for the signature once.
  const verified = new Map<string, { identity: Identity; expiresAtMs: number }>();

  return async function verify(token: string): Promise<Identity> {
    const hit = verified.get(token);
    if (hit) {
      if (Date.now() <= hit.expiresAtMs) return hit.identity;
      verified.delete(token);
    }
    const entry = await verifyUncached(token);
    if (verified.size >= 10_000) verified.delete(verified.keys().next().value!);
    verified.set(token, entry);
    return entry.identity;
  };

  async function verifyUncached(token: string): Promise<{ identity: Identity; expiresAtMs: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keyFor, {
        algorithms: config.algorithms,
        audience: config.audience,
        issuer: config.issuer,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof TokenError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new TokenError('expired', 'the token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw new TokenError(claimReason(error.claim), `the token's ${error.claim} claim is not accepted`);
      }
      throw new TokenError('signature', 'the token is malformed, forged or uses an algorithm that is not accepted');
    }
    const nowSeconds = Math.floor(Date.now() / 1000);
    const start = typeof payload.iat === 'number' ? payload.iat : nowSeconds;
    if ((payload.exp as number) - start > config.maxAgeSeconds + CLOCK_SKEW_SECONDS) {
      throw new TokenError('lifetime', `the token lives longer than the ${config.maxAgeSeconds} s allowed`);
    }
    if (typeof payload.iat === 'number' && payload.iat > nowSeconds + CLOCK_SKEW_SECONDS) {
      throw new TokenError('lifetime', 'the token was issued in the future');
    }
    const claims = TokenClaims.safeParse(payload);
    if (!claims.success) {
      const field = claims.error.issues[0]?.path.join('.') || 'claims';
      throw new TokenError('claims', `the token's ${field} claim is missing or invalid`);
    }
    const { sub, name, email, role, accounts, staffKind } = claims.data;
    const wildcard = accounts.includes('*');
    if (wildcard && (role !== 'admin' || accounts.length !== 1)) {
      throw new TokenError('claims', 'accounts ["*"] is only for admins');
    }
    if (staffKind && role === 'customer') throw new TokenError('claims', 'staffKind is only for staff and admins');
    // The name is shown to others and written into e-mails: cleaned as subjects are (no line breaks,
    // controls or bidi overrides); the id stands in when nothing is left. The email claim is a plain
    // address already (TokenClaims refuses anything else, line breaks included).
    const shownName = cleanPlainText(name) || cleanPlainText(sub) || sub;
    const identity: Identity = {
      id: sub,
      name: shownName,
      email: email ?? null,
      role,
      accounts: wildcard ? '*' : [...new Set(accounts)],
      staffKind: staffKind ?? null,
    };
    return { identity, expiresAtMs: ((payload.exp as number) + CLOCK_SKEW_SECONDS) * 1000 };
  }
}
