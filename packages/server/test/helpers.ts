import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { createApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { openDb, type Db } from '../src/db/client.js';

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

export interface TestUser {
  sub: string;
  name: string;
  role: 'customer' | 'staff' | 'admin';
  accounts: string[];
  email?: string;
}

/** A fresh app on a real SQLite file in a temporary folder. */
export function makeTestApp(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-test-'));
  const config: Config = loadConfig({
    SECURE_INBOX_JWT_SECRET: SECRET,
    SECURE_INBOX_DB: join(dir, 'test.db'),
    SECURE_INBOX_RATE_LIMIT: '0',
    SECURE_INBOX_DATA_DIR: dir,
    ...env,
  });
  const db: Db = openDb(config.dbFile);
  const app = createApp({ db, config }, { bundlePath: join(dir, 'missing-bundle.js') });

  async function token(user: TestUser, overrides: Record<string, unknown> = {}) {
    const { sub, ...claims } = user;
    return new SignJWT({ ...claims, ...overrides })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setAudience('secure-inbox')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
  }

  /** Calls the app as `user` (or anonymously with null). */
  async function call(user: TestUser | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (user) h.authorization = `Bearer ${await token(user)}`;
    if (body !== undefined) h['content-type'] ??= 'application/json';
    const res = await app.request(`/api/v1${path}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: res.headers, text };
  }

  return { app, db, config, dir, token, call };
}

/** A small cast: two accounts, customers in each, staff, an admin. */
export const people = {
  alice: { sub: 'alice', name: 'Alice Applicant', role: 'customer', accounts: ['acme'], email: 'alice@example.com' },
  adam: { sub: 'adam', name: 'Adam Co-owner', role: 'customer', accounts: ['acme'] },
  bob: { sub: 'bob', name: 'Bob Other', role: 'customer', accounts: ['globex'], email: 'bob@example.com' },
  sam: { sub: 'sam', name: 'Sam Staff', role: 'staff', accounts: ['acme', 'globex'], email: 'sam@example.com' },
  gina: { sub: 'gina', name: 'Gina Globex Staff', role: 'staff', accounts: ['globex'] },
  root: { sub: 'root', name: 'Ada Admin', role: 'admin', accounts: ['*'], email: 'admin@example.com' },
} satisfies Record<string, TestUser>;

/** Signs everyone in once so the server knows them and their accounts. */
export async function signInAll(t: ReturnType<typeof makeTestApp>) {
  for (const user of Object.values(people)) {
    const res = await t.call(user, 'GET', '/me');
    if (res.status !== 200) throw new Error(`sign-in of ${user.sub} failed: ${res.status} ${res.text}`);
  }
}
