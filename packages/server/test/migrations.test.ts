/**
 * A database written before messages carried `staff_only` (migration 0004) is migrated so that what
 * staff wrote among themselves stays with staff once a customer is added, while conversations a
 * customer already took part in keep showing that customer everything they saw before.
 */
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchScopeTokens } from '../src/store/sqlite/search.js';
import { makeTestApp, people } from './helpers.js';

const drizzleDir = resolve(import.meta.dirname, '../drizzle');

/** A migrations folder holding only the migrations before `idx`, as a server of that time shipped them. */
function migrationsBefore(idx: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-migrations-'));
  mkdirSync(join(dir, 'meta'));
  const journal = JSON.parse(readFileSync(join(drizzleDir, 'meta/_journal.json'), 'utf8'));
  journal.entries = journal.entries.filter((e: { idx: number }) => e.idx < idx);
  writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify(journal));
  for (const file of readdirSync(drizzleDir).filter((f) => f.endsWith('.sql') && Number(f.slice(0, 4)) < idx))
    copyFileSync(join(drizzleDir, file), join(dir, file));
  return dir;
}

/** Writes two conversations the way the server wrote them before 0004: one among staff, one with Alice. */
function writeOldDatabase(file: string) {
  const sqlite = new Database(file);
  migrate(drizzle(sqlite), { migrationsFolder: migrationsBefore(4) });
  const at = '2026-01-05T10:00:00.000Z';
  sqlite.exec(`INSERT INTO accounts (id) VALUES ('acme');
    INSERT INTO users (id, name, role) VALUES ('sam', 'Sam Staff', 'staff'), ('stan', 'Stan Staff', 'staff'), ('alice', 'Alice Applicant', 'customer');
    INSERT INTO memberships (user_id, account_id) VALUES ('sam', 'acme'), ('stan', 'acme'), ('alice', 'acme');`);
  const conversation = sqlite.prepare(`INSERT INTO conversations (id, account_id, subject, status, created_by, created_at, updated_at, public_updated_at)
                                       VALUES (?, 'acme', ?, 'attentive', 'sam', '${at}', '${at}', '${at}')`);
  const member = sqlite.prepare('INSERT INTO conversation_users (conversation_id, user_id, participant) VALUES (?, ?, 1)');
  const message = sqlite.prepare(`INSERT INTO messages (id, conversation_id, account_id, kind, body, text, author_id, created_at)
                                  VALUES (?, ?, 'acme', 'message', ?, ?, 'sam', '${at}') RETURNING seq`);
  const write = (conversationId: string, subject: string, members: string[], id: string, text: string) => {
    conversation.run(conversationId, subject);
    for (const user of members) member.run(conversationId, user);
    const { seq } = message.get(id, conversationId, `<p>${text}</p>`, text) as { seq: number };
    sqlite
      .prepare('INSERT INTO message_search (rowid, subject, body, scope) VALUES (?, ?, ?, ?)')
      .run(seq, subject, text, searchScopeTokens({ id: conversationId, accountId: 'acme' }, { hidden: false }));
    sqlite.prepare('UPDATE conversations SET last_seq = ?, last_public_seq = ?, first_seq = ? WHERE id = ?').run(seq, seq, seq, conversationId);
  };
  write('c_staffonly00000000000000000', 'Budget talk', ['sam', 'stan'], 'm_staffonly00000000000000000', 'between us vermilionotter');
  write('c_withalice00000000000000000', 'Your permit', ['sam', 'alice'], 'm_withalice00000000000000000', 'your permit saffronheron');
  sqlite.close();
}

describe('migration 0004 (staff-only messages)', () => {
  it('keeps what staff wrote among themselves from a customer added later, and what a customer saw before visible to them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-old-'));
    const file = join(dir, 'old.db');
    writeOldDatabase(file);
    const t = makeTestApp({ SECURE_INBOX_DB: file });
    const { alice, sam } = people;
    const staffOnly = 'c_staffonly00000000000000000';

    expect((await t.call(sam, 'POST', `/conversations/${staffOnly}/participants`, { userIds: ['alice'] })).status).toBe(200);
    const thread = await t.call(alice, 'GET', `/conversations/${staffOnly}`);
    expect(thread.status).toBe(200);
    expect(thread.json.messages).toEqual([]);
    expect((await t.call(alice, 'GET', '/conversations?q=vermilionotter')).json.items).toEqual([]);
    expect((await t.call(alice, 'GET', '/conversations')).json.items.map((i: { id: string }) => i.id)).toEqual(['c_withalice00000000000000000']);
    expect((await t.call(alice, 'GET', '/me')).json.unread.inbox).toBe(1);

    const kept = await t.call(alice, 'GET', '/conversations/c_withalice00000000000000000');
    expect(kept.json.messages.map((m: { id: string }) => m.id)).toEqual(['m_withalice00000000000000000']);
    expect((await t.call(alice, 'GET', '/conversations?q=saffronheron')).json.items.map((i: { id: string }) => i.id)).toEqual(['c_withalice00000000000000000']);

    // Staff still read and find both.
    expect((await t.call(sam, 'GET', `/conversations/${staffOnly}`)).json.messages.map((m: { id: string }) => m.id)).toEqual(['m_staffonly00000000000000000']);
    expect((await t.call(sam, 'GET', '/conversations?q=vermilionotter')).json.items.map((i: { id: string }) => i.id)).toEqual([staffOnly]);
  });
});

describe('migration 0010 (conversation_users.left renamed has_left)', () => {
  it('keeps who left a conversation: they still cannot open it, those who stayed still can', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-old-'));
    const file = join(dir, 'old.db');
    const sqlite = new Database(file);
    migrate(drizzle(sqlite), { migrationsFolder: migrationsBefore(10) });
    const at = '2026-01-05T10:00:00.000Z';
    const conversation = 'c_leftbefore0010000000000000';
    sqlite.exec(`INSERT INTO accounts (id) VALUES ('acme');
      INSERT INTO users (id, name, role) VALUES ('sam', 'Sam Staff', 'staff'), ('alice', 'Alice Applicant', 'customer');
      INSERT INTO memberships (user_id, account_id) VALUES ('sam', 'acme'), ('alice', 'acme');
      INSERT INTO conversations (id, account_id, subject, status, created_by, created_at, updated_at, public_updated_at)
        VALUES ('${conversation}', 'acme', 'Old permit', 'attentive', 'sam', '${at}', '${at}', '${at}');
      INSERT INTO conversation_users (conversation_id, user_id, participant, left) VALUES ('${conversation}', 'sam', 1, 0), ('${conversation}', 'alice', 0, 1);`);
    sqlite.close();

    const t = makeTestApp({ SECURE_INBOX_DB: file });
    expect(t.db.$client.prepare('SELECT user_id AS userId, has_left AS hasLeft FROM conversation_users ORDER BY user_id').all()).toEqual([
      { userId: 'alice', hasLeft: 1 },
      { userId: 'sam', hasLeft: 0 },
    ]);
    expect((await t.call(people.alice, 'GET', `/conversations/${conversation}`)).status).toBe(404);
    expect((await t.call(people.sam, 'GET', `/conversations/${conversation}`)).status).toBe(200);
  });
});
