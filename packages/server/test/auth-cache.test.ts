/**
 * Verified tokens are remembered until they expire and a user's claims are written only when they
 * change: neither may let an expired token through or keep memberships a newer token took away.
 */
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectError, makeTestApp, SECRET, startConversation, type TestApp } from './helpers.js';

const now = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
const alice = (accounts: string[], exp = now() + 600) => ({
  sub: 'alice',
  name: 'Alice Applicant',
  role: 'customer',
  accounts,
  aud: 'secure-inbox',
  iat: now(),
  exp,
});

async function callWith(t: TestApp, token: string, path = '/me') {
  const res = await t.app.request(`/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text, headers: res.headers };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('remembered tokens', () => {
  it('refuses a token once it has expired (beyond the 30 s clock skew), although it was accepted before', async () => {
    const t = makeTestApp();
    const exp = now() + 60;
    const token = await sign(alice(['acme'], exp));
    expect((await callWith(t, token)).status).toBe(200);
    expect((await callWith(t, token)).status).toBe(200);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime((exp + 29) * 1000);
    expect((await callWith(t, token)).status).toBe(200);
    vi.setSystemTime((exp + 31) * 1000);
    const refused = await callWith(t, token);
    expectError(refused, 401, 'unauthorized');
    expect(refused.json.error.message).toContain('expired');
    // And it stays refused.
    expectError(await callWith(t, token), 401, 'unauthorized');
  });

  it('applies the memberships of each token, also when an earlier token comes back after a newer one', async () => {
    const t = makeTestApp();
    const both = await sign(alice(['acme', 'globex']));
    const acmeOnly = await sign(alice(['acme'], now() + 599));
    expect(both).not.toBe(acmeOnly);
    const bob = await sign({ sub: 'bob', name: 'Bob Other', role: 'customer', accounts: ['globex'], aud: 'secure-inbox', iat: now(), exp: now() + 600 });
    expect((await callWith(t, bob)).status).toBe(200);

    expect((await callWith(t, both)).json.accounts.map((a: { id: string }) => a.id)).toEqual(['acme', 'globex']);
    const c = await startConversation(t, { sub: 'alice', name: 'Alice Applicant', role: 'customer', accounts: ['acme', 'globex'] }, { accountId: 'globex' });
    expect((await callWith(t, both, `/conversations/${c.id}`)).status).toBe(200);

    // The newer token names acme only: globex is gone, for her and for the directory.
    expect((await callWith(t, acmeOnly)).json.accounts.map((a: { id: string }) => a.id)).toEqual(['acme']);
    expectError(await callWith(t, acmeOnly, `/conversations/${c.id}`), 404, 'not_found');
    expect((await callWith(t, bob, '/directory?accountId=globex')).json.items.map((u: { id: string }) => u.id)).not.toContain('alice');

    // The earlier token (the same string, already verified) gives globex back while it is valid.
    expect((await callWith(t, both)).json.accounts.map((a: { id: string }) => a.id)).toEqual(['acme', 'globex']);
    expect((await callWith(t, both, `/conversations/${c.id}`)).status).toBe(200);
    expect((await callWith(t, bob, '/directory?accountId=globex')).json.items.map((u: { id: string }) => u.id)).toContain('alice');

    // And the newer one takes it away again.
    expectError(await callWith(t, acmeOnly, `/conversations/${c.id}`), 404, 'not_found');
  });
});
