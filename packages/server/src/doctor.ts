/**
 * `pnpm doctor` (later `secure-inbox doctor`): checks the configuration an operator gave, from the same
 * environment `serve` reads, and says for each check what is wrong and how to fix it. Nothing is changed
 * and no mail is sent: the SMTP conversation stops after MAIL FROM.
 */
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ConfigError, loadConfig, type Config } from './config.js';
import { migrationsFolder as postgresMigrations } from './store/postgres/migrate.js';
import type { DatabaseUrl } from './store/postgres/url.js';
import { firstRow } from './store/sql.js';
import * as schema from './store/sqlite/schema.js';

export interface Check {
  name: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** What to do, for a failed check. */
  fix?: string;
}

type Env = Record<string, string | undefined>;

/** Which check a configuration sentence belongs to, by the variable it names first. */
const checkOfVariable: Record<string, string> = {
  SECURE_INBOX_JWT_SECRET: 'token secret',
  SECURE_INBOX_JWT_ALGORITHMS: 'token algorithms',
  SECURE_INBOX_JWT_PUBLIC_KEY: 'token algorithms',
  SECURE_INBOX_JWT_SECRETS: 'token secret',
  SECURE_INBOX_JWT_JWKS_FILE: 'token algorithms',
  SECURE_INBOX_JWT_JWKS_URL: 'token algorithms',
  SECURE_INBOX_PUBLIC_URL: 'public URL',
  SECURE_INBOX_ALLOWED_ORIGINS: 'allowed origins',
  SECURE_INBOX_SMTP_URL: 'mail',
  SECURE_INBOX_CLAMD_URL: 'virus scan',
  SECURE_INBOX_DATABASE_URL: 'database',
};

/**
 * Parses the environment with config.ts, as `serve` does. A bad value stops that parse at the first problem;
 * to report every one, the variable it names is set aside (a stand-in for the secret, the default for the
 * rest) and the parse runs again. Returns the configuration with the bad values set aside, and the sentences.
 */
export function readConfiguration(env: Env): { config: Config; problems: Map<string, string> } {
  const given: Env = { ...env };
  const problems = new Map<string, string>();
  for (;;) {
    try {
      return { config: loadConfig(given), problems };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const variable = /\b(SECURE_INBOX_[A-Z_]+|PORT|HOST)\b/.exec(error.message)?.[1];
      if (!variable || problems.has(variable)) throw error;
      problems.set(variable, error.message);
      given[variable] = variable === 'SECURE_INBOX_JWT_SECRET' ? 'a stand-in secret for the other checks, 48 bytes long' : undefined;
    }
  }
}

const migrationsJournal = resolve(dirname(fileURLToPath(import.meta.url)), '../drizzle/meta/_journal.json');

/** The nearest folder of `path` that exists. */
function existingFolder(path: string): string {
  let folder = dirname(resolve(path));
  while (!existsSync(folder)) folder = dirname(folder);
  return folder;
}

/** Whether `folder` is a folder this process may create files in. */
function writableFolder(folder: string): boolean {
  try {
    if (!statSync(folder).isDirectory()) return false;
    accessSync(folder, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function checkDatabase(file: string): Promise<Check> {
  const name = 'database';
  const fix = 'set SECURE_INBOX_DB to a file in a folder the server may write to';
  if (!existsSync(file)) {
    const folder = existingFolder(file);
    return writableFolder(folder)
      ? { name, ok: true, detail: `${file} does not exist yet; it is created and migrated at the first start` }
      : { name, ok: false, detail: `${file} cannot be created: ${folder} is not a folder this process may write to`, fix };
  }
  if (!writableFolder(dirname(resolve(file)))) {
    return { name, ok: false, detail: `the folder of ${file} is not writable (SQLite writes its journal beside the file)`, fix };
  }
  try {
    accessSync(file, constants.W_OK);
  } catch {
    return { name, ok: false, detail: `${file} is not writable`, fix: `let the server's user write ${file}, or ${fix}` };
  }
  const entries = (JSON.parse(readFileSync(migrationsJournal, 'utf8')) as { entries: { when: number }[] }).entries;
  // Drizzle applies the migrations of the journal newer than the last one recorded in the file.
  let last: number;
  try {
    const sqlite = new Database(file, { readonly: true, fileMustExist: true });
    try {
      // The file of SECURE_INBOX_DB is a SQLite database: its catalogue (sqlite_master) says whether it was ever migrated.
      const db = drizzle(sqlite, { schema });
      const table = await firstRow(db, sql`SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'`);
      last = table ? Number((await firstRow<{ last: number | null }>(db, sql`SELECT max(created_at) AS last FROM __drizzle_migrations`))?.last ?? 0) : 0;
    } finally {
      sqlite.close();
    }
  } catch (error) {
    return { name, ok: false, detail: `${file} cannot be read as SQLite (${(error as Error).message})`, fix };
  }
  const expected = entries.length;
  const applied = entries.filter((entry) => entry.when <= last).length;
  if (applied < expected) {
    return {
      name,
      ok: false,
      detail: `${file}: ${applied} of ${expected} migrations applied`,
      fix: 'start the server once (pnpm serve migrates at start), after a backup (docs/operations.md)',
    };
  }
  return { name, ok: true, detail: `${file} is writable and migrated (${applied} migrations)` };
}

/**
 * The PostgreSQL store at SECURE_INBOX_DATABASE_URL: that it answers, its version and size, how many of this
 * version's migrations it holds (drizzle's journal in drizzle.__drizzle_migrations), and the extension search
 * needs (unaccent), installed or at least available to the first migration.
 */
async function checkPostgres(target: DatabaseUrl): Promise<Check[]> {
  const name = 'database';
  const where = `PostgreSQL at ${target.address}, database "${target.database}"`;
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const e = error as Error & { code?: string };
    return [
      {
        name,
        ok: false,
        detail: `${where}: ${e.code ? `${e.code}: ` : ''}${e.message}`,
        fix: 'check SECURE_INBOX_DATABASE_URL (host, port, user, password, database), that PostgreSQL runs, and that it lets this host in (pg_hba.conf)',
      },
    ];
  }
  try {
    const { rows } = await client.query<{
      version: string;
      size: string;
      journal: string | null;
      create: boolean;
      installed: string | null;
      available: string | null;
    }>(
      `SELECT current_setting('server_version') AS version,
              pg_size_pretty(pg_database_size(current_database())) AS size,
              to_regclass('drizzle.__drizzle_migrations')::text AS journal,
              has_database_privilege(current_database(), 'CREATE') AS "create",
              (SELECT extversion FROM pg_extension WHERE extname = 'unaccent') AS installed,
              (SELECT default_version FROM pg_available_extensions WHERE name = 'unaccent') AS available`,
    );
    const found = rows[0]!;
    const about = `${where}: PostgreSQL ${found.version}, ${found.size}`;
    const last = found.journal
      ? Number((await client.query<{ last: string | null }>('SELECT max(created_at) AS last FROM drizzle.__drizzle_migrations')).rows[0]!.last ?? 0)
      : 0;
    const entries = (JSON.parse(readFileSync(resolve(postgresMigrations, 'meta/_journal.json'), 'utf8')) as { entries: { when: number }[] }).entries;
    const applied = entries.filter((entry) => entry.when <= last).length;
    const migrations: Check =
      applied === entries.length
        ? { name, ok: true, detail: `${about}; migrated (${applied} migrations)` }
        : applied === 0 && !found.journal
          ? { name, ok: true, detail: `${about}; not migrated yet: the first start migrates it (${entries.length} migrations)` }
          : {
              name,
              ok: false,
              detail: `${about}; ${applied} of ${entries.length} migrations applied`,
              fix: 'run `secure-inbox migrate` with SECURE_INBOX_DATABASE_URL set, or start the server once (it migrates at start), after a backup (docs/operations.md)',
            };
    const search: Check = found.installed
      ? { name: 'search extension', ok: true, detail: `unaccent ${found.installed} is installed (search folds diacritics)` }
      : found.available && found.create
        ? { name: 'search extension', ok: true, detail: `unaccent ${found.available} is available; the first migration creates it` }
        : {
            name: 'search extension',
            ok: false,
            detail: found.available
              ? `unaccent is available but not installed, and this user may not create it in "${target.database}"`
              : 'unaccent, which search needs, is not available on this PostgreSQL server',
            fix: found.available
              ? `run \`CREATE EXTENSION unaccent\` in "${target.database}" as its owner, or give this user CREATE on the database`
              : "install PostgreSQL's contrib modules (the postgresql-contrib package; Debian's postgresql package includes them)",
          };
    return [migrations, search];
  } catch (error) {
    return [
      { name, ok: false, detail: `${where}: ${(error as Error).message}`, fix: 'check that the user of SECURE_INBOX_DATABASE_URL may read this database' },
    ];
  } finally {
    await client.end().catch(() => undefined);
  }
}

function checkDataDir(dir: string): Check {
  const folder = existsSync(dir) ? resolve(dir) : existingFolder(resolve(dir, 'x'));
  return writableFolder(folder)
    ? { name: 'data folder', ok: true, detail: `${dir} (uploads, mail files) is writable${existsSync(dir) ? '' : '; it is created at start'}` }
    : { name: 'data folder', ok: false, detail: `${dir} cannot be written (${folder})`, fix: 'set SECURE_INBOX_DATA_DIR to a folder the server may write to' };
}

/** The address inside `Name <address>`, or the whole value. */
const addressOf = (from: string) => /<([^>]+)>/.exec(from)?.[1] ?? from.trim();

/** Reads SMTP replies (`250-…` lines up to the `250 …` one) from a socket. */
function replies(socket: Socket) {
  let buffer = '';
  let lines: string[] = [];
  const ready: { code: number; text: string }[] = [];
  let waiting: { resolve: (reply: { code: number; text: string }) => void; reject: (error: Error) => void } | undefined;
  let failure: Error | undefined;
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end).replace(/\r$/, '');
      buffer = buffer.slice(end + 1);
      lines.push(line);
      if (!/^\d{3}-/.test(line)) {
        ready.push({ code: Number(line.slice(0, 3)), text: lines.join(' | ') });
        lines = [];
      }
    }
    if (waiting && ready.length) {
      const next = waiting;
      waiting = undefined;
      next.resolve(ready.shift()!);
    }
  };
  const onEnd = (error?: Error) => {
    failure = error ?? new Error('the server closed the connection');
    waiting?.reject(failure);
    waiting = undefined;
  };
  socket.on('data', onData);
  socket.on('error', onEnd);
  socket.on('close', () => onEnd());
  return {
    next(): Promise<{ code: number; text: string }> {
      if (ready.length) return Promise.resolve(ready.shift()!);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    stop() {
      socket.off('data', onData);
    },
  };
}

/**
 * An SMTP conversation up to MAIL FROM, then RSET and QUIT: the server is reachable, lets us in (STARTTLS and
 * AUTH PLAIN when the URL has a user) and accepts the sender. Resolves with what was found, throws with the reply.
 */
export async function smtpAcceptsSender(url: string, sender: string, timeoutMs = 10_000): Promise<string> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const secure = parsed.protocol === 'smtps:';
  const port = Number(parsed.port || (secure ? 465 : 25));
  let socket: Socket = secure ? connectTls({ host, port, servername: host }) : connectTcp({ host, port });
  const stopAfter = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  try {
    let reader = replies(socket);
    const say = async (line: string, expected: number, shown = line) => {
      socket.write(`${line}\r\n`);
      const reply = await reader.next();
      if (reply.code !== expected) throw new Error(`${shown} was answered "${reply.text}"`);
      return reply;
    };
    const greeting = await reader.next();
    if (greeting.code !== 220) throw new Error(`the greeting was "${greeting.text}"`);
    let hello = await say('EHLO secure-inbox-doctor', 250);
    if (!secure && parsed.username && /\bSTARTTLS\b/i.test(hello.text)) {
      await say('STARTTLS', 220);
      reader.stop();
      socket = connectTls({ socket, servername: host });
      reader = replies(socket);
      hello = await say('EHLO secure-inbox-doctor', 250);
    }
    if (parsed.username) {
      const plain = Buffer.from(`\0${decodeURIComponent(parsed.username)}\0${decodeURIComponent(parsed.password)}`).toString('base64');
      await say(`AUTH PLAIN ${plain}`, 235, 'AUTH PLAIN (the user and password of SECURE_INBOX_SMTP_URL)');
    }
    await say(`MAIL FROM:<${sender}>`, 250);
    await say('RSET', 250);
    socket.write('QUIT\r\n');
    return `${parsed.protocol}//${host}:${port} accepts the sender ${sender}`;
  } finally {
    clearTimeout(stopAfter);
    socket.end();
    socket.destroy();
  }
}

async function checkMail(config: Config): Promise<Check> {
  if (!config.smtpUrl) {
    return { name: 'mail', ok: true, detail: `SECURE_INBOX_SMTP_URL is not set: notices are written to files under ${config.dataDir}/outbox` };
  }
  const sender = addressOf(config.mailFrom);
  const shown = config.smtpUrl.replace(/\/\/[^@/]*@/, '//');
  try {
    return { name: 'mail', ok: true, detail: await smtpAcceptsSender(config.smtpUrl, sender) };
  } catch (error) {
    return {
      name: 'mail',
      ok: false,
      detail: `${shown}: ${(error as Error).message}`,
      fix: 'check SECURE_INBOX_SMTP_URL (host, port, user and password) and that the mail server lets SECURE_INBOX_MAIL_FROM send',
    };
  }
}

/** clamd's `zPING`: the answer is `PONG`. */
export function clamdAnswers(url: string, timeoutMs = 5_000): Promise<void> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = Number(parsed.port || 3310);
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => {
      const answer = Buffer.concat(chunks).toString('utf8').replace(/\0/g, '').trim();
      if (answer === 'PONG') resolve();
      else reject(new Error(`it answered "${answer || '(nothing)'}" to PING`));
    });
    socket.once('connect', () => socket.end('zPING\0'));
  });
}

async function checkClamd(config: Config): Promise<Check> {
  if (!config.clamdUrl) return { name: 'virus scan', ok: true, detail: 'SECURE_INBOX_CLAMD_URL is not set: uploads are not scanned' };
  try {
    await clamdAnswers(config.clamdUrl);
    return { name: 'virus scan', ok: true, detail: `clamd at ${config.clamdUrl} answers PING` };
  } catch (error) {
    return {
      name: 'virus scan',
      ok: false,
      detail: `clamd at ${config.clamdUrl}: ${(error as Error).message}`,
      fix: 'start clamd with a TCP socket (TCPSocket in clamd.conf), or correct SECURE_INBOX_CLAMD_URL',
    };
  }
}

/** Runs every check against `env`. */
export async function doctor(env: Env = process.env): Promise<Check[]> {
  let read: ReturnType<typeof readConfiguration>;
  try {
    read = readConfiguration(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [{ name: 'configuration', ok: false, detail: error.message, fix: 'set the variable it names' }];
  }
  const { config, problems } = read;
  const failed = (name: string) => [...problems].filter(([variable]) => (checkOfVariable[variable] ?? `setting ${variable}`) === name);
  const fromConfig = (name: string, ok: () => string): Check[] => {
    const found = failed(name);
    return found.length
      ? found.map(([, sentence]) => ({ name, ok: false, detail: sentence, fix: 'see docs/configuration.md' }))
      : [{ name, ok: true, detail: ok() }];
  };
  const serverOrigin = `http://${config.host}:${config.port}`;
  const portal = new URL(config.publicUrl).origin;
  const checks: Check[] = [
    ...fromConfig('token secret', () =>
      [
        config.jwt.secret ? `${config.jwt.secret.byteLength} bytes` : 'none (tokens with a kid only)',
        config.jwt.secrets.size ? `kids ${[...config.jwt.secrets.keys()].join(', ')}` : '',
        config.jwt.jwks ? `key set file with ${config.jwt.jwks.keys.length} keys` : config.jwt.jwksUrl ? `key set at ${config.jwt.jwksUrl}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    ),
    ...fromConfig('token algorithms', () =>
      [
        `${config.jwt.algorithms.join(', ')}`,
        `aud ${config.jwt.audience}`,
        config.jwt.issuer ? `iss ${config.jwt.issuer}` : 'any iss',
        `at most ${config.jwt.maxAgeSeconds} s`,
      ].join('; '),
    ),
    ...fromConfig('public URL', () => config.publicUrl),
    ...fromConfig('allowed origins', () => {
      const list = config.allowedOrigins.length ? config.allowedOrigins.join(', ') : 'none (same origin only)';
      const note =
        portal !== serverOrigin && !config.allowedOrigins.includes(portal)
          ? `; note: the portal origin ${portal} (from SECURE_INBOX_PUBLIC_URL) is not in it, so a widget there can call the API only through a proxy on its own origin`
          : '';
      return list + note;
    }),
    ...[...problems]
      .filter(([variable]) => !checkOfVariable[variable])
      .map(([variable, sentence]) => ({ name: `setting ${variable}`, ok: false, detail: sentence, fix: 'see docs/configuration.md' })),
    ...(failed('database').length
      ? failed('database').map(([, sentence]) => ({ name: 'database', ok: false, detail: sentence, fix: 'see docs/operations.md (choosing a store)' }))
      : config.database
        ? await checkPostgres(config.database)
        : [await checkDatabase(config.dbFile)]),
    checkDataDir(config.dataDir),
  ];
  const mail = failed('mail');
  checks.push(
    ...(mail.length
      ? mail.map(([, sentence]) => ({ name: 'mail', ok: false, detail: sentence, fix: 'see docs/configuration.md' }))
      : [await checkMail(config)]),
  );
  const clamd = failed('virus scan');
  checks.push(
    ...(clamd.length
      ? clamd.map(([, sentence]) => ({ name: 'virus scan', ok: false, detail: sentence, fix: 'see docs/configuration.md' }))
      : [await checkClamd(config)]),
  );
  return checks;
}

/** One line per check: `ok` or `FAIL`, what was found, and for a failure the fix. */
export function formatChecks(checks: Check[]): string {
  return checks
    .map((check) => `${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}${check.ok || !check.fix ? '' : ` — fix: ${check.fix}`}`)
    .join('\n');
}

/** Prints the checks; resolves to the exit code (1 when any failed). */
export async function runDoctor(env: Env = process.env, print: (text: string) => void = console.log): Promise<number> {
  const checks = await doctor(env);
  print(formatChecks(checks));
  const failures = checks.filter((check) => !check.ok).length;
  print(failures ? `${failures} of ${checks.length} checks failed.` : `All ${checks.length} checks passed.`);
  return failures ? 1 : 0;
}
