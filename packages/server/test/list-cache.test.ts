/**
 * Inbox pages and folder counts are kept per viewer (src/domain/list-cache.ts). Whatever happens, a page served must be
 * the page a fresh read gives at that moment: after every kind of change, every person's every page
 * is asked for again through the API and compared with listConversations run directly (and GET /me's
 * counts with folderCounts).
 */
import { ListConversationsQuery } from '@secure-inbox/protocol';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../src/auth/token.js';
import { changeVersion } from '../src/domain/change-versions.js';
import { folderCounts, listConversations } from '../src/domain/conversations.js';
import { createUserSync, writeUser } from '../src/domain/users.js';
import { makeTestApp, people, type TestUser } from './helpers.js';

const identity = (user: TestUser): Identity => ({
  id: user.sub,
  name: user.name,
  email: user.email ?? null,
  role: user.role,
  accounts: user.accounts.includes('*') ? '*' : user.accounts,
});

const queries: Record<string, string>[] = [
  {},
  { folder: 'sent' },
  { folder: 'trash' },
  { unread: 'true' },
  { sort: 'oldest' },
  { limit: '1' },
  { status: 'open' },
  { accountId: 'acme' },
];
const staffQueries: Record<string, string>[] = [{ assignee: 'me' }, { assignee: 'none' }];

describe('kept inbox pages', () => {
  it.each([
    ['kept (the default)', {}],
    ['with SECURE_INBOX_PAGE_CACHE_MB=0 (none kept)', { SECURE_INBOX_PAGE_CACHE_MB: '0' }],
  ])('are always what a fresh read gives, after every kind of change: %s', async (_, env) => {
    const t = makeTestApp(env);
    const everyone: TestUser[] = [people.alice, people.adam, people.bob, people.sam, people.gina, people.root];

    /** Every page of every person through the API, each checked against a fresh read. */
    async function checkAll(after: string, who = everyone) {
      for (const user of who) {
        const mine = user.role === 'customer' ? queries : [...queries, ...staffQueries];
        for (const q of mine) {
          const answer = await t.call(user, 'GET', `/conversations?${new URLSearchParams(q)}`);
          expect(answer.status, `${after}: ${user.sub} ${JSON.stringify(q)}`).toBe(200);
          expect(answer.headers.get('content-type')).toBe('application/json');
          const fresh = await listConversations(t.db, identity(user), ListConversationsQuery.parse(q));
          expect(answer.json, `${after}: ${user.sub} ${JSON.stringify(q)}`).toEqual(JSON.parse(JSON.stringify(fresh)));
        }
        const me = await t.call(user, 'GET', '/me');
        const counts = await folderCounts(t.db, identity(user));
        expect(me.json.folders, `${after}: ${user.sub} /me`).toEqual(counts);
        expect(me.json.unread.inbox).toBe(counts.inbox.unread);
      }
    }

    await checkAll('empty');
    const id = (await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Fence', body: 'How high may it be?' })).json.conversation
      .id as string;
    await checkAll('a new conversation');
    await checkAll('nothing changed (pages served again)');
    await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Shed', body: 'And a shed?' });
    await checkAll('a second conversation');
    await t.call(people.sam, 'POST', `/conversations/${id}/messages`, { body: 'Checking the by-law', action: 'internal_note' });
    await checkAll('a hidden note');
    await t.call(people.sam, 'POST', `/conversations/${id}/messages`, { body: 'Two metres.', action: 'send' });
    await checkAll('an answer that changes the status');
    for (const change of ['read', 'unread', 'trash', 'restore'] as const) {
      expect((await t.call(people.alice, 'POST', `/conversations/${id}/${change}`)).status).toBe(204);
      await checkAll(`alice: ${change}`);
    }
    await t.call(people.sam, 'PATCH', `/conversations/${id}`, { status: 'open', assigneeId: 'sam' });
    await checkAll('status and assignee');
    await t.call(people.sam, 'POST', `/conversations/${id}/participants`, { userIds: ['adam'] });
    await checkAll('a participant added');
    expect((await t.call(people.adam, 'POST', `/conversations/${id}/leave`)).status).toBe(204);
    await checkAll('a participant left');

    // Sam signs in under a new name: the last message's author name changes in Alice's list.
    const renamed = { ...people.sam, name: 'Samantha Staff' };
    await t.call(renamed, 'GET', '/me');
    await checkAll(
      'a name changed at sign-in',
      everyone.map((u) => (u === people.sam ? renamed : u)),
    );
    expect((await t.call(people.alice, 'GET', '/conversations')).json.items[0].lastMessage.authorName).toBe('Samantha Staff');

    // Alice's token now names a second account: her pages are hers for that token only.
    const wider = { ...people.alice, accounts: ['acme', 'globex'] };
    await checkAll('wider token', [wider]);
    await checkAll('the narrow token again', [people.alice]);

    // (A write by another program to the SQLite file: list-cache-other-writers.test.ts.)
  });

  it('never hands one viewer’s page to another asking the same question', async () => {
    const t = makeTestApp();
    await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Alice only', body: 'Private' });
    expect((await t.call(people.alice, 'GET', '/conversations')).json.items).toHaveLength(1);
    expect((await t.call(people.alice, 'GET', '/conversations')).json.items).toHaveLength(1);
    expect((await t.call(people.adam, 'GET', '/conversations')).json.items).toEqual([]);
    expect((await t.call(people.bob, 'GET', '/conversations')).json.items).toEqual([]);
    // Same id, a customer's token for another account: nothing of acme.
    expect((await t.call({ ...people.alice, accounts: ['globex'] }, 'GET', '/conversations')).json.items).toEqual([]);
  });

  it('outlive a sign-in that changes nothing others see, and expire when a name, role or account changes', async () => {
    const t = makeTestApp({}, { writerThread: false });
    await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Fence', body: 'How high may it be?' });
    // As after a start: nobody signed in since, so every first request writes its user's row again.
    const afterStart = () => createUserSync(t.db, async (user) => writeUser(t.db, user));
    const bob = () => changeVersion(t.db, people.bob.sub);
    const kept = bob();
    await afterStart()(identity(people.alice));
    expect(bob(), 'the same claims again').toBe(kept);
    await afterStart()({ ...identity(people.alice), email: 'alice@elsewhere.example', accounts: ['acme', 'acme'] });
    expect(bob(), 'another e-mail address, the same accounts').toBe(kept);

    let last = kept;
    const changes: [string, Identity][] = [
      ['a new name', { ...identity(people.alice), name: 'Alice Renamed' }],
      ['another account', { ...identity(people.alice), name: 'Alice Renamed', accounts: ['acme', 'globex'] }],
      ['an account less', { ...identity(people.alice), name: 'Alice Renamed', accounts: ['globex'] }],
      ['another role', { ...identity(people.alice), name: 'Alice Renamed', role: 'staff', accounts: ['globex'] }],
      ['a staff kind', { ...identity(people.alice), name: 'Alice Renamed', role: 'staff', accounts: ['globex'], staffKind: 'support' }],
      ['a user new to the table', { ...identity(people.gina), id: 'newcomer' }],
    ];
    for (const [what, user] of changes) {
      await afterStart()(user);
      expect(bob(), what).not.toBe(last);
      last = bob();
    }
    // And the pages served are still what a fresh read gives.
    const renamed = { ...people.alice, name: 'Alice Renamed', role: 'staff' as const, accounts: ['globex'] };
    for (const user of [people.bob, people.sam]) {
      const answer = await t.call(user, 'GET', '/conversations');
      expect(answer.json).toEqual(JSON.parse(JSON.stringify(await listConversations(t.db, identity(user), ListConversationsQuery.parse({})))));
    }
    expect((await t.call(people.sam, 'GET', '/conversations')).json.items[0].lastMessage.authorName).toBe(renamed.name);
  });
});
