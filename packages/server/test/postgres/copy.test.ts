/**
 * `secure-inbox copy-to-postgres`, run as an operator runs it (the CLI in a process of its own, configured by the
 * environment) on a SQLite installation written through the API.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { getTableColumns, getTableName, sql } from 'drizzle-orm';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, readBlob } from '../../src/store/postgres/blobs.js';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import * as pgSchema from '../../src/store/postgres/schema.js';
import { matchingMessages } from '../../src/store/postgres/search.js';
import * as sqliteSchema from '../../src/store/sqlite/schema.js';
import { makeTestApp, people, postMessage, signInAll, startConversation, type TestApp } from '../helpers.js';
import { createTestDatabase, type TestDatabase } from './database.js';

const serverDir = join(__dirname, '../..');

/** Runs `secure-inbox copy-to-postgres` with the installation in `dir` as source and `url` as target. */
function copy(dir: string, url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, SECURE_INBOX_DB: join(dir, 'test.db'), SECURE_INBOX_DATA_DIR: dir, SECURE_INBOX_DATABASE_URL: url };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'copy-to-postgres'], { cwd: serverDir, env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The tables both stores hold, by name. */
const tables = Object.values(sqliteSchema).map((source) => {
  const name = getTableName(source);
  const target = Object.values(pgSchema).find((t) => getTableName(t) === name)!;
  return { name, source, target };
});

/** Every row of a table, as JavaScript values, in one order whatever the store. */
function sorted(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => ({ ...row })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const folders: string[] = [];
afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A folder of its own, removed after the tests. */
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-copy-'));
  folders.push(dir);
  return dir;
}

/** A copy of the installation (database file and attachments folder) to break. */
async function copyOfInstallation(t: TestApp): Promise<string> {
  const dir = folder();
  await t.db.$client.backup(join(dir, 'test.db'));
  cpSync(join(t.dir, 'attachments'), join(dir, 'attachments'), { recursive: true });
  return dir;
}

/** Rows in every table of the target, by table; empty when nothing was committed. */
async function rowsIn(db: PgDb): Promise<Record<string, number>> {
  const held: Record<string, number> = {};
  for (const table of Object.values(pgSchema)) {
    const { rows } = await db.execute<{ n: string }>(sql`SELECT count(*) AS n FROM ${table}`);
    if (Number(rows[0]!.n) > 0) held[getTableName(table)] = Number(rows[0]!.n);
  }
  return held;
}

async function upload(t: TestApp, user: (typeof people)[keyof typeof people], content: string, name: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/plain' }), name);
  const res = await t.app.request('/api/v1/attachments', { method: 'POST', body: form, headers: { authorization: `Bearer ${await t.token(user)}` } });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { attachment: { id: string } }).attachment.id;
}

describe('secure-inbox copy-to-postgres', () => {
  let t: TestApp;
  let target: TestDatabase;
  let pg: PgDb;
  const databases: TestDatabase[] = [];
  // Several 256 KiB chunks, different on every line.
  const report = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${randomBytes(16).toString('hex')}`).join('\n');
  let highestEventId = 0;

  beforeAll(async () => {
    t = makeTestApp();
    folders.push(t.dir);
    await signInAll(t);
    const reportId = await upload(t, people.alice, report, 'report.txt');
    const acme = await startConversation(t, people.alice, { subject: 'Invoice for March', body: '<p>The invoice is attached.</p>', attachmentIds: [reportId] });
    await postMessage(t, people.sam, acme.id, { body: 'Thanks, the résumé arrived.' });
    // A hidden note that mentions staff (mentions.ts).
    await postMessage(t, people.root, acme.id, { body: 'Escalate quietly, @Sam Staff.', action: 'internal_note', mentions: ['sam'] });
    await postMessage(t, people.sam, acme.id, { body: 'Office closed on Friday.', action: 'status_update', tip: 'Seen by everyone' });
    expect((await t.call(people.sam, 'POST', `/conversations/${acme.id}/participants`, { userIds: ['adam'] })).status).toBe(200);
    expect((await t.call(people.adam, 'POST', `/conversations/${acme.id}/leave`)).status).toBe(204);
    expect((await t.call(people.alice, 'POST', `/conversations/${acme.id}/trash`)).status).toBe(204);
    const globex = await startConversation(t, people.bob, { subject: 'Permit', body: '<p>Where is my permit?</p>' });
    await postMessage(t, people.gina, globex.id, { body: 'On its way.', action: 'send' });
    expect((await t.call(people.bob, 'POST', `/conversations/${globex.id}/read`)).status).toBe(204);
    // A draft never sent, and the same bytes uploaded twice (stored once).
    await upload(t, people.bob, 'draft notes', 'draft.txt');
    await upload(t, people.sam, 'draft notes', 'copy.txt');
    expect((await t.call(people.bob, 'GET', `/conversations/${acme.id}`)).status).toBe(404);
    t.db
      .insert(sqliteSchema.topics)
      .values({ id: 'billing', name: 'Billing', description: 'Invoices', defaultAssigneeId: 'sam', position: 1, accountId: 'acme' })
      .run();
    // A rating, the account's and a topic's expected reply times, and "seen" (ratings.ts, reply-times.ts, seen.ts).
    expect((await t.call(people.bob, 'PUT', `/conversations/${globex.id}/rating`, { score: 4, comment: 'Quick.' })).status).toBe(200);
    expect((await t.call(people.sam, 'PUT', '/reply-times', { accountId: 'acme', replyTime: { amount: 2, unit: 'working_days' } })).status).toBe(200);
    expect((await t.call(people.sam, 'PUT', '/reply-times', { accountId: 'acme', topicId: 'billing', replyTime: { amount: 4, unit: 'hours' } })).status).toBe(
      200,
    );
    expect((await t.call(people.gina, 'POST', `/conversations/${globex.id}/read`)).status).toBe(204);
    // A saved reply (saved-replies.ts).
    expect(
      (await t.call(people.sam, 'POST', '/saved-replies', { accountId: 'acme', title: 'Thanks', body: '<p>Thanks, {{customer.firstName}}.</p>' })).status,
    ).toBe(201);
    // An event id SQLite gave out and then removed: PostgreSQL must not give it out again.
    highestEventId = t.db.insert(sqliteSchema.events).values({ userId: 'alice', type: 'gone', data: '{}' }).returning().get().id;
    t.db
      .delete(sqliteSchema.events)
      .where(sql`id = ${highestEventId}`)
      .run();
    target = await createTestDatabase({ migrated: false });
    pg = openPostgres(target.url, { max: 2 });
  });

  afterAll(async () => {
    t?.db.$client.close();
    await pg?.$client.end();
    await target?.drop();
    for (const database of databases) await database.drop();
  });

  it('copies every row of every table, keeps ids and seqs, and prints one line per table', async () => {
    const run = await copy(t.dir, target.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^messages: 6 rows copied$/m);
    expect(run.stdout).toMatch(/^same {2}messages: 6 on SQLite, 6 in PostgreSQL$/m);
    expect(run.stdout).toMatch(/^same {2}message_search: 6 on SQLite, 6 in PostgreSQL$/m);
    expect(run.stdout).toMatch(new RegExp(`^same {2}attachment files: 2 on SQLite, 2 in PostgreSQL, ${report.length + 'draft notes'.length} bytes`, 'm'));
    for (const { name } of tables) expect(run.stdout).toMatch(new RegExp(`^same {2}${name}: `, 'm'));

    const source = drizzleSqlite(t.db.$client);
    let nonEmpty = 0;
    for (const { name, source: from, target: to } of tables) {
      const expected = sorted(source.select(getTableColumns(from)).from(from).all() as Record<string, unknown>[]);
      const actual = sorted((await pg.select(getTableColumns(to)).from(to)) as Record<string, unknown>[]);
      expect(actual, name).toEqual(expected);
      if (expected.length > 0) nonEmpty += 1;
    }
    // Every table held something to copy.
    expect(nonEmpty).toBe(tables.length);
  });

  it('streams the attachment files into PostgreSQL, bytes unchanged', async () => {
    const [row] = t.db
      .select()
      .from(sqliteSchema.attachments)
      .where(sql`name = 'report.txt'`)
      .all();
    const stream = await readBlob(pg, row!.sha256);
    const chunks: Buffer[] = [];
    for await (const chunk of stream!) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(report);
    const [blob] = await pg
      .select()
      .from(pgSchema.attachmentBlobs)
      .where(sql`sha256 = ${row!.sha256}`);
    expect(blob!.chunks).toBe(Math.ceil(report.length / CHUNK_BYTES));
  });

  it('fills the search index, hidden notes kept from customers', async () => {
    const find = (word: string, publicOnly: boolean) =>
      matchingMessages(pg, [{ words: [word], prefix: false }], { accounts: ['acme'], conversations: [], publicOnly }).then((rows) => rows.length);
    expect(await find('invoice', false)).toBe(4);
    expect(await find('resume', true)).toBe(1);
    expect(await find('escalate', false)).toBe(1);
    expect(await find('escalate', true)).toBe(0);
  });

  it('sets the identity sequences past the highest id SQLite gave out', async () => {
    const [event] = await pg.insert(pgSchema.events).values({ userId: 'alice', type: 'later', data: '{}' }).returning();
    expect(event!.id).toBe(highestEventId + 1);
    const [max] = t.db
      .select({ seq: sql<number>`max(seq)` })
      .from(sqliteSchema.messages)
      .all();
    const { rows } = await pg.execute<{ seq: string }>(sql`SELECT nextval(pg_get_serial_sequence('messages', 'seq')) AS seq`);
    expect(Number(rows[0]!.seq)).toBe(max!.seq + 1);
    await pg.execute(sql`DELETE FROM events WHERE id = ${event!.id}`);
  });

  it('refuses a second run into the database it filled, changing nothing', async () => {
    const before = await rowsIn(pg);
    const run = await copy(t.dir, target.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`PostgreSQL database "${target.name}" at 127.0.0.1:5432 already holds rows (in account_settings, accounts, `);
    expect(run.stderr).toContain(' messages, ');
    expect(run.stderr).toContain('copy-to-postgres only fills an empty database');
    expect(await rowsIn(pg)).toEqual(before);
  });

  describe('on a broken source', () => {
    let empty: TestDatabase;
    let emptyDb: PgDb;
    beforeAll(async () => {
      empty = await createTestDatabase();
      databases.push(empty);
      emptyDb = openPostgres(empty.url, { max: 1 });
    });
    afterAll(() => emptyDb.$client.end());

    it('refuses a database that misses the latest migration, naming what to run', async () => {
      const dir = await copyOfInstallation(t);
      const file = join(dir, 'test.db');
      const db = new Database(file);
      db.exec('DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)');
      db.close();
      const run = await copy(dir, empty.url);
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        `copy-to-postgres: ${file} is at migration 0012_saved_replies_mentions, not 0013_audit_repeat_key; run \`secure-inbox migrate\` with SECURE_INBOX_DB=${file} first ` +
          '(or start this version of the server on it once). No rows were written to PostgreSQL.',
      );
      expect(await rowsIn(emptyDb)).toEqual({});
    });

    it('refuses a SQLite file that is not a Secure Inbox database, and a missing file', async () => {
      const dir = folder();
      const notes = new Database(join(dir, 'test.db'));
      notes.exec('CREATE TABLE notes (body TEXT)');
      notes.close();
      const other = await copy(dir, empty.url);
      expect(other.code).toBe(1);
      expect(other.stderr).toContain('is not a migrated Secure Inbox database (it holds no record of migrations); run `secure-inbox migrate` on it first.');
      const missing = await copy(join(dir, 'nowhere'), empty.url);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`SECURE_INBOX_DB: no SQLite database can be opened at ${join(dir, 'nowhere', 'test.db')}`);
      expect(await rowsIn(emptyDb)).toEqual({});
    });

    it('rolls everything back when an attachment file does not hash to its name', async () => {
      const dir = await copyOfInstallation(t);
      const [row] = t.db
        .select()
        .from(sqliteSchema.attachments)
        .where(sql`name = 'report.txt'`)
        .all();
      writeFileSync(join(dir, 'attachments', row!.sha256.slice(0, 2), row!.sha256.slice(2, 4), row!.sha256), 'not the report');
      const run = await copy(dir, empty.url);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`writing the bytes of attachment ${row!.id} failed: The bytes stored as ${row!.sha256} hash to`);
      expect(run.stderr).toContain('The copy was rolled back: no rows were written to PostgreSQL.');
      expect(run.stdout).toMatch(/^messages: 6 rows copied$/m);
      expect(await rowsIn(emptyDb)).toEqual({});
    });

    it('says which table PostgreSQL refused and why, without the statement, and commits nothing', async () => {
      await emptyDb.execute(sql`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no status updates today'; END; $$`);
      await emptyDb.execute(sql`CREATE TRIGGER refuse BEFORE INSERT ON messages FOR EACH ROW WHEN (NEW.kind = 'status_update') EXECUTE FUNCTION refuse()`);
      const run = await copy(t.dir, empty.url);
      await emptyDb.execute(sql`DROP TRIGGER refuse ON messages`);
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        'copy-to-postgres failed: writing messages failed: no status updates today. The copy was rolled back: no rows were written to PostgreSQL.',
      );
      expect(await rowsIn(emptyDb)).toEqual({});
    });

    it('exits 1 naming the table whose count differs, committing nothing', async () => {
      // PostgreSQL drops one event as it arrives: the copy ends one row short in `events`.
      await emptyDb.execute(sql`CREATE FUNCTION drop_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$`);
      await emptyDb.execute(sql`CREATE TRIGGER drop_one BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.id = 1) EXECUTE FUNCTION drop_one()`);
      const run = await copy(t.dir, empty.url);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^DIFFERS {2}events: \d+ on SQLite, \d+ in PostgreSQL$/m);
      expect(run.stdout).toMatch(/^same {2}messages: /m);
      expect(run.stderr.trim()).toBe('copy-to-postgres: events differs between the two databases; nothing was committed.');
      expect(await rowsIn(emptyDb)).toEqual({});
    });
  });
});
