import { SignJWT } from 'jose';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { DemoUser } from './users.js';

/** Demo tokens live 15 minutes (less when SECURE_INBOX_JWT_MAX_AGE is shorter). */
export const DEMO_TOKEN_SECONDS = 15 * 60;

/** The HMAC algorithm the demo signs with: the first one the server accepts. */
export function demoAlgorithm(config: Config): string {
  const alg = config.jwt.algorithms.find((a) => a.startsWith('HS'));
  if (!alg) {
    throw new ConfigError('The demo signs its tokens with the shared secret; add HS256 to SECURE_INBOX_JWT_ALGORITHMS (or leave it unset) to run the demo.');
  }
  return alg;
}

/** Mints a short-lived token with the seeded user's claims, exactly as a host site's backend would. */
export async function mintDemoToken(config: Config, user: DemoUser): Promise<{ token: string; expiresAt: string }> {
  const lifetime = Math.min(DEMO_TOKEN_SECONDS, config.jwt.maxAgeSeconds);
  const issuedAt = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    name: user.name,
    email: user.email,
    role: user.role,
    accounts: user.accounts === '*' ? ['*'] : user.accounts,
    ...(user.staffKind ? { staffKind: user.staffKind } : {}),
  })
    .setProtectedHeader({ alg: demoAlgorithm(config), typ: 'JWT' })
    .setSubject(user.id)
    .setAudience(config.jwt.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetime);
  if (config.jwt.issuer) jwt.setIssuer(config.jwt.issuer);
  // The demo always has a secret of its own (config.ts defaults); a configuration with asymmetric keys only cannot sign demo tokens.
  if (!config.jwt.secret) throw new Error('The demo signs its tokens with SECURE_INBOX_JWT_SECRET; set it.');
  return { token: await jwt.sign(config.jwt.secret), expiresAt: new Date((issuedAt + lifetime) * 1000).toISOString() };
}
