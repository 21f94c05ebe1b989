/**
 * Identity: every way a token can be wrong answers 401 with the JSON error shape; users and their
 * memberships follow the claims; configuration refuses bad values with a sentence naming the variable.
 */
import { sql } from 'drizzle-orm';
import { exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { expectError, makeTestApp, readAnswer, people, SECRET, signInAll, startConversation, type TestApp } from './helpers.js';
import { rows as allRows } from '../src/store/sql.js';

const now = () => Math.floor(Date.now() / 1000);
const enc = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const secretKey = new TextEncoder().encode(SECRET);

/** Claims of a valid token for Alice; tests change one thing at a time. */
const validClaims = (): JWTPayload & Record<string, unknown> => ({
  sub: 'alice',
  name: 'Alice Applicant',
  role: 'customer',
  accounts: ['acme'],
  aud: 'secure-inbox',
  iat: now(),
  exp: now() + 600,
});

const signHs = (claims: Record<string, unknown>, key: Uint8Array = secretKey, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);

async function callWith(t: TestApp, authorization: string | null, path = '/me') {
  return readAnswer(await t.app.request(`/api/v1${path}`, { headers: authorization === null ? {} : { authorization } }));
}

function without(claims: Record<string, unknown>, key: string) {
  const copy = { ...claims };
  delete copy[key];
  return copy;
}

describe('bad tokens answer 401', () => {
  let t: TestApp;
  let rsaPrivate: CryptoKey;
  let ecPrivate: CryptoKey;
  beforeAll(async () => {
    ({ privateKey: rsaPrivate } = await generateKeyPair('RS256'));
    ({ privateKey: ecPrivate } = await generateKeyPair('ES256'));
  });
  beforeEach(() => {
    t = makeTestApp();
  });

  it('accepts a valid token (so the cases below fail for their one defect)', async () => {
    const res = await callWith(t, `Bearer ${await signHs(validClaims())}`);
    expect(res.status).toBe(200);
    expect(res.json.user.id).toBe('alice');
    // Within the 30 s clock skew an expired token still passes.
    expect((await callWith(t, `Bearer ${await signHs({ ...validClaims(), iat: now() - 600, exp: now() - 10 })}`)).status).toBe(200);
    // Exactly the maximum lifetime is fine.
    expect((await callWith(t, `Bearer ${await signHs({ ...validClaims(), iat: now(), exp: now() + 3600 })}`)).status).toBe(200);
  });

  const cases: [string, () => Promise<string | null>][] = [
    ['no Authorization header', async () => null],
    ['an empty header', async () => ''],
    ['Bearer with nothing', async () => 'Bearer '],
    ['another scheme', async () => `Basic ${Buffer.from('alice:pw').toString('base64')}`],
    ['the token without a scheme', async () => signHs(validClaims())],
    ['alg none, no signature', async () => `Bearer ${enc({ alg: 'none', typ: 'JWT' })}.${enc(validClaims())}.`],
    [
      'alg none with the signature of a valid token',
      async () => {
        const [, , signature] = (await signHs(validClaims())).split('.');
        return `Bearer ${enc({ alg: 'none' })}.${enc(validClaims())}.${signature}`;
      },
    ],
    ['alg NoNe', async () => `Bearer ${enc({ alg: 'NoNe' })}.${enc(validClaims())}.`],
    ['a wrong secret', async () => `Bearer ${await signHs(validClaims(), new TextEncoder().encode('another-secret-that-is-also-32-bytes-long'))}`],
    [
      'an empty secret',
      async () => {
        const header = enc({ alg: 'HS256' });
        const body = enc(validClaims());
        const { createHmac } = await import('node:crypto');
        return `Bearer ${header}.${body}.${createHmac('sha256', '').update(`${header}.${body}`).digest('base64url')}`;
      },
    ],
    [
      'a payload changed after signing',
      async () => {
        const [header, , signature] = (await signHs(validClaims())).split('.');
        return `Bearer ${header}.${enc({ ...validClaims(), role: 'admin', accounts: ['*'] })}.${signature}`;
      },
    ],
    ['HS512 when only HS256 is allowed', async () => `Bearer ${await signHs(validClaims(), secretKey, 'HS512')}`],
    ['an expired token', async () => `Bearer ${await signHs({ ...validClaims(), iat: now() - 900, exp: now() - 120 })}`],
    ['nbf in the future', async () => `Bearer ${await signHs({ ...validClaims(), nbf: now() + 300 })}`],
    ['iat in the future', async () => `Bearer ${await signHs({ ...validClaims(), iat: now() + 300, exp: now() + 900 })}`],
    ['a wrong aud', async () => `Bearer ${await signHs({ ...validClaims(), aud: 'another-app' })}`],
    ['aud as a list without ours', async () => `Bearer ${await signHs({ ...validClaims(), aud: ['a', 'b'] })}`],
    ['no aud', async () => `Bearer ${await signHs(without(validClaims(), 'aud'))}`],
    ['no sub', async () => `Bearer ${await signHs(without(validClaims(), 'sub'))}`],
    ['an empty sub', async () => `Bearer ${await signHs({ ...validClaims(), sub: '' })}`],
    ['no exp', async () => `Bearer ${await signHs(without(validClaims(), 'exp'))}`],
    ['exp as a string', async () => `Bearer ${await signHs({ ...validClaims(), exp: String(now() + 600) })}`],
    ['no name', async () => `Bearer ${await signHs(without(validClaims(), 'name'))}`],
    ['an unknown role', async () => `Bearer ${await signHs({ ...validClaims(), role: 'superuser' })}`],
    ['no role', async () => `Bearer ${await signHs(without(validClaims(), 'role'))}`],
    ['no accounts', async () => `Bearer ${await signHs(without(validClaims(), 'accounts'))}`],
    ['accounts as a string', async () => `Bearer ${await signHs({ ...validClaims(), accounts: 'acme' })}`],
    ['an invalid email', async () => `Bearer ${await signHs({ ...validClaims(), email: 'not an email' })}`],
    ['a lifetime over the maximum', async () => `Bearer ${await signHs({ ...validClaims(), iat: now(), exp: now() + 3600 + 600 })}`],
    ['a lifetime over the maximum without iat', async () => `Bearer ${await signHs({ ...without(validClaims(), 'iat'), exp: now() + 2 * 3600 })}`],
    ['a lifetime over the maximum with an old iat', async () => `Bearer ${await signHs({ ...validClaims(), iat: now() - 86400, exp: now() + 600 })}`],
    ['accounts ["*"] for a customer', async () => `Bearer ${await signHs({ ...validClaims(), accounts: ['*'] })}`],
    ['accounts ["*"] for staff', async () => `Bearer ${await signHs({ ...validClaims(), sub: 'sam', role: 'staff', accounts: ['*'] })}`],
    ['accounts ["*", "acme"] for an admin', async () => `Bearer ${await signHs({ ...validClaims(), sub: 'root', role: 'admin', accounts: ['*', 'acme'] })}`],
    [
      'an RS256 token when only HS256 is allowed',
      async () => `Bearer ${await new SignJWT(validClaims()).setProtectedHeader({ alg: 'RS256' }).sign(rsaPrivate)}`,
    ],
    [
      'an ES256 token when only HS256 is allowed',
      async () => `Bearer ${await new SignJWT(validClaims()).setProtectedHeader({ alg: 'ES256' }).sign(ecPrivate)}`,
    ],
    ['garbage', async () => 'Bearer garbage'],
    ['three dots', async () => 'Bearer a.b.c'],
    ['a JSON header with no payload', async () => `Bearer ${enc({ alg: 'HS256' })}..`],
    ['a truncated token', async () => `Bearer ${(await signHs(validClaims())).slice(0, -5)}`],
    ['a token with an extra segment', async () => `Bearer ${await signHs(validClaims())}.extra`],
    ['a huge token', async () => `Bearer ${'a'.repeat(20_000)}.${'b'.repeat(20_000)}.${'c'.repeat(100)}`],
    ['two tokens', async () => `Bearer ${await signHs(validClaims())} ${await signHs(validClaims())}`],
    ['non-ASCII', async () => 'Bearer ÿØÿà.ü.é'],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const authorization = await make();
    const res = await callWith(t, authorization);
    const error = expectError(res, 401, 'unauthorized');
    expect(error.message.length).toBeGreaterThan(10);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.text).not.toMatch(/at \w+ \(|node_modules|stack/i);
  });

  it('never accepts a token in the URL', async () => {
    const token = await signHs(validClaims());
    for (const name of ['token', 'access_token', 'jwt', 'authorization']) {
      expectError(await callWith(t, null, `/me?${name}=${token}`), 401, 'unauthorized');
      expectError(await callWith(t, null, `/conversations?${name}=${encodeURIComponent(`Bearer ${token}`)}`), 401, 'unauthorized');
    }
  });

  it('records refused sign-ins in the audit log', async () => {
    await callWith(t, 'Bearer garbage');
    // The refusal's row is written beside the answer, in a transaction of its own (domain/audit.ts `refusal`).
    const refusals = () => allRows<{ outcome: string; detail: string }>(t.db, sql`SELECT outcome, detail FROM audit_events WHERE action = 'auth'`);
    await expect.poll(refusals).toHaveLength(1);
    const rows = await refusals();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.outcome).toBe('denied');
    expect(rows[0]!.detail).not.toContain('garbage');
  });

  it('creates no user from a refused token', async () => {
    await callWith(t, `Bearer ${await signHs({ ...validClaims(), sub: 'mallory', role: 'superuser' })}`);
    await callWith(t, `Bearer ${await signHs({ ...validClaims(), sub: 'mallory' }, new TextEncoder().encode('x'.repeat(40)))}`);
    expect(await allRows(t.db, sql`SELECT id FROM users WHERE id = 'mallory'`)).toEqual([]);
  });

  it('checks iss when an issuer is configured', async () => {
    const issued = makeTestApp({ SECURE_INBOX_JWT_ISSUER: 'https://portal.example' });
    expect((await callWith(issued, `Bearer ${await signHs({ ...validClaims(), iss: 'https://portal.example' })}`)).status).toBe(200);
    expectError(await callWith(issued, `Bearer ${await signHs({ ...validClaims(), iss: 'https://evil.example' })}`), 401, 'unauthorized');
    expectError(await callWith(issued, `Bearer ${await signHs(validClaims())}`), 401, 'unauthorized');
  });

  it('uses the configured audience and maximum age', async () => {
    const custom = makeTestApp({ SECURE_INBOX_JWT_AUDIENCE: 'portal-widget', SECURE_INBOX_JWT_MAX_AGE: '300' });
    expect((await callWith(custom, `Bearer ${await signHs({ ...validClaims(), aud: 'portal-widget', exp: now() + 300 })}`)).status).toBe(200);
    expectError(await callWith(custom, `Bearer ${await signHs(validClaims())}`), 401, 'unauthorized');
    expectError(await callWith(custom, `Bearer ${await signHs({ ...validClaims(), aud: 'portal-widget', exp: now() + 600 })}`), 401, 'unauthorized');
  });
});

describe('a refused token says why, in one word, and the log says the same', () => {
  let rsaPrivate: CryptoKey;
  beforeAll(async () => {
    ({ privateKey: rsaPrivate } = await generateKeyPair('RS256'));
  });

  const reasons: [string, string, () => Promise<string>][] = [
    ['expired', 'an expired token', async () => signHs({ ...validClaims(), iat: now() - 900, exp: now() - 120 })],
    ['audience', 'a wrong aud', async () => signHs({ ...validClaims(), aud: 'another-app' })],
    ['audience', 'no aud', async () => signHs(without(validClaims(), 'aud'))],
    ['issuer', 'a wrong iss', async () => signHs({ ...validClaims(), iss: 'https://evil.example' })],
    ['signature', 'a wrong secret', async () => signHs(validClaims(), new TextEncoder().encode('another-secret-that-is-also-32-bytes-long'))],
    ['signature', 'an algorithm that is not allowed', async () => new SignJWT(validClaims()).setProtectedHeader({ alg: 'RS256' }).sign(rsaPrivate)],
    ['signature', 'garbage', async () => 'garbage'],
    ['claims', 'an unknown role', async () => signHs({ ...validClaims(), role: 'superuser' })],
    ['claims', 'no sub', async () => signHs(without(validClaims(), 'sub'))],
    ['claims', 'a sub holding U+0000', async () => signHs({ ...validClaims(), sub: 'ops\u0000' })],
    ['claims', 'an account holding U+0000', async () => signHs({ ...validClaims(), accounts: ['acme\u0000'] })],
    ['lifetime', 'a lifetime over the maximum', async () => signHs({ ...validClaims(), iat: now(), exp: now() + 3600 + 600 })],
    ['lifetime', 'iat in the future', async () => signHs({ ...validClaims(), iat: now() + 300, exp: now() + 900 })],
  ];

  const fixes: Record<string, RegExp> = {
    expired: /mint a fresh token/,
    audience: /SECURE_INBOX_JWT_AUDIENCE/,
    issuer: /SECURE_INBOX_JWT_ISSUER/,
    signature: /SECURE_INBOX_JWT_SECRET/,
    claims: /sub, name, role/,
    lifetime: /SECURE_INBOX_JWT_MAX_AGE/,
  };

  it.each(reasons)('%s: %s', async (reason, _name, make) => {
    const t = makeTestApp(reason === 'issuer' ? { SECURE_INBOX_JWT_ISSUER: 'https://portal.example' } : {});
    const token = await make();
    const res = await callWith(t, `Bearer ${token}`);
    const error = expectError(res, 401, 'unauthorized');
    expect(error.details).toEqual({ reason });
    // The sentence says what to change, naming the setting (never its value).
    expect(error.message).toMatch(fixes[reason]!);
    const warnings = t.logs.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain(`(${reason})`);
    expect(warnings[0]!.reason).toBe(reason);
    expect(JSON.stringify(t.logs)).not.toContain(token.slice(-12));
  });

  it('documents the reasons in the OpenAPI document', async () => {
    const doc = (await callWith(makeTestApp(), null, '/openapi.json')).json;
    const refused = doc.paths['/me'].get.responses['401'];
    expect(refused.content['application/json'].schema.properties.error.properties.details.properties.reason.enum).toEqual([
      'missing',
      'expired',
      'audience',
      'issuer',
      'signature',
      'claims',
      'lifetime',
    ]);
    expect(doc.paths['/openapi.json'].get.responses['401']).toBeUndefined();
  });

  it('says "missing" when no token came, and logs nothing for it', async () => {
    const t = makeTestApp();
    expect(expectError(await callWith(t, null), 401, 'unauthorized').details).toEqual({ reason: 'missing' });
    expect(t.logs.filter((line) => line.level === 'warn')).toEqual([]);
  });
});

describe('asymmetric keys: the algorithm comes from configuration, never from the token', () => {
  it('accepts RS256 with the configured public key and refuses HS256 signed with that public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    for (const algorithms of ['RS256', 'RS256,HS256']) {
      const t = makeTestApp({ SECURE_INBOX_JWT_ALGORITHMS: algorithms, SECURE_INBOX_JWT_PUBLIC_KEY: pem });
      const rs = await new SignJWT(validClaims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
      expect((await callWith(t, `Bearer ${rs}`)).status).toBe(200);
      // The classic confusion: the public key (which is public) used as an HMAC secret.
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        const forged = await signHs(validClaims(), new TextEncoder().encode(pem), alg);
        expectError(await callWith(t, `Bearer ${forged}`), 401, 'unauthorized');
      }
      const forgedNone = `${enc({ alg: 'none' })}.${enc(validClaims())}.`;
      expectError(await callWith(t, `Bearer ${forgedNone}`), 401, 'unauthorized');
      // Another key pair's signature.
      const { privateKey: otherKey } = await generateKeyPair('RS256');
      expectError(await callWith(t, `Bearer ${await new SignJWT(validClaims()).setProtectedHeader({ alg: 'RS256' }).sign(otherKey)}`), 401, 'unauthorized');
    }
    // With RS256 only, the shared secret no longer signs valid tokens.
    const rsOnly = makeTestApp({ SECURE_INBOX_JWT_ALGORITHMS: 'RS256', SECURE_INBOX_JWT_PUBLIC_KEY: pem });
    expectError(await callWith(rsOnly, `Bearer ${await signHs(validClaims())}`), 401, 'unauthorized');
  });
});

describe('users and memberships follow the claims', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = makeTestApp();
    await signInAll(t);
  });

  it('changes /me.accounts when the accounts claim changes, and dropped accounts stop giving access', async () => {
    const both = { ...people.alice, accounts: ['acme', 'globex'] };
    expect((await t.call(both, 'GET', '/me')).json.accounts.map((a: { id: string }) => a.id)).toEqual(['acme', 'globex']);
    const inGlobex = await startConversation(t, both, { accountId: 'globex' });
    expect((await t.call(both, 'GET', `/conversations/${inGlobex.id}`)).status).toBe(200);
    expect((await t.call(people.bob, 'GET', '/directory?accountId=globex')).json.items.map((u: { id: string }) => u.id)).toContain('alice');

    // The next token names only acme.
    expect((await t.call(people.alice, 'GET', '/me')).json.accounts).toEqual([{ id: 'acme', name: 'acme' }]);
    expectError(await t.call(people.alice, 'GET', `/conversations/${inGlobex.id}`), 404, 'not_found');
    expect((await t.call(people.alice, 'GET', '/conversations?folder=sent')).json.items).toEqual([]);
    expectError(await t.call(people.alice, 'GET', '/directory?accountId=globex'), 403, 'forbidden');
    expect((await t.call(people.bob, 'GET', '/directory?accountId=globex')).json.items.map((u: { id: string }) => u.id)).not.toContain('alice');
    // No longer a member of globex: she cannot be addressed or added there.
    expectError(await t.call(people.gina, 'POST', '/conversations', { accountId: 'globex', subject: 's', body: 'b', recipientIds: ['alice'] }), 422, 'invalid');
    expectError(await t.call(people.gina, 'POST', `/conversations/${inGlobex.id}/participants`, { userIds: ['alice'] }), 422, 'invalid');

    // Given back, the access returns.
    expect((await t.call(both, 'GET', `/conversations/${inGlobex.id}`)).status).toBe(200);
  });

  it('takes a staff member off an account they no longer act in', async () => {
    const c = await startConversation(t, people.bob);
    expect((await t.call(people.sam, 'GET', `/conversations/${c.id}`)).status).toBe(200);
    const acmeOnly = { ...people.sam, accounts: ['acme'] };
    expect((await t.call(acmeOnly, 'GET', '/me')).json.accounts.map((a: { id: string }) => a.id)).toEqual(['acme']);
    expectError(await t.call(acmeOnly, 'GET', `/conversations/${c.id}`), 404, 'not_found');
    expect((await t.call(acmeOnly, 'GET', '/conversations')).json.items).toEqual([]);
    expect((await t.call(people.gina, 'GET', '/directory?accountId=globex')).json.items.map((u: { id: string }) => u.id)).toEqual(['bob']);
  });

  it('updates the name, email and role from the claims', async () => {
    const renamed = { ...people.alice, name: 'Alice Renamed', email: 'new@example.com' };
    expect((await t.call(renamed, 'GET', '/me')).json.user).toEqual({ id: 'alice', name: 'Alice Renamed', email: 'new@example.com', role: 'customer' });
    expect((await t.call(people.sam, 'GET', '/directory?accountId=acme')).json.items).toContainEqual({ id: 'alice', name: 'Alice Renamed', role: 'customer' });
    const c = await startConversation(t, renamed);
    expect(c.participants).toEqual([{ id: 'alice', name: 'Alice Renamed', role: 'customer' }]);
  });

  it('cleans the name claim as subjects are cleaned: no CR, LF, control or bidi characters, trimmed', async () => {
    const hostile = { ...people.alice, name: ' Alice\r\nBcc: x@evil.example\u0000\u001b[2J \u202eredro\u202c\u2066x\u2069 ' };
    const clean = 'AliceBcc: x@evil.example[2J redrox';
    expect((await t.call(hostile, 'GET', '/me')).json.user.name).toBe(clean);
    expect((await t.call(people.sam, 'GET', '/directory?accountId=acme')).json.items).toContainEqual({ id: 'alice', name: clean, role: 'customer' });
    const c = await startConversation(t, hostile);
    expect(c.participants).toEqual([{ id: 'alice', name: clean, role: 'customer' }]);
    const stored = await allRows<{ name: string }>(t.db, sql`SELECT name FROM users WHERE id = 'alice'`);
    expect(stored).toEqual([{ name: clean }]);
    // A name with nothing left shows the user's id rather than nothing.
    expect((await t.call({ ...people.alice, name: '\u202e\r\n ' }, 'GET', '/me')).json.user.name).toBe('alice');
  });

  it('refuses a token whose email claim is not a plain address (no header injection through it)', async () => {
    for (const email of [
      'alice@example.com\r\nBcc: x@evil.example',
      'alice@example.com\n',
      'Alice <alice@example.com>',
      '\u202ealice@example.com',
      'alice@exa mple.com',
    ]) {
      const res = await t.call({ ...people.alice, email }, 'GET', '/me');
      expectError(res, 401, 'unauthorized');
      expect(res.json.error.message, email).toContain('email');
    }
    const rows = await allRows<{ email: string | null }>(t.db, sql`SELECT email FROM users WHERE id = 'alice'`);
    expect(rows).toEqual([{ email: 'alice@example.com' }]);
  });

  it('creates an account the first time a token names it', async () => {
    const newcomer = { sub: 'nina', name: 'Nina New', role: 'customer' as const, accounts: ['initech'] };
    expect((await t.call(newcomer, 'GET', '/me')).json.accounts).toEqual([{ id: 'initech', name: 'initech' }]);
    expect((await t.call(people.root, 'GET', '/directory?accountId=initech')).json.items).toEqual([{ id: 'nina', name: 'Nina New', role: 'customer' }]);
  });
});

describe('loadConfig', () => {
  const good = { SECURE_INBOX_JWT_SECRET: 'x'.repeat(32) };
  const refuses = (env: Record<string, string | undefined>, variable: string) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error, `expected ${JSON.stringify(env)} to be refused`).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(variable);
    expect(message).toMatch(/^[A-Z].*[.)]$/s);
    return message;
  };

  it('applies the documented defaults', () => {
    const config = loadConfig(good);
    expect(config).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      dbFile: './data/secure-inbox.db',
      allowedOrigins: [],
      publicUrl: 'http://127.0.0.1:8787',
      smtpUrl: undefined,
      notifyMode: 'secure',
      rateLimitPerMinute: 120,
      maxUploadBytes: 26214400,
      mailBatchSeconds: 5,
      pageCacheBytes: 32 * 1024 * 1024,
      jwt: { audience: 'secure-inbox', algorithms: ['HS256'], maxAgeSeconds: 3600, issuer: undefined },
    });
  });

  it('refuses a missing or short secret', () => {
    expect(refuses({}, 'SECURE_INBOX_JWT_SECRET')).toMatch(/32 bytes/);
    refuses({ SECURE_INBOX_JWT_SECRET: '' }, 'SECURE_INBOX_JWT_SECRET');
    expect(refuses({ SECURE_INBOX_JWT_SECRET: 'x'.repeat(31) }, 'SECURE_INBOX_JWT_SECRET')).toMatch(/32 bytes/);
    // Bytes, not characters: 11 three-byte characters are 33 bytes.
    expect(loadConfig({ SECURE_INBOX_JWT_SECRET: '€'.repeat(11) }).jwt.secret!.byteLength).toBe(33);
  });

  it('takes the memory for kept inbox pages in MB, 0 keeping none, and refuses anything else', () => {
    expect(loadConfig({ ...good, SECURE_INBOX_PAGE_CACHE_MB: '0' }).pageCacheBytes).toBe(0);
    expect(loadConfig({ ...good, SECURE_INBOX_PAGE_CACHE_MB: '128' }).pageCacheBytes).toBe(128 * 1024 * 1024);
    for (const mb of ['-1', 'lots', '1.5', '100000']) refuses({ ...good, SECURE_INBOX_PAGE_CACHE_MB: mb }, 'SECURE_INBOX_PAGE_CACHE_MB');
  });

  it('refuses a bad PORT', () => {
    for (const port of ['abc', '70000', '-1', '80.5', '1e3']) refuses({ ...good, PORT: port }, 'PORT');
    expect(loadConfig({ ...good, PORT: '9000' }).port).toBe(9000);
  });

  it('refuses bad origins', () => {
    for (const origins of ['portal.example.com', 'https://portal.example.com/', 'https://portal.example.com/path', 'https://a.example,nope', '*']) {
      refuses({ ...good, SECURE_INBOX_ALLOWED_ORIGINS: origins }, 'SECURE_INBOX_ALLOWED_ORIGINS');
    }
    expect(loadConfig({ ...good, SECURE_INBOX_ALLOWED_ORIGINS: 'https://a.example, http://localhost:3000' }).allowedOrigins).toEqual([
      'https://a.example',
      'http://localhost:3000',
    ]);
  });

  it('refuses other bad values, naming the variable', () => {
    refuses({ ...good, SECURE_INBOX_JWT_ALGORITHMS: 'none' }, 'SECURE_INBOX_JWT_ALGORITHMS');
    refuses({ ...good, SECURE_INBOX_JWT_ALGORITHMS: ' , ' }, 'SECURE_INBOX_JWT_ALGORITHMS');
    refuses({ ...good, SECURE_INBOX_JWT_ALGORITHMS: 'RS256' }, 'SECURE_INBOX_JWT_PUBLIC_KEY');
    refuses({ ...good, SECURE_INBOX_JWT_MAX_AGE: '0' }, 'SECURE_INBOX_JWT_MAX_AGE');
    refuses({ ...good, SECURE_INBOX_JWT_MAX_AGE: 'an hour' }, 'SECURE_INBOX_JWT_MAX_AGE');
    refuses({ ...good, SECURE_INBOX_RATE_LIMIT: '-5' }, 'SECURE_INBOX_RATE_LIMIT');
    refuses({ ...good, SECURE_INBOX_MAX_UPLOAD_BYTES: '25MB' }, 'SECURE_INBOX_MAX_UPLOAD_BYTES');
    refuses({ ...good, SECURE_INBOX_NOTIFY_MODE: 'verbose' }, 'SECURE_INBOX_NOTIFY_MODE');
    refuses({ ...good, SECURE_INBOX_SMTP_URL: 'http://mail.example' }, 'SECURE_INBOX_SMTP_URL');
    refuses({ ...good, SECURE_INBOX_PUBLIC_URL: 'not a url' }, 'SECURE_INBOX_PUBLIC_URL');
    refuses({ ...good, SECURE_INBOX_PUBLIC_URL: 'javascript:alert(1)' }, 'SECURE_INBOX_PUBLIC_URL');
  });
});
