/**
 * Search with many matches walks the caller's conversations in page order (domain/conversations.ts),
 * and staff search keeps their participations outside their accounts per write version. Both must
 * give exactly what visibility allows, as the plain queries below compute it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createConversation, listConversations } from '../src/domain/conversations.js';
import { noEffects, postMessage } from '../src/domain/messages.js';
import { searchScope, type Viewer } from '../src/domain/visibility.js';
import { matchingConversations } from '../src/store/sqlite/search.js';
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
function expected(word: string, who: Viewer, limit = 25): string[] {
  const customer = who.role === 'customer';
  const rows = t.db.$client
    .prepare(
      `SELECT c.id FROM conversations c
       WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.text LIKE ? ${customer ? 'AND m.do_not_reply = 0' : ''})
         AND ${customer ? `EXISTS (SELECT 1 FROM conversation_users cu WHERE cu.conversation_id = c.id AND cu.user_id = ? AND cu.participant = 1 AND cu.has_left = 0 AND cu.trashed = 0) AND c.account_id IN ('acme')` : `c.account_id IN ('acme', 'globex') AND ? IS NOT NULL`}
       ORDER BY ${customer ? 'c.last_public_seq' : 'c.last_seq'} DESC LIMIT ?`,
    )
    .all(`%${word}%`, who.id, limit) as { id: string }[];
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  t = makeTestApp();
  await signInAll(t);
  const ids: string[] = [];
  // 420 conversations whose first message holds "apple"; 304 of the older 380 also "banana" in public.
  for (let i = 0; i < 420; i++) {
    const body = `<p>apple ${i}${i < 380 && i % 5 !== 0 ? ' banana' : ''}</p>`;
    ids.push(createConversation(t.db, alice, { accountId: 'acme', subject: `Question ${i}`, body }, prepareRichText(body), noEffects).id);
  }
  // The newest 40 get "banana" in a hidden note only, and staff replies that move them up.
  for (const id of ids.slice(-40))
    postMessage(t.db, sam, id, { body: '<p>banana internal</p>', action: 'internal_note' }, prepareRichText('<p>banana internal</p>'), noEffects);
  for (const id of ids.slice(0, 30)) postMessage(t.db, sam, id, { body: '<p>a reply</p>' }, prepareRichText('<p>a reply</p>'), noEffects);
  // Messages without the words, so that the matches lie among the oldest messages.
  for (let i = 0; i < 1400; i++) postMessage(t.db, alice, ids[i % 7]!, { body: `<p>filler ${i}</p>` }, prepareRichText(`<p>filler ${i}</p>`), noEffects);
}, 120_000);

describe('search with many matching conversations', () => {
  it("walks the caller's conversations (the matches are dense)", () => {
    const match = (word: string, mayStop: boolean) => matchingConversations(t.db, [{ words: [word], prefix: false }], searchScope(alice), mayStop);
    expect(match('apple', true).complete).toBe(false);
    expect(match('apple', false).ids.length).toBe(420);
    expect(match('banana', true).complete).toBe(false);
    expect(match('banana', false).ids.length).toBe(304);
  });

  it('gives customers the newest conversations with a visible match, never one matched by a hidden note', () => {
    for (const word of ['apple', 'banana']) {
      const items = listConversations(t.db, alice, { q: word }).items.map((i) => i.id);
      expect(items, word).toEqual(expected(word, alice));
    }
    // Page 2 by cursor continues the same order.
    const first = listConversations(t.db, alice, { q: 'apple' });
    const second = listConversations(t.db, alice, { q: 'apple', cursor: first.nextCursor! });
    expect(second.items.map((i) => i.id)).toEqual(expected('apple', alice, 50).slice(25));
  });

  it('gives staff hidden-note matches as well', () => {
    for (const word of ['apple', 'banana']) {
      const items = listConversations(t.db, sam, { q: word }).items.map((i) => i.id);
      expect(items, word).toEqual(expected(word, sam));
    }
  });

  it('finds a conversation staff take part in outside their accounts as soon as they join it, and not after they leave', () => {
    const gina = viewer(people.gina);
    const bob = viewer(people.bob);
    const conv = createConversation(
      t.db,
      bob,
      { accountId: 'globex', subject: 'Kiwi', body: '<p>kiwi question</p>' },
      prepareRichText('<p>kiwi question</p>'),
      noEffects,
    );
    const samAcmeOnly: Viewer = { ...sam, accounts: ['acme'] };
    expect(listConversations(t.db, samAcmeOnly, { q: 'kiwi' }).items).toEqual([]);
    // Joined by another writer (here straight in the database): the next search sees it.
    t.db.$client.prepare('INSERT INTO conversation_users (conversation_id, user_id, participant) VALUES (?, ?, 1)').run(conv.id, 'sam');
    expect(listConversations(t.db, samAcmeOnly, { q: 'kiwi' }).items.map((i) => i.id)).toEqual([conv.id]);
    t.db.$client.prepare('UPDATE conversation_users SET participant = 0, has_left = 1 WHERE conversation_id = ? AND user_id = ?').run(conv.id, 'sam');
    expect(listConversations(t.db, samAcmeOnly, { q: 'kiwi' }).items).toEqual([]);
    expect(listConversations(t.db, gina, { q: 'kiwi' }).items.map((i) => i.id)).toEqual([conv.id]);
  });
});
