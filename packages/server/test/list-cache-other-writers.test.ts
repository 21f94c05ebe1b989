/**
 * Kept inbox pages (src/domain/list-cache.ts) after another program — an operator's sqlite3 session — writes to the
 * SQLite file: seen through SQLite's data_version (src/domain/change-versions.ts), so the pages served are again
 * what a fresh read gives within OTHER_WRITES_CHECK_MS, or THREAD_WRITES_CHECK_MS while the writer thread writes.
 * A SQLite file's matter: on PostgreSQL kept pages move with the server's own events.
 */
import Database from 'better-sqlite3';
import { ListConversationsQuery } from '@secure-inbox/protocol';
import { expect, it } from 'vitest';
import type { Identity } from '../src/auth/token.js';
import { OTHER_WRITES_CHECK_MS, THREAD_WRITES_CHECK_MS } from '../src/domain/change-versions.js';
import { folderCounts, listConversations } from '../src/domain/conversations.js';
import { makeTestApp, onWriterThread, people, type TestUser } from './helpers.js';

const identity = (user: TestUser): Identity => ({
  id: user.sub,
  name: user.name,
  email: user.email ?? null,
  role: user.role,
  accounts: user.accounts.includes('*') ? '*' : user.accounts,
});

it('are what a fresh read gives once another program has written to the database file', async () => {
  const t = makeTestApp();
  const queries: Record<string, string>[] = [{}, { status: 'open' }, { accountId: 'acme' }];
  async function checkAll(after: string) {
    for (const user of [people.alice, people.adam, people.sam, people.root]) {
      for (const q of queries) {
        const answer = await t.call(user, 'GET', `/conversations?${new URLSearchParams(q)}`);
        const fresh = await listConversations(t.db, identity(user), ListConversationsQuery.parse(q));
        expect(answer.json, `${after}: ${user.sub} ${JSON.stringify(q)}`).toEqual(JSON.parse(JSON.stringify(fresh)));
      }
      expect((await t.call(user, 'GET', '/me')).json.folders, `${after}: ${user.sub} /me`).toEqual(await folderCounts(t.db, identity(user)));
    }
  }
  const id = (await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Fence', body: 'How high may it be?' })).json.conversation
    .id as string;
  await t.call(people.sam, 'POST', `/conversations/${id}/messages`, { body: 'Two metres.', action: 'send' });
  await checkAll('before');
  await checkAll('pages kept');

  const other = new Database(t.config.dbFile);
  other.prepare('UPDATE conversations SET subject = ? WHERE id = ?').run('Fence (renamed elsewhere)', id);
  other.prepare("UPDATE conversations SET status = 'resolved' WHERE id = ?").run(id);
  other.close();
  await new Promise((resolve) => setTimeout(resolve, (onWriterThread ? THREAD_WRITES_CHECK_MS : OTHER_WRITES_CHECK_MS) + 20));
  await checkAll('a write by another connection');
  expect((await t.call(people.alice, 'GET', '/conversations')).json.items.map((i: { subject: string }) => i.subject)).toContain('Fence (renamed elsewhere)');
});
