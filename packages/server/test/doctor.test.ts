/**
 * `pnpm doctor` against a good configuration and a broken one: a real SMTP server in-process (that accepts, or
 * refuses the sender), a clamd stand-in answering PING, and SQLite files migrated or not.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../src/store/postgres/migrate.js';
import { openDb } from '../src/store/sqlite/client.js';
import { createTestDatabase, type TestDatabase } from './postgres/database.js';
import { doctor, formatChecks } from '../src/doctor.js';
import { freePort, startSmtp, type TestSmtp } from './notify-smtp.js';

const SECRET = 'a-secret-for-the-doctor-test-that-is-long-enough';
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A clamd that answers PING with PONG. */
async function startClamd(): Promise<string> {
  const server: Server = createServer((socket) => {
    socket.on('data', (data) => {
      if (data.toString().includes('PING')) socket.end('PONG\0');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An SMTP server that refuses one sender at MAIL FROM, and records every command it was given. */
async function startPickySmtp(refused: string): Promise<{ url: string; commands: string[] }> {
  const commands: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom(address, _session, callback) {
      commands.push(`MAIL FROM ${address.address}`);
      if (address.address === refused) callback(Object.assign(new Error('Sender address rejected: not owned by you'), { responseCode: 553 }));
      else callback();
    },
    onData(stream, _session, callback) {
      commands.push('DATA');
      stream.resume();
      stream.on('end', () => callback());
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, commands };
}

const byName = (checks: Awaited<ReturnType<typeof doctor>>) => Object.fromEntries(checks.map((check) => [check.name, check]));

describe('doctor', () => {
  it('passes a good configuration: every check ok, and no mail is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-doctor-'));
    const dbFile = join(dir, 'secure-inbox.db');
    openDb(dbFile).$client.close();
    const smtp: TestSmtp = await startSmtp();
    closers.push(() => smtp.close());
    const checks = await doctor({
      SECURE_INBOX_JWT_SECRET: SECRET,
      SECURE_INBOX_DB: dbFile,
      SECURE_INBOX_DATA_DIR: dir,
      SECURE_INBOX_SMTP_URL: smtp.url,
      SECURE_INBOX_MAIL_FROM: 'Riverton Permits <no-reply@riverton.example>',
      SECURE_INBOX_CLAMD_URL: await startClamd(),
      SECURE_INBOX_PUBLIC_URL: 'https://portal.example/messages',
      SECURE_INBOX_ALLOWED_ORIGINS: 'https://portal.example',
    });
    expect(checks.filter((check) => !check.ok)).toEqual([]);
    const found = byName(checks);
    expect(Object.keys(found)).toEqual(['token secret', 'token algorithms', 'public URL', 'allowed origins', 'database', 'data folder', 'mail', 'virus scan']);
    expect(found['token secret']!.detail).toBe('48 bytes');
    expect(found.database!.detail).toMatch(/writable and migrated/);
    expect(found.mail!.detail).toContain('accepts the sender no-reply@riverton.example');
    expect(found['virus scan']!.detail).toMatch(/answers PING/);
    expect(smtp.delivered).toEqual([]);
    const text = formatChecks(checks);
    expect(text.split('\n')).toHaveLength(checks.length);
    expect(text).not.toContain('FAIL');
  });

  it('fails a broken configuration, one line per problem with its fix, and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-doctor-'));
    // A "folder" that is a file: the database cannot be created under it (whoever runs the test).
    writeFileSync(join(dir, 'not-a-folder'), 'x');
    const picky = await startPickySmtp('no-reply@riverton.example');
    const env = {
      SECURE_INBOX_JWT_SECRET: 'too-short',
      SECURE_INBOX_JWT_ALGORITHMS: 'HS256,none',
      SECURE_INBOX_DB: join(dir, 'not-a-folder', 'secure-inbox.db'),
      SECURE_INBOX_DATA_DIR: dir,
      SECURE_INBOX_SMTP_URL: picky.url,
      SECURE_INBOX_MAIL_FROM: 'no-reply@riverton.example',
      SECURE_INBOX_CLAMD_URL: `tcp://127.0.0.1:${await freePort()}`,
      SECURE_INBOX_PUBLIC_URL: 'portal.example/messages',
      SECURE_INBOX_ALLOWED_ORIGINS: 'https://portal.example/',
      SECURE_INBOX_RATE_LIMIT: 'lots',
    };
    const checks = await doctor(env);
    const found = byName(checks);
    const failed = checks.filter((check) => !check.ok).map((check) => check.name);
    expect(failed).toEqual([
      'token secret',
      'token algorithms',
      'public URL',
      'allowed origins',
      'setting SECURE_INBOX_RATE_LIMIT',
      'database',
      'mail',
      'virus scan',
    ]);
    expect(found['token secret']!.detail).toMatch(/SECURE_INBOX_JWT_SECRET is 9 bytes; set it to a random secret of at least 32 bytes/);
    expect(found['token algorithms']!.detail).toMatch(/"none", which is not supported/);
    expect(found['public URL']!.detail).toMatch(/SECURE_INBOX_PUBLIC_URL must be a URL/);
    expect(found['allowed origins']!.detail).toMatch(/no path, no trailing slash/);
    expect(found.database!.fix).toMatch(/SECURE_INBOX_DB/);
    expect(found.mail!.detail).toMatch(/MAIL FROM:<no-reply@riverton.example> was answered "553/);
    expect(found.mail!.fix).toMatch(/SECURE_INBOX_MAIL_FROM/);
    expect(found['virus scan']!.fix).toMatch(/clamd/);
    // The conversation stopped at MAIL FROM: nothing was sent.
    expect(picky.commands).toEqual(['MAIL FROM no-reply@riverton.example']);
    for (const line of formatChecks(checks)
      .split('\n')
      .filter((l) => l.startsWith('FAIL')))
      expect(line).toContain(' — fix: ');

    // The command prints the same and exits 1.
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/doctor-main.ts'], {
      env: { ...process.env, ...env },
      cwd: join(__dirname, '..'),
    });
    const failure = (await run.then(
      () => null,
      (error: unknown) => error,
    )) as { code: number; stdout: string } | null;
    expect(failure?.code).toBe(1);
    expect(failure!.stdout).toMatch(/^FAIL token secret: /m);
    expect(failure!.stdout).toMatch(/8 of 9 checks failed\./);
  });

  it('signs in to SMTP with the user and password of the URL, and says so when they are refused', async () => {
    const server = new SMTPServer({
      authMethods: ['PLAIN'],
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'notices' && auth.password === 'p@ss word') callback(null, { user: auth.username });
        else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-doctor-'));
    const base = { SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_DB: join(dir, 'x.db'), SECURE_INBOX_DATA_DIR: dir };
    const good = byName(await doctor({ ...base, SECURE_INBOX_SMTP_URL: `smtp://notices:${encodeURIComponent('p@ss word')}@127.0.0.1:${port}` })).mail!;
    expect(good.ok).toBe(true);
    const refused = byName(await doctor({ ...base, SECURE_INBOX_SMTP_URL: `smtp://notices:wrong@127.0.0.1:${port}` })).mail!;
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/AUTH PLAIN \(the user and password of SECURE_INBOX_SMTP_URL\) was answered "535/);
    // The password is never printed.
    expect(refused.detail).not.toContain('wrong');
  });

  it('fails a database that is not fully migrated, and passes one that does not exist yet in a writable folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-doctor-'));
    const stale = join(dir, 'stale.db');
    const db = openDb(stale);
    db.$client.exec('DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)');
    db.$client.close();
    const base = { SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_DATA_DIR: dir };
    const staleCheck = byName(await doctor({ ...base, SECURE_INBOX_DB: stale })).database!;
    expect(staleCheck.ok).toBe(false);
    expect(staleCheck.detail).toMatch(/of \d+ migrations applied/);
    expect(staleCheck.fix).toMatch(/migrates at start/);
    const fresh = byName(await doctor({ ...base, SECURE_INBOX_DB: join(dir, 'new', 'secure-inbox.db') })).database!;
    expect(fresh.ok).toBe(true);
    expect(fresh.detail).toMatch(/created and migrated at the first start/);
  });
});

describe('doctor on PostgreSQL (SECURE_INBOX_DATABASE_URL set)', () => {
  const databases: TestDatabase[] = [];
  afterAll(() => Promise.all(databases.map((database) => database.drop())));
  const fresh = async (options: { migrated?: boolean } = {}) => {
    const database = await createTestDatabase(options);
    databases.push(database);
    return database;
  };
  const check = async (url: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-doctor-'));
    return byName(await doctor({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_DATA_DIR: dir, SECURE_INBOX_DATABASE_URL: url }));
  };
  const migrations = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')).entries.length as number;

  it('checks the PostgreSQL store instead of the SQLite file: reachable, its version and size, migrated, unaccent installed', async () => {
    const database = await fresh();
    const found = await check(database.url);
    const address = `${new URL(database.url).hostname}:${new URL(database.url).port || 5432}`;
    expect(found.database).toMatchObject({ ok: true });
    expect(found.database!.detail).toMatch(
      new RegExp(
        `^PostgreSQL at ${address.replace(/\./g, '\\.')}, database "${database.name}": PostgreSQL \\d+\\.\\d+.*, \\d+ [kMG]?B; migrated \\(${migrations} migrations\\)$`,
      ),
    );
    expect(found.database!.detail).not.toMatch(/\.db\b/);
    expect(found['search extension']).toMatchObject({ ok: true, detail: expect.stringMatching(/^unaccent [\d.]+ is installed/) });
  });

  it('passes an empty database (the first start migrates it), and fails one missing the latest migration, naming what to run', async () => {
    const empty = await check((await fresh({ migrated: false })).url);
    expect(empty.database).toMatchObject({ ok: true, detail: expect.stringMatching(/not migrated yet: the first start migrates it/) });
    expect(empty['search extension']).toMatchObject({ ok: true, detail: expect.stringMatching(/is available; the first migration creates it/) });

    const stale = await fresh();
    const client = new pg.Client({ connectionString: stale.url });
    await client.connect();
    await client.query('DELETE FROM drizzle.__drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM drizzle.__drizzle_migrations)');
    await client.end();
    const found = (await check(stale.url)).database!;
    expect(found.ok).toBe(false);
    expect(found.detail).toMatch(new RegExp(`; ${migrations - 1} of ${migrations} migrations applied$`));
    expect(found.fix).toMatch(/secure-inbox migrate/);
  });

  it('fails a PostgreSQL that does not answer, or a URL that is not one, naming the variable', async () => {
    const port = await freePort();
    const unreachable = (await check(`postgres://postgres:secret-password@127.0.0.1:${port}/inbox`)).database!;
    expect(unreachable.ok).toBe(false);
    expect(unreachable.detail).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port}, database "inbox": ECONNREFUSED`));
    expect(unreachable.detail).not.toContain('secret-password');
    expect(unreachable.fix).toMatch(/SECURE_INBOX_DATABASE_URL/);
    const notOne = (await check('mysql://db/inbox')).database!;
    expect(notOne).toMatchObject({ ok: false, detail: expect.stringMatching(/^SECURE_INBOX_DATABASE_URL must start with postgres:\/\//) });
  });
});
