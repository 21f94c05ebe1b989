/**
 * Moving an installation from SQLite to PostgreSQL (`secure-inbox copy-to-postgres`, docs/operations.md): every row
 * of the SQLite file and every attachment file of its data folder, copied into an empty PostgreSQL database in one
 * transaction, checked, then committed. A copy that fails, or whose counts differ, commits nothing.
 *
 * - The source is read in one read transaction (one snapshot, even if a server still writes to it), a table at a
 *   time in foreign-key order and in batches by rowid: never more than BATCH rows of a table in memory.
 * - Ids and seqs are kept; the identity sequences then start after the highest id SQLite ever gave out.
 * - The search index is built from the messages (search.ts `searchDocument`), not copied from FTS5.
 * - Attachment bytes are streamed from `<dataDir>/attachments` into the blob tables (blobs.ts `writeBlob`, which
 *   checks their SHA-256), one chunk in memory at a time.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DrizzleQueryError, getTableColumns, getTableName, is, sql, type Table } from 'drizzle-orm';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { ConfigError } from '../../config.js';
import * as sqliteSchema from '../sqlite/schema.js';
import { writeBlob } from './blobs.js';
import type { PgDb } from './db.js';
import { migratePostgres } from './migrate.js';
import * as pgSchema from './schema.js';
import { searchDocument } from './search.js';
import { checkDatabase, type DatabaseUrl } from './url.js';

/** Rows read from SQLite and inserted into PostgreSQL at once. */
const BATCH = 1000;
/** A progress line every this many rows of a table. */
const PROGRESS_EVERY = 50_000;
/** Taken for the copy's transaction: two copies into one database wait for each other, and the second refuses. */
export const COPY_LOCK = 0x5ec0_c09e;

/** The tables both stores share, parents before children. */
const TABLES = [
  [sqliteSchema.accounts, pgSchema.accounts],
  [sqliteSchema.users, pgSchema.users],
  [sqliteSchema.memberships, pgSchema.memberships],
  [sqliteSchema.topics, pgSchema.topics],
  [sqliteSchema.conversations, pgSchema.conversations],
  [sqliteSchema.conversationUsers, pgSchema.conversationUsers],
  [sqliteSchema.departures, pgSchema.departures],
  [sqliteSchema.messages, pgSchema.messages],
  [sqliteSchema.messageProperties, pgSchema.messageProperties],
  [sqliteSchema.attachments, pgSchema.attachments],
  [sqliteSchema.notifications, pgSchema.notifications],
  [sqliteSchema.events, pgSchema.events],
  [sqliteSchema.auditEvents, pgSchema.auditEvents],
  [sqliteSchema.ratings, pgSchema.ratings],
  [sqliteSchema.accountSettings, pgSchema.accountSettings],
  [sqliteSchema.topicReplyTimes, pgSchema.topicReplyTimes],
  [sqliteSchema.seenMarks, pgSchema.seenMarks],
  [sqliteSchema.savedReplies, pgSchema.savedReplies],
  [sqliteSchema.messageMentions, pgSchema.messageMentions],
] as const;

/** Tables whose key PostgreSQL numbers itself (an identity), with that key's column. */
const IDENTITIES: Record<string, string> = { departures: 'id', messages: 'seq', notifications: 'id', events: 'id', audit_events: 'id' };

/** Every table of the PostgreSQL schema, for the check that the target holds nothing. */
const PG_TABLES = (Object.values(pgSchema) as unknown[]).filter((t): t is PgTable => is(t, PgTable));

const sqliteMigrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../../drizzle');

export interface CopyOptions {
  /** The SQLite file (SECURE_INBOX_DB). */
  sqliteFile: string;
  /** The data folder (SECURE_INBOX_DATA_DIR); attachment files are under `<dataDir>/attachments`. */
  dataDir: string;
  target: DatabaseUrl;
  /** Progress and result lines. */
  log?: (line: string) => void;
}

/** One line of the check: a table (or `attachment files`), what SQLite holds and what PostgreSQL now holds. */
export interface Count {
  table: string;
  source: number;
  target: number;
  /** For `attachment files`: their bytes on disk and in PostgreSQL. */
  sourceBytes?: number;
  targetBytes?: number;
}

export interface CopyResult {
  counts: Count[];
  /** The tables whose counts differ; empty when the copy was committed. */
  differing: string[];
}

/** Why a copy did not start: a sentence for the operator. */
export class CopyRefused extends ConfigError {}

/** Opens the source read-only and checks it is a Secure Inbox database at this version's latest migration. */
function openSource(file: string): Database.Database {
  let source: Database.Database;
  try {
    source = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new CopyRefused(`SECURE_INBOX_DB: no SQLite database can be opened at ${file} (${(error as Error).message}).`);
  }
  try {
    const journal = JSON.parse(readFileSync(join(sqliteMigrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };
    const latest = journal.entries[journal.entries.length - 1]!;
    let applied: number | null;
    try {
      const db = drizzleSqlite(source);
      const hasTable = db.get(sql`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'`);
      applied = hasTable ? (db.get<{ at: number | null }>(sql`SELECT max(created_at) AS at FROM __drizzle_migrations`)?.at ?? null) : null;
    } catch (error) {
      throw new CopyRefused(`${file} is not a SQLite database (${(error as Error).message}).`);
    }
    if (applied === null) {
      throw new CopyRefused(`${file} is not a migrated Secure Inbox database (it holds no record of migrations); run \`secure-inbox migrate\` on it first.`);
    }
    if (applied < latest.when) {
      const at = journal.entries.filter((e) => e.when <= applied!).pop()?.tag ?? 'none';
      throw new CopyRefused(
        `${file} is at migration ${at}, not ${latest.tag}; run \`secure-inbox migrate\` with SECURE_INBOX_DB=${file} first (or start this version of the server on it once).`,
      );
    }
    if (applied > latest.when) {
      throw new CopyRefused(
        `${file} was migrated by a newer version of Secure Inbox than this one (its latest migration is unknown here); run copy-to-postgres of that version.`,
      );
    }
    return source;
  } catch (error) {
    source.close();
    throw error;
  }
}

/** The SQLite installation being copied, read through Drizzle like every other query. */
type SourceDb = ReturnType<typeof drizzleSqlite>;

/** The highest id SQLite gave out in `table` (sqlite_sequence remembers ids of deleted rows too). */
function highestId(from: SourceDb, table: string, column: string): number {
  const max = from.get<{ n: number }>(sql`SELECT coalesce(max(${sql.identifier(column)}), 0) AS n FROM ${sql.identifier(table)}`)!.n;
  const hasSequence = from.get(sql`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`);
  const sequence = hasSequence ? (from.get<{ seq: number }>(sql`SELECT seq FROM sqlite_sequence WHERE name = ${table}`)?.seq ?? 0) : 0;
  return Math.max(max, sequence);
}

const count = (from: SourceDb, table: string) => from.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`)!.n;

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

/**
 * Copies the SQLite installation into the PostgreSQL database `target` (migrated first) and checks the counts.
 * Throws CopyRefused (nothing written) when the source is not ready or the target already holds rows; answers
 * `differing` non-empty (nothing committed) when a count differs.
 */
export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyResult> {
  const log = options.log ?? (() => undefined);
  const source = openSource(options.sqliteFile);
  const attachmentsDir = resolve(options.dataDir, 'attachments');
  let client: pg.Client | undefined;
  try {
    await checkDatabase(options.target);
    await migratePostgres(options.target.url);
    client = new pg.Client({ connectionString: options.target.url });
    client.on('error', () => undefined);
    await client.connect();
    const target = drizzlePg({ client, schema: pgSchema });
    const from = drizzleSqlite(source);
    // One snapshot of the source for the whole copy.
    from.run(sql`BEGIN`);

    class Differs extends Error {
      constructor(readonly result: CopyResult) {
        super('counts differ');
      }
    }
    try {
      return await target.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(${COPY_LOCK})`);
        await refuseUnlessEmpty(tx, options.target);
        log(`Copying ${options.sqliteFile} and ${attachmentsDir} into PostgreSQL database "${options.target.database}" at ${options.target.address}.`);

        for (const [from_, to] of TABLES) await copyTable(from, tx, from_, to, log);
        await indexMessages(from, tx, log);
        const files = await copyAttachments(from, tx, attachmentsDir, log);
        for (const [table, column] of Object.entries(IDENTITIES)) {
          const n = highestId(from, table, column);
          await tx.execute(sql`SELECT setval(pg_get_serial_sequence(${table}, ${column}), ${Math.max(n, 1)}, ${n > 0})`);
        }

        const counts: Count[] = [];
        for (const [, to] of TABLES) {
          const table = getTableName(to);
          counts.push({ table, source: count(from, table), target: await countTarget(tx, table) });
        }
        counts.push({ table: 'message_search', source: count(from, 'messages'), target: await countTarget(tx, 'message_search') });
        const [stored] = (
          await tx.execute<{ blobs: string; bytes: string }>(
            sql`SELECT (SELECT count(*) FROM attachment_blobs) AS blobs, (SELECT coalesce(sum(length(data)), 0) FROM attachment_chunks) AS bytes`,
          )
        ).rows;
        counts.push({
          table: 'attachment files',
          source: files.count,
          target: Number(stored!.blobs),
          sourceBytes: files.bytes,
          targetBytes: Number(stored!.bytes),
        });
        const differing = counts.filter((c) => c.source !== c.target || c.sourceBytes !== c.targetBytes).map((c) => c.table);
        if (differing.length > 0) throw new Differs({ counts, differing });
        return { counts, differing };
      });
    } catch (error) {
      if (error instanceof Differs) return error.result;
      throw error;
    } finally {
      from.run(sql`COMMIT`);
    }
  } finally {
    await client?.end().catch(() => undefined);
    source.close();
  }
}

/**
 * What went wrong, in a line: PostgreSQL's own message for a statement it refused, without the statement and its
 * parameters (a thousand rows of messages, which have no place on a terminal or in a log).
 */
export function reason(error: unknown): string {
  if (error instanceof DrizzleQueryError && error.cause instanceof Error) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Runs `write`, naming `table` in what it throws. */
async function writing<T>(table: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw new Error(`writing ${table} failed: ${reason(error)}`, { cause: error });
  }
}

async function countTarget(tx: Tx, table: string): Promise<number> {
  const { rows } = await tx.execute<{ n: string }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`);
  return Number(rows[0]!.n);
}

async function refuseUnlessEmpty(tx: Tx, target: DatabaseUrl): Promise<void> {
  const holding: string[] = [];
  for (const table of PG_TABLES) {
    const name = getTableName(table);
    const { rows } = await tx.execute(sql`SELECT 1 FROM ${sql.identifier(name)} LIMIT 1`);
    if (rows.length > 0) holding.push(name);
  }
  if (holding.length > 0) {
    throw new CopyRefused(
      `PostgreSQL database "${target.database}" at ${target.address} already holds rows (in ${holding.join(', ')}); ` +
        'copy-to-postgres only fills an empty database: create a new one (CREATE DATABASE) and point SECURE_INBOX_DATABASE_URL at it.',
    );
  }
}

/** Copies one table in batches by rowid, keys included. */
async function copyTable(from: SourceDb, tx: Tx, source: Table, target: Table, log: (line: string) => void): Promise<void> {
  const name = getTableName(target);
  const columns = getTableColumns(source);
  let after = 0;
  let copied = 0;
  for (;;) {
    const rows = from
      .select({ ...columns, rowid__: sql<number>`rowid` })
      .from(source)
      .where(sql`rowid > ${after}`)
      .orderBy(sql`rowid`)
      .limit(BATCH)
      .all() as Record<string, unknown>[];
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.rowid__ as number;
    for (const row of rows) delete row.rowid__;
    await writing(name, () => tx.insert(target).values(rows));
    const before = copied;
    copied += rows.length;
    if (Math.floor(copied / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) log(`${name}: ${copied} rows so far`);
  }
  log(`${name}: ${copied} rows copied`);
}

/** Writes the search document of every message, as sending it on PostgreSQL would have. */
async function indexMessages(from: SourceDb, tx: Tx, log: (line: string) => void): Promise<void> {
  const { messages, conversations } = sqliteSchema;
  let after = 0;
  let indexed = 0;
  for (;;) {
    const rows = from
      .select({
        seq: messages.seq,
        text: messages.text,
        doNotReply: messages.doNotReply,
        staffOnly: messages.staffOnly,
        conversationId: messages.conversationId,
        accountId: conversations.accountId,
        subject: conversations.subject,
      })
      .from(messages)
      .innerJoin(conversations, sql`${conversations.id} = ${messages.conversationId}`)
      .where(sql`${messages.seq} > ${after}`)
      .orderBy(messages.seq)
      .limit(BATCH)
      .all();
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.seq;
    const documents = rows.map((m) => ({
      seq: m.seq,
      // As domain/messages.ts indexes a message it inserts (hidden: domain/visibility.ts hiddenFromCustomers).
      document: searchDocument({
        subject: m.subject,
        body: m.text,
        conversationId: m.conversationId,
        accountId: m.accountId,
        hidden: m.doNotReply || m.staffOnly,
      }),
    }));
    await writing('message_search', () => tx.insert(pgSchema.messageSearch).values(documents));
    const before = indexed;
    indexed += rows.length;
    if (Math.floor(indexed / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) log(`message_search: ${indexed} messages so far`);
  }
  log(`message_search: ${indexed} messages indexed`);
}

/**
 * Streams the bytes of every stored attachment into the blob tables: each SHA-256 once, whatever number of
 * uploads share it. Bytes found infected were removed from disk (attachments/service.ts) and are not looked for.
 */
async function copyAttachments(from: SourceDb, tx: Tx, root: string, log: (line: string) => void): Promise<{ count: number; bytes: number }> {
  const next = (after: string) =>
    from.all<{ sha256: string; id: string }>(sql`
      SELECT sha256, min(id) AS id FROM attachments WHERE sha256 > ${after}
      GROUP BY sha256 HAVING max(scan_status <> 'infected') = 1 ORDER BY sha256 LIMIT ${sql.raw(String(BATCH))}`);
  let after = '';
  let count = 0;
  let bytes = 0;
  for (;;) {
    const batch = next(after);
    if (batch.length === 0) break;
    after = batch[batch.length - 1]!.sha256;
    for (const { sha256, id } of batch) {
      const file = join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
      const size = await stat(file).then(
        (s) => s.size,
        () => null,
      );
      if (size === null)
        throw new CopyRefused(`The bytes of attachment ${id} are missing: no file at ${file} (is SECURE_INBOX_DATA_DIR the installation's data folder?).`);
      const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
      try {
        // In a savepoint of the copy's transaction; a file whose bytes do not hash to its name fails the copy.
        await writing(`the bytes of attachment ${id}`, () => writeBlob(tx, sha256, stream));
      } finally {
        stream.destroy();
      }
      count += 1;
      bytes += size;
      if (count % 100 === 0) log(`attachment files: ${count} so far`);
    }
  }
  log(`attachment files: ${count} files, ${bytes} bytes copied`);
  return { count, bytes };
}
