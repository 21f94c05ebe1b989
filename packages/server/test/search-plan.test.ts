/**
 * How a search finds its page (domain/search.ts): the caller's conversations walked in page order and their
 * messages matched directly, up to DIRECT_READS messages, then the index with the caller's scope. Both ways must
 * give exactly what visibility allows, as the plain queries below compute it, and the same conversations; staff
 * search keeps their participations outside their accounts per write version.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createConversation, listConversations } from '../src/domain/conversations.js';
import { noEffects, postMessage } from '../src/domain/messages.js';
import { sql } from 'drizzle-orm';
import { FEW_MATCHES, SMALL_SCOPE, planSearch, type SearchPage } from '../src/domain/search.js';
import { folderCondition } from '../src/domain/conversations.js';
import { conversationVisible, lastVisibleSeq, searchScope, type Viewer } from '../src/domain/visibility.js';
import { parseSearch } from '../src/search/terms.js';
import { searchIndexOf } from '../src/store/search.js';
import { rows as allRows, execute } from '../src/store/sql.js';
import { makeTestApp, people, signInAll, type TestApp } from './helpers.js';
import { prepareRichText } from '../src/domain/rich-text.js';

const viewer = (p: (typeof people)[keyof typeof people]): Viewer => ({
  id: p.sub,
  name: p.name,
  email: 'email' in p ? p.email : null,
  role: p.role,
  accounts: p.accounts[0] === '*' ? '*' : p.accounts,
});

let t: TestApp;
const alice = viewer(people.alice);
const sam = viewer(people.sam);

/** What the caller should get for a word, by brute force: newest first, hidden notes only for staff. */
async function expected(word: string, who: Viewer, limit = 25): Promise<string[]> {
  const customer = who.role === 'customer';
  const hidden = customer ? sql`AND m.do_not_reply = FALSE` : sql``;
  const seen = customer
    ? sql`EXISTS (SELECT 1 FROM conversation_users cu WHERE cu.conversation_id = c.id AND cu.user_id = ${who.id} AND cu.participant = TRUE AND cu.has_left = FALSE AND cu.trashed = FALSE) AND c.account_id IN ('acme')`
    : sql`c.account_id IN ('acme', 'globex')`;
  const found = await allRows<{ id: string }>(
    t.db,
    sql`SELECT c.id FROM conversations c
        WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.text LIKE ${`%${word}%`} ${hidden}) AND ${seen}
        ORDER BY ${customer ? sql`c.last_public_seq` : sql`c.last_seq`} DESC LIMIT ${limit}`,
  );
  return found.map((r) => r.id);
}

beforeAll(async () => {
  t = makeTestApp();
  await signInAll(t);
  const ids: string[] = [];
  // 420 conversations whose first message holds "apple"; 304 of the older 380 also "banana" in public.
  for (let i = 0; i < 420; i++) {
    const body = `<p>apple ${i}${i < 380 && i % 5 !== 0 ? ' banana' : ''}</p>`;
    ids.push((await createConversation(t.db, alice, { accountId: 'acme', subject: `Question ${i}`, body }, prepareRichText(body), noEffects)).id);
  }
  // Conversations of 200 messages without the words, among the older ones.
  for (let i = 0; i < 1400; i++)
    await postMessage(t.db, alice, ids[100 + (i % 7)]!, { body: `<p>filler ${i}</p>` }, prepareRichText(`<p>filler ${i}</p>`), noEffects);
  // The newest 40 get "banana" in a hidden note only, and staff replies that move them up.
  for (const id of ids.slice(-40))
    await postMessage(t.db, sam, id, { body: '<p>banana internal</p>', action: 'internal_note' }, prepareRichText('<p>banana internal</p>'), noEffects);
  for (const id of ids.slice(0, 30)) await postMessage(t.db, sam, id, { body: '<p>a reply</p>' }, prepareRichText('<p>a reply</p>'), noEffects);
  // "cherry" in 1,260 messages, three in every conversation: more matches than the index is first asked for.
  for (let i = 0; i < 1260; i++)
    await postMessage(t.db, alice, ids[i % 420]!, { body: `<p>cherry ${i}</p>` }, prepareRichText(`<p>cherry ${i}</p>`), noEffects);
}, 120_000);

/** The Inbox page of `who`, newest first, wanting `wanted` rows. */
const inboxPage = (who: Viewer, wanted = 26): SearchPage => ({
  where: [conversationVisible(who), folderCondition(who, 'inbox')],
  sortKey: lastVisibleSeq(who),
  ascending: false,
  wanted,
});
const plan = (q: string, who: Viewer, wanted = 26) => planSearch(t.db, who, parseSearch(q)!, inboxPage(who, wanted), async () => []);

/** What the index finds for `who`, among the conversations they see in their Inbox (the page's own conditions). */
async function viaIndex(q: string, who: Viewer): Promise<string[]> {
  const visible = new Set(
    (
      await allRows<{ id: string }>(
        t.db,
        sql`SELECT c.id FROM conversations c LEFT JOIN conversation_users cu ON cu.conversation_id = c.id AND cu.user_id = ${who.id}
            WHERE ${conversationVisible(who)} AND ${folderCondition(who, 'inbox')}`,
      )
    ).map((r) => r.id),
  );
  return [...(await searchIndexOf(t.db).conversationsMatching(t.db, parseSearch(q)!, searchScope(who)))].filter((id) => visible.has(id)).sort();
}

describe('how a search finds its page', () => {
  it('reads nothing for a customer of an account without conversations, however common the word', async () => {
    const stranger: Viewer = { id: 'stranger', name: 'Stranger', email: null, role: 'customer', accounts: ['empty-account'] };
    for (const q of ['apple', 'banana', 'app%'])
      expect(await plan(q, stranger), q).toEqual({ via: 'direct', ids: [], scopeMessages: 0, messagesRead: 0, matchesRead: 0 });
  });

  it('matches a small scope directly, every conversation of it, with the same result as the index', async () => {
    const adam = viewer(people.adam);
    const kiwi = await createConversation(
      t.db,
      adam,
      { accountId: 'acme', subject: 'Crème brûlée', body: '<p>apple pie, E-Mail me</p>' },
      prepareRichText('<p>apple pie, E-Mail me</p>'),
      noEffects,
    );
    await postMessage(t.db, sam, kiwi.id, { body: '<p>banana note</p>', action: 'internal_note' }, prepareRichText('<p>banana note</p>'), noEffects);
    for (const q of ['apple', 'APPLE pie', 'creme', 'brûl%', 'e-mail', 'mail', 'email', 'banana', 'pie%']) {
      const found = await plan(q, adam, 10_000);
      expect(found.via, q).toBe('direct');
      expect(found.messagesRead, q).toBe(1);
      expect([...found.ids].sort(), q).toEqual(await viaIndex(q, adam));
    }
    expect((await plan('banana', adam)).ids).toEqual([]);
    expect((await plan('creme', adam)).ids).toEqual([kiwi.id]);
  });

  it("asks the index for a few matches in a larger scope, and walks the caller's conversations when there are more", async () => {
    // "filler 1399" is in one message of 1,400, in conversations of 200 messages each.
    const rare = await plan('filler 1399', sam);
    expect(rare).toMatchObject({ via: 'index', scopeMessages: SMALL_SCOPE + 1, messagesRead: 0, matchesRead: 1 });
    expect(rare.ids).toEqual(await viaIndex('filler 1399', sam));
    const apple = await plan('apple', alice);
    expect(apple).toMatchObject({ via: 'index', messagesRead: 0 });
    expect(apple.matchesRead).toBeLessThanOrEqual(FEW_MATCHES);
    // More than FEW_MATCHES: the walk stops after a page, having read a few messages of each conversation.
    const cherry = await plan('cherry', alice);
    expect(cherry).toMatchObject({ via: 'direct', matchesRead: FEW_MATCHES + 1 });
    expect(cherry.ids).toHaveLength(26);
    expect(cherry.messagesRead).toBeLessThanOrEqual(26 * 5);
    for (const who of [alice, sam]) expect((await listConversations(t.db, who, { q: 'cherry' })).items.map((i) => i.id)).toEqual(await expected('cherry', who));
  });

  it('asks the index for text it cannot match exactly as the index does, with the same result', async () => {
    const adam = viewer(people.adam);
    const greek = await createConversation(
      t.db,
      adam,
      { accountId: 'acme', subject: 'ΟΔΟΣ', body: '<p>Straße οδος</p>' },
      prepareRichText('<p>Straße οδος</p>'),
      noEffects,
    );
    const found = await plan('οδος', adam, 10_000);
    expect(found.via).toBe('index');
    expect(found.ids).toEqual([greek.id]);
    expect(await plan('straße', adam, 10_000)).toMatchObject({ via: 'index', ids: [greek.id] });
  });

  it('gives customers the newest conversations with a visible match, never one matched by a hidden note', async () => {
    for (const word of ['apple', 'banana']) {
      const items = (await listConversations(t.db, alice, { q: word })).items.map((i) => i.id);
      expect(items, word).toEqual(await expected(word, alice));
    }
    // Page 2 by cursor continues the same order.
    const first = await listConversations(t.db, alice, { q: 'apple' });
    const second = await listConversations(t.db, alice, { q: 'apple', cursor: first.nextCursor! });
    expect(second.items.map((i) => i.id)).toEqual((await expected('apple', alice, 50)).slice(25));
  });

  it('gives staff hidden-note matches as well', async () => {
    for (const word of ['apple', 'banana']) {
      const items = (await listConversations(t.db, sam, { q: word })).items.map((i) => i.id);
      expect(items, word).toEqual(await expected(word, sam));
    }
  });

  it('finds a conversation staff take part in outside their accounts as soon as they join it, and not after they leave', async () => {
    const gina = viewer(people.gina);
    const bob = viewer(people.bob);
    const conv = await createConversation(
      t.db,
      bob,
      { accountId: 'globex', subject: 'Kiwi', body: '<p>kiwi question</p>' },
      prepareRichText('<p>kiwi question</p>'),
      noEffects,
    );
    const samAcmeOnly: Viewer = { ...sam, accounts: ['acme'] };
    expect((await listConversations(t.db, samAcmeOnly, { q: 'kiwi' })).items).toEqual([]);
    // Joined by another writer (here straight in the database): the next search sees it.
    await execute(t.db, sql`INSERT INTO conversation_users (conversation_id, user_id, participant) VALUES (${conv.id}, 'sam', TRUE)`);
    expect((await listConversations(t.db, samAcmeOnly, { q: 'kiwi' })).items.map((i) => i.id)).toEqual([conv.id]);
    await execute(t.db, sql`UPDATE conversation_users SET participant = FALSE, has_left = TRUE WHERE conversation_id = ${conv.id} AND user_id = 'sam'`);
    expect((await listConversations(t.db, samAcmeOnly, { q: 'kiwi' })).items).toEqual([]);
    expect((await listConversations(t.db, gina, { q: 'kiwi' })).items.map((i) => i.id)).toEqual([conv.id]);
  });
});
