/**
 * Saved replies: staff and admins keep them per account or shared; the server fills their placeholders for a
 * conversation from what the caller may see; `/word` finds them by a word prefix; customers get none of it.
 */
import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectError, makeTestApp, people, problemFields, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { execute, rows as allRows } from '../src/store/sql.js';

const { alice, adam, bob, sam, gina, root } = people;

let t: TestApp;
beforeEach(async () => {
  t = makeTestApp();
  await signInAll(t);
});

const save = async (user: TestUser, body: Record<string, unknown>) => t.call(user, 'POST', '/saved-replies', body);
async function saved(user: TestUser, body: Record<string, unknown>) {
  const res = await save(user, body);
  if (res.status !== 201) throw new Error(`save failed: ${res.status} ${res.text}`);
  return res.json.savedReply as { id: string; accountId: string | null; title: string; body: string; placeholders: string[] };
}
const titles = async (user: TestUser, query = '') => {
  const res = await t.call(user, 'GET', `/saved-replies${query}`);
  expect(res.status, res.text).toBe(200);
  return res.json.items.map((i: { title: string }) => i.title);
};

describe('saving and listing', () => {
  it('saves a reply for an account with its placeholders, sanitized, and lists it by title', async () => {
    const res = await save(sam, {
      accountId: 'acme',
      title: '  Permit received ',
      body: '<p onclick="x()">Hello {{ customer.firstName }}, about {{conversation.subject}}.</p><script>alert(1)</script><p>{{staff.name}}</p>',
    });
    expect(res.status).toBe(201);
    expect(res.json.savedReply).toMatchObject({
      accountId: 'acme',
      title: 'Permit received',
      placeholders: ['customer.firstName', 'conversation.subject', 'staff.name'],
    });
    expect(res.json.savedReply.body).not.toMatch(/script|onclick/);
    await saved(sam, { accountId: 'acme', title: 'another one', body: 'Thanks' });
    await saved(root, { accountId: null, title: 'Closing hours', body: 'We are closed on Sundays.' });
    expect(await titles(sam)).toEqual(['another one', 'Closing hours', 'Permit received']);
    const one = await t.call(sam, 'GET', `/saved-replies/${res.json.savedReply.id}`);
    expect(one.json.savedReply).toEqual(res.json.savedReply);
  });

  it('shows staff their accounts’ replies and the shared ones; admins all; accountId narrows to one account', async () => {
    await saved(sam, { accountId: 'acme', title: 'Acme only', body: 'a' });
    await saved(gina, { accountId: 'globex', title: 'Globex only', body: 'g' });
    await saved(root, { accountId: 'initech', title: 'Initech only', body: 'i' });
    await saved(root, { accountId: null, title: 'Shared', body: 's' });
    expect(await titles(gina)).toEqual(['Globex only', 'Shared']);
    expect(await titles(sam)).toEqual(['Acme only', 'Globex only', 'Shared']);
    expect(await titles(sam, '?accountId=acme')).toEqual(['Acme only', 'Shared']);
    expect(await titles(root)).toEqual(['Acme only', 'Globex only', 'Initech only', 'Shared']);
    expectError(await t.call(gina, 'GET', '/saved-replies?accountId=acme'), 403, 'forbidden');
  });

  it('finds a word prefix of the title or the text, ignoring case and accents, never a placeholder or a word’s middle', async () => {
    await saved(sam, { accountId: 'acme', title: 'Permit received', body: 'We got your request.' });
    await saved(sam, { accountId: 'acme', title: 'Fees', body: '<p>The <b>Gebühr</b> for a permit is due.</p>' });
    await saved(sam, { accountId: 'acme', title: 'Hello', body: 'Dear {{customer.firstName}}, thanks.' });
    expect(await titles(sam, '?q=perm')).toEqual(['Fees', 'Permit received']);
    expect(await titles(sam, '?q=PERMIT')).toEqual(['Fees', 'Permit received']);
    expect(await titles(sam, '?q=gebuhr')).toEqual(['Fees']);
    expect(await titles(sam, '?q=requ')).toEqual(['Permit received']);
    expect(await titles(sam, '?q=ermit')).toEqual([]);
    expect(await titles(sam, '?q=firstname')).toEqual([]);
    for (const q of ['two%20words', 'a%25', '_', 'x'.repeat(51)]) {
      const res = await t.call(sam, 'GET', `/saved-replies?q=${q}`);
      expectError(res, 422, 'invalid');
      expect(problemFields(res)).toEqual(['q']);
    }
  });

  it('pages by cursor in title order', async () => {
    for (const title of ['e', 'd', 'c', 'b', 'a']) await saved(sam, { accountId: 'acme', title, body: title });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.call(sam, 'GET', `/saved-replies?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.json.items.map((i: { title: string }) => i.title));
      cursor = res.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(problemFields(await t.call(sam, 'GET', '/saved-replies?cursor=nonsense'))).toEqual(['cursor']);
  });
});

describe('rules', () => {
  it('names every unknown placeholder at save time, and saves nothing', async () => {
    const res = await save(sam, { accountId: 'acme', title: 'Bad', body: 'Hi {{customer.lastName}} {{ nope }} {{staff.name}} {{customer.lastName}}' });
    const error = expectError(res, 422, 'invalid');
    expect(problemFields(res)).toEqual(['body']);
    expect(error.message).toContain('{{customer.lastName}}, {{nope}}');
    expect(error.message).not.toContain('{{staff.name}},');
    const reply = await saved(sam, { accountId: 'acme', title: 'Good', body: 'Hi' });
    const patched = await t.call(sam, 'PATCH', `/saved-replies/${reply.id}`, { body: '{{conversation.id}}' });
    expect(expectError(patched, 422, 'invalid').message).toContain('{{conversation.id}}');
    expect(await titles(sam)).toEqual(['Good']);
  });

  it('bounds title and body, and the count per account and shared', async () => {
    for (const body of [
      { accountId: 'acme', title: '', body: 'x' },
      { accountId: 'acme', title: 'x'.repeat(101), body: 'x' },
      { accountId: 'acme', title: 'x', body: 'x'.repeat(5001) },
      { accountId: 'acme', title: 'x', body: 'x', extra: true },
      { title: 'x', body: 'x' },
    ]) {
      expectError(await save(sam, body), 422, 'invalid');
    }
    await execute(
      t.db,
      sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
                 INSERT INTO saved_replies (id, account_id, title, title_key, body, search_text, created_by, created_at, updated_at)
                 SELECT 'sr_fill' || i, 'acme', 'r' || i, 'r' || i, 'b', ' b ', 'sam', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM n`,
    );
    const full = await save(sam, { accountId: 'acme', title: 'One more', body: 'x' });
    expect(expectError(full, 422, 'invalid').message).toContain('at most 200');
    expect(problemFields(full)).toEqual(['accountId']);
    expect((await save(sam, { accountId: 'globex', title: 'Elsewhere', body: 'x' })).status).toBe(201);
  });

  it('lets staff manage their accounts’ replies and use the shared ones, which only admins manage', async () => {
    const shared = await saved(root, { accountId: null, title: 'Shared', body: 's' });
    expectError(await save(sam, { accountId: null, title: 'Mine for all', body: 'x' }), 403, 'forbidden');
    expectError(await t.call(sam, 'PATCH', `/saved-replies/${shared.id}`, { title: 'Changed' }), 403, 'forbidden');
    expectError(await t.call(sam, 'DELETE', `/saved-replies/${shared.id}`), 403, 'forbidden');
    expect((await t.call(sam, 'GET', `/saved-replies/${shared.id}`)).status).toBe(200);
    expectError(await save(gina, { accountId: 'acme', title: 'Not mine', body: 'x' }), 403, 'forbidden');

    const acme = await saved(sam, { accountId: 'acme', title: 'Acme', body: 'a' });
    const changed = await t.call(sam, 'PATCH', `/saved-replies/${acme.id}`, { title: 'Acme renamed', body: '<p>New {{staff.name}}</p>' });
    expect(changed.json.savedReply).toMatchObject({ title: 'Acme renamed', body: '<p>New {{staff.name}}</p>', placeholders: ['staff.name'] });
    expect(await titles(sam, '?q=renamed')).toEqual(['Acme renamed']);
    expect((await t.call(root, 'PATCH', `/saved-replies/${acme.id}`, { title: 'By the admin' })).status).toBe(200);
    expect(problemFields(await t.call(sam, 'PATCH', `/saved-replies/${acme.id}`, { title: 'x', accountId: 'globex' }))).toEqual(['accountId']);
    expect((await t.call(sam, 'DELETE', `/saved-replies/${acme.id}`)).status).toBe(204);
    expectError(await t.call(sam, 'GET', `/saved-replies/${acme.id}`), 404, 'not_found');
    expect((await t.call(root, 'DELETE', `/saved-replies/${shared.id}`)).status).toBe(204);
    const actions = await allRows<{ action: string }>(
      t.db,
      sql`SELECT action FROM audit_events WHERE action LIKE 'saved_reply.%' AND outcome = 'ok' ORDER BY id`,
    );
    expect(actions.map((a) => a.action)).toEqual([
      'saved_reply.create',
      'saved_reply.create',
      'saved_reply.update',
      'saved_reply.update',
      'saved_reply.delete',
      'saved_reply.delete',
    ]);
  });

  it('answers another account’s reply with the same 404 as an unknown id, on every route', async () => {
    const acme = await saved(sam, { accountId: 'acme', title: 'Acme', body: 'a' });
    const conv = await startConversation(t, bob);
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { title: 'x' }],
      ['DELETE', '', undefined],
      ['POST', '/render', { conversationId: conv.id }],
    ] as const) {
      const foreign = await t.call(gina, method, `/saved-replies/${acme.id}${suffix}`, body);
      const unknown = await t.call(gina, method, `/saved-replies/sr_nosuchreply0000000000${suffix}`, body);
      expectError(foreign, 404, 'not_found');
      expect(foreign.text).toBe(unknown.text);
    }
    expect(await titles(sam)).toEqual(['Acme']);
  });

  it('gives customers nothing: 403 on every route, whatever the id', async () => {
    const acme = await saved(sam, { accountId: 'acme', title: 'Acme', body: 'a' });
    const conv = await startConversation(t, alice);
    for (const user of [alice, adam]) {
      expectError(await t.call(user, 'GET', '/saved-replies'), 403, 'forbidden');
      expectError(await t.call(user, 'GET', '/saved-replies?accountId=acme&q=acme'), 403, 'forbidden');
      expectError(await save(user, { accountId: 'acme', title: 'x', body: 'x' }), 403, 'forbidden');
      for (const id of [acme.id, 'sr_nosuchreply0000000000']) {
        expectError(await t.call(user, 'GET', `/saved-replies/${id}`), 403, 'forbidden');
        expectError(await t.call(user, 'PATCH', `/saved-replies/${id}`, { title: 'x' }), 403, 'forbidden');
        expectError(await t.call(user, 'DELETE', `/saved-replies/${id}`), 403, 'forbidden');
        expectError(await t.call(user, 'POST', `/saved-replies/${id}/render`, { conversationId: conv.id }), 403, 'forbidden');
      }
    }
    expect(await titles(sam)).toEqual(['Acme']);
  });
});

describe('filling in for a conversation', () => {
  it('fills the placeholders from the conversation and the caller, as text', async () => {
    const conv = await startConversation(t, alice, { subject: 'Fence <height> & "permit"' });
    await t.call(alice, 'POST', `/conversations/${conv.id}/participants`, { userIds: ['adam'] });
    const reply = await saved(sam, {
      accountId: 'acme',
      title: 'Answer',
      body: '<p>Hello {{customer.firstName}}, about {{ conversation.subject }}.</p><p>{{staff.name}}</p>',
    });
    const res = await t.call(sam, 'POST', `/saved-replies/${reply.id}/render`, { conversationId: conv.id });
    expect(res.status).toBe(200);
    expect(res.json.rendered).toEqual({
      savedReplyId: reply.id,
      conversationId: conv.id,
      title: 'Answer',
      body: '<p>Hello Alice, about Fence &lt;height&gt; &amp; &quot;permit&quot;.</p><p>Sam Staff</p>',
      missing: [],
    });
    // The stored reply is unchanged.
    expect((await t.call(sam, 'GET', `/saved-replies/${reply.id}`)).json.savedReply.body).toBe(reply.body);
  });

  it('leaves a placeholder without a value empty and names it, when no customer takes part', async () => {
    const conv = await startConversation(t, root, { recipientIds: ['sam'], subject: 'Among staff' });
    const reply = await saved(root, { accountId: null, title: 'Hi', body: 'Hi {{customer.firstName}} from {{staff.name}}' });
    const res = await t.call(root, 'POST', `/saved-replies/${reply.id}/render`, { conversationId: conv.id });
    expect(res.json.rendered).toMatchObject({ body: 'Hi  from Ada Admin', missing: ['customer.firstName'] });
  });

  it('refuses a conversation of another account (422), and one the caller may not see (the same 404 as elsewhere)', async () => {
    const reply = await saved(sam, { accountId: 'acme', title: 'Acme', body: 'a' });
    const shared = await saved(root, { accountId: null, title: 'All', body: '{{customer.firstName}}' });
    const globex = await startConversation(t, bob);
    const wrong = await t.call(sam, 'POST', `/saved-replies/${reply.id}/render`, { conversationId: globex.id });
    expectError(wrong, 422, 'invalid');
    expect(problemFields(wrong)).toEqual(['conversationId']);
    expect((await t.call(sam, 'POST', `/saved-replies/${shared.id}/render`, { conversationId: globex.id })).json.rendered.body).toBe('Bob');
    const acme = await startConversation(t, alice);
    const foreign = await t.call(gina, 'POST', `/saved-replies/${shared.id}/render`, { conversationId: acme.id });
    const unknown = await t.call(gina, 'POST', `/saved-replies/${shared.id}/render`, { conversationId: 'c_nosuchconversation000000' });
    expectError(foreign, 404, 'not_found');
    expect(foreign.text).toBe(unknown.text);
  });
});
