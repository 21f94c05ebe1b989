import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { LOG_LEVELS, type LogLevel } from './ops/log.js';
import { parseDatabaseUrl, type DatabaseUrl } from './store/postgres/url.js';

/**
 * Configuration, parsed once from the environment. A bad value stops start-up with one sentence
 * that says what to set.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type NotifyMode = 'secure' | 'full';

export interface Config {
  port: number;
  host: string;
  dbFile: string;
  /** SECURE_INBOX_DATABASE_URL: the PostgreSQL store instead of the SQLite file `dbFile`; null for SQLite. */
  database: DatabaseUrl | null;
  /** `normal`: commits survive a crash of the process (kill -9); `full`: also a power cut, at a cost per write. */
  dbSynchronous: 'normal' | 'full';
  jwt: {
    /** The HMAC secret for tokens without a kid (or every HMAC token when no kids are configured). */
    secret: Uint8Array | undefined;
    /** HMAC secrets by kid (SECURE_INBOX_JWT_SECRETS). */
    secrets: Map<string, Uint8Array>;
    /** Public keys by kid, from SECURE_INBOX_JWT_JWKS_FILE. */
    jwks: JSONWebKeySet | undefined;
    /** Where the public keys are fetched from (cached), SECURE_INBOX_JWT_JWKS_URL. */
    jwksUrl: string | undefined;
    audience: string;
    issuer: string | undefined;
    algorithms: string[];
    maxAgeSeconds: number;
    publicKeyPem: string | undefined;
  };
  allowedOrigins: string[];
  publicUrl: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  notifyMode: NotifyMode;
  rateLimitPerMinute: number;
  /** Sends, new conversations and uploads per client address per minute; 0 turns it off. */
  rateLimitPerIpPerMinute: number;
  /** Failed sign-ins per client address per minute before that address gets 429; 0 turns it off. */
  authFailuresPerMinute: number;
  /** GET requests per user per minute (lists, threads, counts, event streams); 0 turns it off. */
  readRateLimitPerMinute: number;
  /** GET requests per client address per minute; 0 turns it off. */
  readRateLimitPerIpPerMinute: number;
  /** Event streams one user may hold open; past it the oldest is closed with a `stream.closed` event. */
  streamsPerUser: number;
  /** Event streams one user may open per minute (reconnects included); 0 turns it off. */
  streamOpensPerMinute: number;
  /** Event streams one client address may hold open; past it a new one gets 429. 0 turns it off. */
  streamsPerAddress: number;
  /** Take the client address from X-Forwarded-For (the entry the nearest proxy added), not from the socket. */
  trustProxy: boolean;
  maxUploadBytes: number;
  /** Bytes of uploads (sent or not) one user may hold in all. */
  uploadQuotaBytes: number;
  /** ClamAV's clamd (tcp://host:3310) that scans uploads; none means uploads are not scanned. */
  clamdUrl: string | undefined;
  mailBatchSeconds: number;
  /** Memory for inbox pages kept per viewer until something they see changes (domain/list-cache.ts); 0 keeps none. */
  pageCacheBytes: number;
  dataDir: string;
  /** Seconds a SIGTERM leaves requests in flight to finish before their connections are closed. */
  shutdownGraceSeconds: number;
  /** A directory whose e-mail templates replace the defaults (see src/notify/templates.ts). */
  mailTemplatesDir?: string;
  /** The least severe log lines written (`silent`: none). */
  logLevel: LogLevel;
  /** The bearer token `GET /metrics` asks for; none turns the metrics off. */
  metricsToken: string | undefined;
}

const HMAC = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (it is "${raw}").`);
  }
  return Number(raw);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false (it is "${env[name]}").`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL such as ${protocols[0]}//host:port (it is "${raw}").`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.join(' or ')} (it is "${raw}").`);
  }
  return raw;
}

/** The database settings alone: what `secure-inbox migrate` needs (no secret). */
export function loadDatabaseConfig(env: Env = process.env): Pick<Config, 'dbFile' | 'dbSynchronous' | 'database'> {
  const dbFile = env.SECURE_INBOX_DB?.trim() || './data/secure-inbox.db';
  const dbSynchronous = (env.SECURE_INBOX_DB_SYNCHRONOUS ?? 'normal').trim().toLowerCase();
  if (dbSynchronous !== 'normal' && dbSynchronous !== 'full') {
    throw new ConfigError(`SECURE_INBOX_DB_SYNCHRONOUS must be "normal" or "full" (it is "${dbSynchronous}").`);
  }
  return { dbFile, dbSynchronous, database: parseDatabaseUrl(env) };
}

/**
 * Reads the configuration. `defaults` lets the demo supply a secret of its own; `pnpm serve` does not,
 * so it refuses to start without SECURE_INBOX_JWT_SECRET.
 */
export function loadConfig(env: Env = process.env, defaults: Partial<Env> = {}): Config {
  const e: Env = { ...defaults, ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) };

  const port = int(e, 'PORT', 8787, 0, 65535);
  const host = e.HOST?.trim() || '127.0.0.1';

  const algorithms = (e.SECURE_INBOX_JWT_ALGORITHMS ?? 'HS256')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (algorithms.length === 0) throw new ConfigError('SECURE_INBOX_JWT_ALGORITHMS must name at least one algorithm, e.g. HS256.');
  for (const alg of algorithms) {
    if (!HMAC.includes(alg) && !ASYMMETRIC.includes(alg)) {
      throw new ConfigError(`SECURE_INBOX_JWT_ALGORITHMS names "${alg}", which is not supported; use any of ${[...HMAC, ...ASYMMETRIC].join(', ')}.`);
    }
  }

  const secret = e.SECURE_INBOX_JWT_SECRET;
  if (secret && Buffer.byteLength(secret, 'utf8') < 32) {
    throw new ConfigError(`SECURE_INBOX_JWT_SECRET is ${Buffer.byteLength(secret, 'utf8')} bytes; set it to a random secret of at least 32 bytes.`);
  }
  const secrets = new Map<string, Uint8Array>();
  for (const entry of (e.SECURE_INBOX_JWT_SECRETS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const kid = colon > 0 ? entry.slice(0, colon).trim() : '';
    const value = colon > 0 ? entry.slice(colon + 1) : '';
    if (!kid || !value) {
      throw new ConfigError('SECURE_INBOX_JWT_SECRETS must be a comma-separated list of kid:secret pairs, e.g. 2026-01:<secret>,2026-02:<secret>.');
    }
    if (Buffer.byteLength(value, 'utf8') < 32) {
      throw new ConfigError(
        `SECURE_INBOX_JWT_SECRETS: the secret of kid "${kid}" is ${Buffer.byteLength(value, 'utf8')} bytes; each must be at least 32 bytes.`,
      );
    }
    if (secrets.has(kid)) throw new ConfigError(`SECURE_INBOX_JWT_SECRETS names kid "${kid}" twice; give each secret its own kid.`);
    secrets.set(kid, new TextEncoder().encode(value));
  }
  if (algorithms.some((a) => HMAC.includes(a)) && !secret && secrets.size === 0) {
    throw new ConfigError(
      'Set SECURE_INBOX_JWT_SECRET to a random secret of at least 32 bytes (for example: openssl rand -base64 48); the host site signs widget tokens with it.',
    );
  }

  const publicKeyPem = e.SECURE_INBOX_JWT_PUBLIC_KEY?.trim() || undefined;
  const jwksFile = e.SECURE_INBOX_JWT_JWKS_FILE?.trim() || undefined;
  let jwks: JSONWebKeySet | undefined;
  if (jwksFile) {
    try {
      jwks = JSON.parse(readFileSync(jwksFile, 'utf8')) as JSONWebKeySet;
    } catch (error) {
      throw new ConfigError(`SECURE_INBOX_JWT_JWKS_FILE must name a readable JSON Web Key Set file; "${jwksFile}" is not one (${(error as Error).message}).`);
    }
    if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
      throw new ConfigError(`SECURE_INBOX_JWT_JWKS_FILE must hold a JSON Web Key Set ({"keys":[…]}) with at least one key; "${jwksFile}" does not.`);
    }
  }
  const jwksUrl = url(e, 'SECURE_INBOX_JWT_JWKS_URL', ['https:', 'http:']);
  if (jwks && jwksUrl) throw new ConfigError('Set SECURE_INBOX_JWT_JWKS_FILE or SECURE_INBOX_JWT_JWKS_URL, not both.');
  if (algorithms.some((a) => ASYMMETRIC.includes(a)) && !publicKeyPem && !jwks && !jwksUrl) {
    throw new ConfigError(
      'SECURE_INBOX_JWT_ALGORITHMS names an asymmetric algorithm; set SECURE_INBOX_JWT_PUBLIC_KEY to the PEM (SPKI) public key that verifies it, or SECURE_INBOX_JWT_JWKS_FILE or SECURE_INBOX_JWT_JWKS_URL to a key set.',
    );
  }

  const origins = (e.SECURE_INBOX_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      throw new ConfigError(
        `SECURE_INBOX_ALLOWED_ORIGINS must be a comma-separated list of origins such as https://portal.example.com (no path, no trailing slash); "${origin}" is not one.`,
      );
    }
  }

  const notifyMode = (e.SECURE_INBOX_NOTIFY_MODE ?? 'secure').trim();
  if (notifyMode !== 'secure' && notifyMode !== 'full') {
    throw new ConfigError(`SECURE_INBOX_NOTIFY_MODE must be "secure" or "full" (it is "${notifyMode}").`);
  }

  const logLevel = (e.SECURE_INBOX_LOG_LEVEL ?? 'info').trim().toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`SECURE_INBOX_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (it is "${e.SECURE_INBOX_LOG_LEVEL}").`);
  }
  const metricsToken = e.SECURE_INBOX_METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && Buffer.byteLength(metricsToken, 'utf8') < 16) {
    throw new ConfigError('SECURE_INBOX_METRICS_TOKEN must be at least 16 bytes (for example: openssl rand -hex 24); Prometheus sends it as a bearer token.');
  }

  const { dbFile, dbSynchronous, database } = loadDatabaseConfig(e);
  const rateLimitPerMinute = int(e, 'SECURE_INBOX_RATE_LIMIT', 120, 0, 1_000_000);
  return {
    port,
    host,
    dbFile,
    dbSynchronous,
    database,
    jwt: {
      secret: secret ? new TextEncoder().encode(secret) : undefined,
      secrets,
      jwks,
      jwksUrl,
      audience: e.SECURE_INBOX_JWT_AUDIENCE?.trim() || 'secure-inbox',
      issuer: e.SECURE_INBOX_JWT_ISSUER?.trim() || undefined,
      algorithms,
      maxAgeSeconds: int(e, 'SECURE_INBOX_JWT_MAX_AGE', 3600, 1, 31 * 24 * 3600),
      publicKeyPem,
    },
    allowedOrigins: origins,
    publicUrl: url(e, 'SECURE_INBOX_PUBLIC_URL', ['http:', 'https:']) ?? `http://${host}:${port}`,
    smtpUrl: url(e, 'SECURE_INBOX_SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: e.SECURE_INBOX_MAIL_FROM?.trim() || 'Secure Inbox <no-reply@localhost>',
    notifyMode,
    rateLimitPerMinute,
    // SECURE_INBOX_RATE_LIMIT=0 turns every limit off unless one is set on its own.
    rateLimitPerIpPerMinute: int(e, 'SECURE_INBOX_RATE_LIMIT_IP', rateLimitPerMinute === 0 ? 0 : 600, 0, 1_000_000),
    authFailuresPerMinute: int(e, 'SECURE_INBOX_AUTH_FAILURES_PER_MINUTE', rateLimitPerMinute === 0 ? 0 : 30, 0, 1_000_000),
    readRateLimitPerMinute: int(e, 'SECURE_INBOX_READ_RATE_LIMIT', rateLimitPerMinute === 0 ? 0 : 3000, 0, 1_000_000),
    readRateLimitPerIpPerMinute: int(e, 'SECURE_INBOX_READ_RATE_LIMIT_IP', rateLimitPerMinute === 0 ? 0 : 30_000, 0, 10_000_000),
    streamsPerUser: int(e, 'SECURE_INBOX_STREAMS_PER_USER', 8, 1, 10_000),
    streamOpensPerMinute: int(e, 'SECURE_INBOX_STREAM_OPENS_PER_MINUTE', rateLimitPerMinute === 0 ? 0 : 60, 0, 1_000_000),
    streamsPerAddress: int(e, 'SECURE_INBOX_STREAMS_PER_ADDRESS', rateLimitPerMinute === 0 ? 0 : 1000, 0, 1_000_000),
    trustProxy: bool(e, 'SECURE_INBOX_TRUST_PROXY', false),
    maxUploadBytes: int(e, 'SECURE_INBOX_MAX_UPLOAD_BYTES', 26_214_400, 1, 2 ** 40),
    uploadQuotaBytes: int(e, 'SECURE_INBOX_UPLOAD_QUOTA_BYTES', 1_073_741_824, 1, 2 ** 50),
    clamdUrl: url(e, 'SECURE_INBOX_CLAMD_URL', ['tcp:']),
    mailBatchSeconds: int(e, 'SECURE_INBOX_MAIL_BATCH_SECONDS', 5, 0, 3600),
    pageCacheBytes: int(e, 'SECURE_INBOX_PAGE_CACHE_MB', 32, 0, 65_536) * 1024 * 1024,
    dataDir: e.SECURE_INBOX_DATA_DIR?.trim() || './data',
    shutdownGraceSeconds: int(e, 'SECURE_INBOX_SHUTDOWN_GRACE_SECONDS', 25, 0, 3600),
    mailTemplatesDir: e.SECURE_INBOX_MAIL_TEMPLATES?.trim() || undefined,
    logLevel,
    metricsToken,
  };
}
