import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, people, signInAll } from './helpers.js';

describe('a customer question and a staff answer', () => {
  let t: ReturnType<typeof makeTestApp>;
  beforeEach(async () => {
    t = makeTestApp();
    await signInAll(t);
  });

  it('goes from open to answered, with hidden notes kept from the customer', async () => {
    const created = await t.call(people.alice, 'POST', '/conversations', {
      accountId: 'acme',
      subject: 'Permit question',
      body: '<p>When is my <strong>inspection</strong>?</p>',
      context: { kind: 'permit', ref: 'BP-1', title: 'Building permit', url: 'https://city.example/permits/BP-1' },
    });
    expect(created.status).toBe(201);
    const id = created.json.conversation.id;
    expect(created.json.conversation.status).toBe('open');

    expect((await t.call(people.sam, 'GET', '/me')).json.unread.inbox).toBe(1);
    const note = await t.call(people.sam, 'POST', `/conversations/${id}/messages`, { body: 'zebracorn internal', action: 'internal_note' });
    expect(note.status).toBe(201);
    expect(note.json.message.doNotReply).toBe(true);
    const sent = await t.call(people.sam, 'POST', `/conversations/${id}/messages`, { body: 'Tuesday at 9.', action: 'send', tip: 'Bring the plans' });
    expect(sent.status).toBe(201);

    const thread = await t.call(people.alice, 'GET', `/conversations/${id}`);
    expect(thread.status).toBe(200);
    expect(thread.json.conversation.status).toBe('answered');
    expect(thread.json.messages.map((m: any) => m.kind)).toEqual(['message', 'resolve_note']);
    expect(thread.text).not.toContain('zebracorn');

    const staffThread = await t.call(people.sam, 'GET', `/conversations/${id}`);
    expect(staffThread.json.messages.map((m: any) => m.kind)).toEqual(['message', 'internal_note', 'resolve_note']);

    const list = await t.call(people.alice, 'GET', '/conversations');
    expect(list.json.items).toHaveLength(1);
    expect(list.json.items[0].unreadCount).toBe(1);
    expect(list.json.items[0].lastMessage.preview).toBe('Tuesday at 9.');

    const search = await t.call(people.alice, 'GET', '/conversations?q=zebra%25');
    expect(search.json.items).toHaveLength(0);
    const staffSearch = await t.call(people.sam, 'GET', '/conversations?q=zebra%25');
    expect(staffSearch.json.items).toHaveLength(1);
    const found = await t.call(people.alice, 'GET', '/conversations?q=inspect%25');
    expect(found.json.items).toHaveLength(1);

    expect((await t.call(people.alice, 'POST', `/conversations/${id}/read`)).status).toBe(204);
    expect((await t.call(people.alice, 'GET', '/me')).json.unread.inbox).toBe(0);

    expect((await t.call(people.bob, 'GET', `/conversations/${id}`)).status).toBe(404);
    expect((await t.call(people.alice, 'GET', `/conversations/c_unknown`)).status).toBe(404);
  });
});

describe('replying to a message', () => {
  it('records the message answered, and only one the author may see in the same conversation', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const id = (await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Fence', body: 'How high may it be?' })).json.conversation
      .id;
    const other = (await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Other', body: 'Unrelated' })).json.conversation.id;
    const note = (await t.call(people.sam, 'POST', `/conversations/${id}/messages`, { body: 'Check the by-law', action: 'internal_note' })).json.message;
    const answer = (await t.call(people.sam, 'POST', `/conversations/${id}/messages`, { body: 'Two metres.', action: 'send' })).json.message;

    const reply = await t.call(people.alice, 'POST', `/conversations/${id}/messages`, { body: 'Thanks!', replyToId: answer.id });
    expect(reply.status).toBe(201);
    expect(reply.json.message.properties.replyToId).toBe(answer.id);
    const thread = await t.call(people.sam, 'GET', `/conversations/${id}`);
    expect(thread.json.messages.at(-1).properties.replyToId).toBe(answer.id);

    // A hidden note and a message of another conversation are answered the same way as an unknown id.
    const otherFirst = (await t.call(people.alice, 'GET', `/conversations/${other}`)).json.messages[0].id;
    for (const replyToId of [note.id, otherFirst, 'm_unknown']) {
      const refused = await t.call(people.alice, 'POST', `/conversations/${id}/messages`, { body: 'Hm', replyToId });
      expect(refused.status).toBe(422);
      expect(refused.json.error.details).toEqual([{ field: 'replyToId', message: 'is not a message of this conversation' }]);
    }
    expect((await t.call(people.sam, 'POST', `/conversations/${id}/messages`, { body: 'Noted', replyToId: note.id })).status).toBe(201);
  });
});

describe('folder counts in /me', () => {
  it('count each folder and its unread conversations, as the lists show them', async () => {
    const t = makeTestApp();
    await signInAll(t);
    const ask = async (subject: string) =>
      (await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject, body: 'Question' })).json.conversation.id as string;
    const a = await ask('One');
    const b = await ask('Two');
    await ask('Three');
    await t.call(people.sam, 'POST', `/conversations/${a}/messages`, { body: 'Answer', action: 'send' });
    await t.call(people.sam, 'POST', `/conversations/${b}/messages`, { body: 'Answer', action: 'send' });
    await t.call(people.sam, 'POST', `/conversations/${b}/messages`, { body: 'hidden', action: 'internal_note' });
    await t.call(people.alice, 'POST', `/conversations/${b}/trash`);

    const me = (await t.call(people.alice, 'GET', '/me')).json;
    expect(me.folders).toEqual({ inbox: { total: 2, unread: 1 }, sent: { total: 2, unread: 1 }, trash: { total: 1, unread: 1 } });
    expect(me.unread.inbox).toBe(me.folders.inbox.unread);
    for (const folder of ['inbox', 'sent', 'trash'] as const) {
      const listed = (await t.call(people.alice, 'GET', `/conversations?folder=${folder}`)).json.items;
      expect(listed.length).toBe(me.folders[folder].total);
      expect(listed.filter((i: any) => i.unreadCount > 0).length).toBe(me.folders[folder].unread);
    }
    const staff = (await t.call(people.sam, 'GET', '/me')).json;
    expect(staff.folders.sent.total).toBe(2);
    expect(staff.folders.inbox.total).toBe(3);
  });
});
