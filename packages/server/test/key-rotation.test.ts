import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { expectError, makeTestApp, people, SECRET } from './helpers.js';

const OLD = 'old-secret-of-the-portal-at-least-32-bytes!';
const NEW = 'new-secret-of-the-portal-at-least-32-bytes!';
const alice = people.alice;

function sign(key: Uint8Array | CryptoKey, header: { alg: string; kid?: string }) {
  return new SignJWT({ name: alice.name, role: alice.role, accounts: alice.accounts })
    .setProtectedHeader(header)
    .setSubject(alice.sub)
    .setAudience('secure-inbox')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}
const bytes = (s: string) => new TextEncoder().encode(s);

async function me(t: ReturnType<typeof makeTestApp>, token: string) {
  return t.call(null, 'GET', '/me', undefined, { authorization: `Bearer ${token}` });
}

describe('several HMAC secrets picked by kid', () => {
  it('accepts tokens of every listed kid, refuses an unknown kid with reason "signature", and keeps SECRET for tokens without a kid', async () => {
    const t = makeTestApp({ SECURE_INBOX_JWT_SECRETS: `2026-01:${OLD},2026-02:${NEW}` });
    expect((await me(t, await sign(bytes(OLD), { alg: 'HS256', kid: '2026-01' }))).status).toBe(200);
    expect((await me(t, await sign(bytes(NEW), { alg: 'HS256', kid: '2026-02' }))).status).toBe(200);
    expect((await me(t, await sign(bytes(SECRET), { alg: 'HS256' }))).status).toBe(200);

    const unknown = await me(t, await sign(bytes(NEW), { alg: 'HS256', kid: '2026-03' }));
    expect(expectError(unknown, 401, 'unauthorized').details).toEqual({ reason: 'signature' });
    expect(unknown.json.error.message).toMatch(/kid names no key/);
    // A kid picks its secret only: the other listed secret (or SECRET) does not verify it.
    const crossed = await me(t, await sign(bytes(OLD), { alg: 'HS256', kid: '2026-02' }));
    expect(expectError(crossed, 401, 'unauthorized').details).toEqual({ reason: 'signature' });
    const withSecret = await me(t, await sign(bytes(SECRET), { alg: 'HS256', kid: '2026-02' }));
    expect(expectError(withSecret, 401, 'unauthorized').details).toEqual({ reason: 'signature' });
  });

  it('rotates without downtime: old and new side by side, then the old one removed', async () => {
    const before = makeTestApp({ SECURE_INBOX_JWT_SECRET: OLD });
    const oldToken = await sign(bytes(OLD), { alg: 'HS256' });
    expect((await me(before, oldToken)).status).toBe(200);
    // Step 1: the new secret beside the old one; tokens without a kid still use SECRET.
    const during = makeTestApp({ SECURE_INBOX_JWT_SECRET: OLD, SECURE_INBOX_JWT_SECRETS: `2026-02:${NEW}` });
    expect((await me(during, oldToken)).status).toBe(200);
    const newToken = await sign(bytes(NEW), { alg: 'HS256', kid: '2026-02' });
    expect((await me(during, newToken)).status).toBe(200);
    // Step 3: only the new secret; SECRET is no longer needed, and tokens without a kid are refused.
    const after = makeTestApp({ SECURE_INBOX_JWT_SECRET: '', SECURE_INBOX_JWT_SECRETS: `2026-02:${NEW}` });
    expect(after.config.jwt.secret).toBeUndefined();
    expect((await me(after, newToken)).status).toBe(200);
    expect(expectError(await me(after, oldToken), 401, 'unauthorized').details).toEqual({ reason: 'signature' });
  });

  it('refuses malformed or short SECURE_INBOX_JWT_SECRETS with a sentence', () => {
    const refuse = (value: string) => {
      expect(() => loadConfig({ SECURE_INBOX_JWT_SECRETS: value })).toThrow(ConfigError);
      expect(() => loadConfig({ SECURE_INBOX_JWT_SECRETS: value })).toThrow(/SECURE_INBOX_JWT_SECRETS/);
    };
    refuse(NEW);
    refuse(':' + NEW);
    refuse('a:short');
    refuse(`a:${OLD},a:${NEW}`);
    expect(loadConfig({ SECURE_INBOX_JWT_SECRETS: `a:${OLD}, b:${NEW}` }).jwt.secrets.size).toBe(2);
    expect(() => loadConfig({})).toThrow(/SECURE_INBOX_JWT_SECRET/);
  });
});

describe('asymmetric keys from a JWKS', () => {
  async function keyPair(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    return { privateKey, publicKey, jwk };
  }

  it('picks the key of a JWKS file by kid; needs no HMAC secret; refuses an unknown kid and HS256 tokens', async () => {
    const a = await keyPair('a');
    const b = await keyPair('b');
    const stranger = await keyPair('c');
    const probe = makeTestApp();
    const file = join(probe.dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [a.jwk, b.jwk] }));
    const t = makeTestApp({ SECURE_INBOX_JWT_SECRET: '', SECURE_INBOX_JWT_ALGORITHMS: 'ES256', SECURE_INBOX_JWT_JWKS_FILE: file });
    expect(t.config.jwt.secret).toBeUndefined();
    expect((await me(t, await sign(a.privateKey, { alg: 'ES256', kid: 'a' }))).status).toBe(200);
    expect((await me(t, await sign(b.privateKey, { alg: 'ES256', kid: 'b' }))).status).toBe(200);
    const unknown = await me(t, await sign(stranger.privateKey, { alg: 'ES256', kid: 'c' }));
    expect(expectError(unknown, 401, 'unauthorized').details).toEqual({ reason: 'signature' });
    const wrongKey = await me(t, await sign(stranger.privateKey, { alg: 'ES256', kid: 'a' }));
    expect(expectError(wrongKey, 401, 'unauthorized').details).toEqual({ reason: 'signature' });
    // Two keys fit a token without a kid: refused rather than guessed.
    expect(expectError(await me(t, await sign(a.privateKey, { alg: 'ES256' })), 401, 'unauthorized').details).toEqual({ reason: 'signature' });
    // The algorithm list comes from config: an HS256 token is refused whatever its key.
    expect(expectError(await me(t, await sign(bytes(SECRET), { alg: 'HS256', kid: 'a' })), 401, 'unauthorized').details).toEqual({ reason: 'signature' });
  });

  it('uses SECURE_INBOX_JWT_PUBLIC_KEY for tokens without a kid beside a key set', async () => {
    const a = await keyPair('a');
    const pem = await keyPair('pem');
    const probe = makeTestApp();
    const file = join(probe.dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [a.jwk] }));
    const t = makeTestApp({
      SECURE_INBOX_JWT_ALGORITHMS: 'ES256,HS256',
      SECURE_INBOX_JWT_JWKS_FILE: file,
      SECURE_INBOX_JWT_PUBLIC_KEY: await exportSPKI(pem.publicKey),
    });
    expect((await me(t, await sign(pem.privateKey, { alg: 'ES256' }))).status).toBe(200);
    expect((await me(t, await sign(a.privateKey, { alg: 'ES256', kid: 'a' }))).status).toBe(200);
    expect((await me(t, await sign(bytes(SECRET), { alg: 'HS256' }))).status).toBe(200);
  });

  it('refuses a missing or malformed JWKS file, both sources at once, and asymmetric algorithms without any key', () => {
    expect(() => loadConfig({ SECURE_INBOX_JWT_ALGORITHMS: 'ES256', SECURE_INBOX_JWT_JWKS_FILE: '/nonexistent/jwks.json' })).toThrow(
      /SECURE_INBOX_JWT_JWKS_FILE must name a readable/,
    );
    const dir = makeTestApp().dir;
    writeFileSync(join(dir, 'empty.json'), '{"keys":[]}');
    expect(() => loadConfig({ SECURE_INBOX_JWT_ALGORITHMS: 'ES256', SECURE_INBOX_JWT_JWKS_FILE: join(dir, 'empty.json') })).toThrow(/at least one key/);
    expect(() =>
      loadConfig({
        SECURE_INBOX_JWT_ALGORITHMS: 'ES256',
        SECURE_INBOX_JWT_JWKS_FILE: join(dir, 'empty.json'),
        SECURE_INBOX_JWT_JWKS_URL: 'https://portal.example/jwks.json',
      }),
    ).toThrow(ConfigError);
    expect(() => loadConfig({ SECURE_INBOX_JWT_ALGORITHMS: 'ES256' })).toThrow(/SECURE_INBOX_JWT_JWKS_URL/);
    expect(() => loadConfig({ SECURE_INBOX_JWT_ALGORITHMS: 'ES256', SECURE_INBOX_JWT_JWKS_URL: 'ftp://portal.example/jwks' })).toThrow(
      /SECURE_INBOX_JWT_JWKS_URL must start with/,
    );
  });

  describe('from a URL', () => {
    let server: Server | undefined;
    afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

    async function serveJwks(keys: () => JWK[], delayMs = 0) {
      let fetched = 0;
      server = createServer((req, res) => {
        fetched++;
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ keys: keys() }));
        }, delayMs);
      });
      await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
      const { port } = server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, fetched: () => fetched };
    }

    it('fetches the key set once and keeps it; a new kid published later is fetched again', async () => {
      const a = await keyPair('a');
      const b = await keyPair('b');
      let published = [a.jwk];
      const jwks = await serveJwks(() => published);
      const t = makeTestApp({ SECURE_INBOX_JWT_SECRET: '', SECURE_INBOX_JWT_ALGORITHMS: 'ES256', SECURE_INBOX_JWT_JWKS_URL: jwks.url });
      expect((await me(t, await sign(a.privateKey, { alg: 'ES256', kid: 'a' }))).status).toBe(200);
      expect((await me(t, await sign(a.privateKey, { alg: 'ES256', kid: 'a' }))).status).toBe(200);
      expect(jwks.fetched()).toBe(1);
      // Rotation: the host publishes key b and signs with it. Within 30 s of a fetch an unknown kid does not fetch again.
      published = [a.jwk, b.jwk];
      const tokenB = await sign(b.privateKey, { alg: 'ES256', kid: 'b' });
      expect((await me(t, tokenB)).status).toBe(401);
      expect(jwks.fetched()).toBe(1);
      const realNow = Date.now.bind(Date);
      const later = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 31_000);
      try {
        const res = await me(t, tokenB);
        expect(res.status, res.text).toBe(200);
        expect(jwks.fetched()).toBe(2);
      } finally {
        later.mockRestore();
      }
      const unknown = await me(t, await sign(b.privateKey, { alg: 'ES256', kid: 'zzz' }));
      expect(expectError(unknown, 401, 'unauthorized').details).toEqual({ reason: 'signature' });
    });

    it('answers 401 "signature" when the key set does not come in time', async () => {
      const a = await keyPair('a');
      const jwks = await serveJwks(() => [a.jwk], 8000);
      const t = makeTestApp({ SECURE_INBOX_JWT_SECRET: '', SECURE_INBOX_JWT_ALGORITHMS: 'ES256', SECURE_INBOX_JWT_JWKS_URL: jwks.url });
      const res = await me(t, await sign(a.privateKey, { alg: 'ES256', kid: 'a' }));
      expect(expectError(res, 401, 'unauthorized').details).toEqual({ reason: 'signature' });
      expect(res.json.error.message).toMatch(/could not be fetched in time/);
    }, 15_000);
  });
});
