/**
 * `SECURE_INBOX_DATABASE_URL`: which PostgreSQL the store uses. Unset, the server keeps its embedded SQLite
 * file; set, it must be a `postgres://` or `postgresql://` URL of a server that answers, or the server refuses to
 * start with a sentence naming the variable.
 */
import pg from 'pg';
import { ConfigError } from '../../config.js';

export const DATABASE_URL_VARIABLE = 'SECURE_INBOX_DATABASE_URL';

export interface DatabaseUrl {
  /** The URL as given, password included: only ever handed to the client. */
  url: string;
  /** `host:port`, for messages (never the password). */
  address: string;
  database: string;
}

/** The URL with its password hidden, for messages. */
function redacted(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/** Reads the variable from `env`; null when it is unset or empty (the embedded SQLite store). */
export function parseDatabaseUrl(env: NodeJS.ProcessEnv = process.env, variable = DATABASE_URL_VARIABLE): DatabaseUrl | null {
  const raw = env[variable]?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${variable} must be a URL such as postgres://user:password@host:5432/database (it is "${redacted(raw)}").`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${variable} must start with postgres:// or postgresql:// (it is "${redacted(raw)}").`);
  }
  const host = decodeURIComponent(url.hostname) || url.searchParams.get('host') || 'localhost';
  const port = url.port || '5432';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  return { url: raw, address: `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`, database };
}

/**
 * Connects once and asks `SELECT 1`, so that a wrong URL stops start-up with a sentence instead of failing the
 * first request. `timeoutMs` bounds the wait for a server that does not answer at all.
 */
export async function checkDatabase(target: DatabaseUrl, options: { timeoutMs?: number; variable?: string } = {}): Promise<void> {
  const variable = options.variable ?? DATABASE_URL_VARIABLE;
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: options.timeoutMs ?? 5_000 });
  // A connection that breaks after the check is the pool's business, not an uncaught error here.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const e = error as Error & { code?: string };
    const unreachable =
      ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'].includes(e.code ?? '') || /timeout/i.test(e.message);
    throw new ConfigError(
      unreachable
        ? `${variable}: no PostgreSQL answers at ${target.address} (${e.code ?? e.message}).`
        : `${variable}: PostgreSQL at ${target.address} refused database "${target.database}" (${e.message}).`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
