/**
 * Hidden notes (internal notes and the resolve action's note) never reach a customer: a unique word
 * written in them appears in no response a customer can get, and leaves no trace in counts, order or
 * timestamps. Nor do the staff a note mentions (their name and id). Staff see them.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, people, postMessage, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { rows as allRows } from '../src/store/sql.js';

const { alice, adam, sam, root } = people;
const INTERNAL_WORD = 'xylophonicquagga';
const RESOLVE_WORD = 'zanzibarbazooka';
const TIP_WORD = 'quizzicalwombat';
const secretWords = [INTERNAL_WORD, RESOLVE_WORD, TIP_WORD];
/**
 * Staff of the account whom the internal note mentions. The directory lists her to the account's customers, as it lists
 * all its members; that she was mentioned shows nowhere else a customer looks.
 */
const mona: TestUser = { sub: 'mentioned-mona', name: 'Mona Quillfeather', role: 'staff', accounts: ['acme'], email: 'mona@example.com' };
const mentionTraces = [mona.sub, 'Quillfeather'];

let t: TestApp;
let older: { id: string; updatedAt: string };
let newer: { id: string; updatedAt: string };
let hiddenIds: string[];
let before: { aliceMe: unknown; adamMe: unknown; aliceList: any; olderThread: any };

/** Reads a user's event stream from the start of their log for a short while. */
async function eventStream(user: TestUser, ms = 400, app: TestApp = t): Promise<string | null> {
  const res = await app.app.request('/api/v1/events', { headers: { authorization: `Bearer ${await app.token(user)}`, 'last-event-id': '0' } });
  if (res.status === 404) return null; // no event stream in this build
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), Math.max(1, deadline - Date.now())))]);
      if (chunk === null || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    await reader.cancel();
  }
  return text;
}

beforeAll(async () => {
  t = makeTestApp();
  await signInAll(t);
  expect((await t.call(mona, 'GET', '/me')).status).toBe(200);
  older = await startConversation(t, alice, { subject: 'Older question', body: 'About the fence' });
  await postMessage(t, alice, older.id, { body: 'More about the fence' });
  newer = await startConversation(t, alice, { subject: 'Newer question', body: 'About the roof' });
  for (const c of [older, newer]) {
    await t.call(alice, 'POST', `/conversations/${c.id}/participants`, { userIds: ['adam'] });
    await t.call(adam, 'POST', `/conversations/${c.id}/read`);
  }
  await t.call(sam, 'POST', `/conversations/${older.id}/read`);

  await new Promise((resolve) => setTimeout(resolve, 15)); // so a moved timestamp would show
  before = {
    aliceMe: (await t.call(alice, 'GET', '/me')).json,
    adamMe: (await t.call(adam, 'GET', '/me')).json,
    aliceList: (await t.call(alice, 'GET', '/conversations')).json,
    olderThread: (await t.call(alice, 'GET', `/conversations/${older.id}`)).json,
  };

  const internal = await postMessage(t, sam, older.id, {
    body: `<p>Note: ${INTERNAL_WORD} suspected</p>`,
    action: 'internal_note',
    tip: `Tip ${TIP_WORD}`,
    mentions: [mona.sub],
  });
  expect(internal.doNotReply).toBe(true);
  hiddenIds = [internal.id];
});

describe('an internal note', () => {
  it('is not in the customer thread, and does not move its updatedAt', async () => {
    for (const user of [alice, adam]) {
      const res = await t.call(user, 'GET', `/conversations/${older.id}`);
      expect(res.status).toBe(200);
      for (const word of secretWords) expect(res.text).not.toContain(word);
      for (const id of hiddenIds) expect(res.text).not.toContain(id);
    }
    const thread = (await t.call(alice, 'GET', `/conversations/${older.id}`)).json;
    // Same messages, same updatedAt, same participants: no trace at all.
    expect(thread).toEqual(before.olderThread);
  });

  it('changes neither order, previews, updatedAt nor counts in the customer list', async () => {
    const list = (await t.call(alice, 'GET', '/conversations')).json;
    expect(list).toEqual(before.aliceList);
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([newer.id, older.id]);
    expect((await t.call(alice, 'GET', '/me')).json).toEqual(before.aliceMe);
    expect((await t.call(adam, 'GET', '/me')).json).toEqual(before.adamMe);
  });

  it('tells the staff it mentions, and no customer: no notice, no e-mail, no event of it', async () => {
    const notices = await allRows<{ userId: string; channel: string; reason: string }>(
      t.db,
      sql`
      SELECT n.user_id AS "userId", n.channel, n.reason FROM notifications n JOIN messages m ON m.seq = n.message_seq
      WHERE m.id = ${hiddenIds[0]} ORDER BY n.user_id, n.channel`,
    );
    expect(notices).toEqual([
      { userId: mona.sub, channel: 'email', reason: 'mention' },
      { userId: mona.sub, channel: 'in_app', reason: 'mention' },
    ]);
    const customersTold = await allRows(
      t.db,
      sql`SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id
                                      WHERE u.role = 'customer' AND (n.reason = 'mention' OR n.message_seq IN (SELECT seq FROM messages WHERE do_not_reply = TRUE))`,
    );
    expect(customersTold).toEqual([]);
    const customerEvents = await allRows<{ data: string }>(t.db, sql`SELECT e.data FROM events e JOIN users u ON u.id = e.user_id WHERE u.role = 'customer'`);
    for (const { data } of customerEvents) for (const secret of [hiddenIds[0]!, mona.sub]) expect(data).not.toContain(secret);
    expect((await t.call(mona, 'GET', '/notifications')).json.items[0]).toMatchObject({ reason: 'mention', messageId: hiddenIds[0] });
  });

  it('is seen by staff: thread, preview, order, unread', async () => {
    const thread = await t.call(sam, 'GET', `/conversations/${older.id}`);
    expect(thread.text).toContain(INTERNAL_WORD);
    expect(thread.json.messages.at(-1)).toMatchObject({
      kind: 'internal_note',
      doNotReply: true,
      tip: `Tip ${TIP_WORD}`,
      mentions: [{ id: mona.sub, name: mona.name, role: 'staff' }],
    });
    // Sam writing a hidden note does not list him as a participant (customers see that list).
    expect(thread.json.conversation.participants.map((p: { id: string }) => p.id)).toEqual(['alice', 'adam']);
    const list = (await t.call(sam, 'GET', '/conversations')).json.items;
    expect(list[0].id).toBe(older.id);
    expect(list[0].lastMessage.preview).toContain(INTERNAL_WORD);
    expect(list[0].updatedAt > before.aliceList.items[1].updatedAt).toBe(true);
    expect((await t.call(root, 'GET', '/conversations')).json.items[0].lastMessage.preview).toContain(INTERNAL_WORD);
  });
});

describe('after a resolve note as well', () => {
  beforeAll(async () => {
    const resolve = await postMessage(t, sam, older.id, { body: `Closing: ${RESOLVE_WORD} handled`, action: 'resolve' });
    expect(resolve).toMatchObject({ kind: 'resolve_note', doNotReply: true });
    hiddenIds.push(resolve.id);
    // A status update on the other conversation: public, and on the Status tab.
    await postMessage(t, sam, newer.id, { body: 'Office closed Friday', action: 'status_update' });
  });

  const customerViews = async (user: TestUser) => {
    const paths = [
      `/conversations/${older.id}`,
      `/conversations/${older.id}?limit=1`,
      `/conversations/${newer.id}`,
      '/me',
      '/status-updates?accountId=acme',
      '/directory?accountId=acme',
      '/topics',
    ];
    for (const folder of ['inbox', 'sent', 'trash']) {
      paths.push(`/conversations?folder=${folder}`, `/conversations?folder=${folder}&unread=true`, `/conversations?folder=${folder}&status=resolved`);
      paths.push(`/conversations?folder=${folder}&limit=1`, `/conversations?folder=${folder}&sort=oldest`);
    }
    for (const word of [...secretWords, 'xylo%', 'zanz%', 'quizz%', 'suspected', 'handled', 'closing']) {
      paths.push(`/conversations?q=${encodeURIComponent(word)}`);
    }
    const out: { path: string; status: number; text: string }[] = [];
    for (const path of paths) {
      const res = await t.call(user, 'GET', path);
      out.push({ path, status: res.status, text: res.text });
    }
    return out;
  };

  it('appears in no response a customer can get', async () => {
    for (const user of [alice, adam]) {
      for (const { path, status, text } of await customerViews(user)) {
        expect(status, `${user.sub} ${path}`).toBe(200);
        for (const word of secretWords) expect(text, `${user.sub} ${path}`).not.toContain(word);
        for (const id of hiddenIds) expect(text, `${user.sub} ${path}`).not.toContain(id);
        if (!path.startsWith('/directory')) for (const trace of mentionTraces) expect(text, `${user.sub} ${path}`).not.toContain(trace);
      }
    }
  });

  it('is not found by customer search, exact or prefix, while staff find it', async () => {
    for (const q of [INTERNAL_WORD, RESOLVE_WORD, 'xylo%', 'zanzibar%', 'suspected', 'handled', `older ${INTERNAL_WORD}`, `question zanz%`]) {
      expect((await t.call(alice, 'GET', `/conversations?q=${encodeURIComponent(q)}`)).json.items, q).toEqual([]);
      expect((await t.call(adam, 'GET', `/conversations?q=${encodeURIComponent(q)}`)).json.items, q).toEqual([]);
      expect(
        (await t.call(sam, 'GET', `/conversations?q=${encodeURIComponent(q)}`)).json.items.map((i: { id: string }) => i.id),
        q,
      ).toEqual([older.id]);
    }
    // Words of the visible messages are still found.
    expect((await t.call(alice, 'GET', '/conversations?q=fence')).json.items.map((i: { id: string }) => i.id)).toEqual([older.id]);
  });

  it('shows the customer the status change but not the note, and counts nothing unread', async () => {
    const thread = (await t.call(alice, 'GET', `/conversations/${older.id}`)).json;
    expect(thread.conversation.status).toBe('resolved');
    expect(thread.messages.map((m: { kind: string }) => m.kind)).toEqual(['message', 'message']);
    const summary = (await t.call(alice, 'GET', '/conversations')).json.items.find((i: { id: string }) => i.id === older.id);
    expect(summary.unreadCount).toBe(0);
    expect(summary.lastMessage.preview).toBe('More about the fence');
    expect(summary.status).toBe('resolved');
    // Only the public status update on the other conversation counts.
    expect((await t.call(alice, 'GET', '/me')).json.unread.inbox).toBe(1);
    expect((await t.call(adam, 'GET', '/me')).json.unread.inbox).toBe(1);
  });

  it('keeps hidden notes off the Status tab for everyone and lists the status update', async () => {
    for (const user of [alice, sam]) {
      const items = (await t.call(user, 'GET', '/status-updates?accountId=acme')).json.items;
      expect(items.map((m: { body: string }) => m.body)).toEqual(['Office closed Friday']);
    }
  });

  it('never reaches the customer event stream', async () => {
    const customer = await eventStream(alice);
    if (customer === null) return expect(t.app.routes.some((r) => r.path === '/api/v1/events')).toBe(false);
    for (const word of [...secretWords, ...mentionTraces]) expect(customer).not.toContain(word);
    for (const id of hiddenIds) expect(customer).not.toContain(id);
    const staff = await eventStream(sam);
    expect(staff).toContain(hiddenIds[0]);
  });

  it('stays visible to staff and admins', async () => {
    for (const user of [sam, root]) {
      const thread = await t.call(user, 'GET', `/conversations/${older.id}`);
      for (const word of [...secretWords, ...mentionTraces]) expect(thread.text).toContain(word);
      expect(thread.json.messages.filter((m: { doNotReply: boolean }) => m.doNotReply).map((m: { id: string }) => m.id)).toEqual(hiddenIds);
    }
    expect((await t.call(sam, 'GET', '/conversations')).json.items.find((i: { id: string }) => i.id === older.id).lastMessage.preview).toContain(RESOLVE_WORD);
  });
});

describe('a reference to another message', () => {
  let third: { id: string };
  let note: { id: string };
  let question: { id: string };
  let answers: { reply: any; update: any; fair: any; news: any };

  beforeAll(async () => {
    third = await startConversation(t, alice, { subject: 'Third question', body: 'About the shed' });
    question = (await t.call(sam, 'GET', `/conversations/${third.id}`)).json.messages[0];
    note = await postMessage(t, sam, third.id, { body: 'Shed is fine, say yes', action: 'internal_note' });
    const send = async (body: Record<string, unknown>) => {
      const res = await t.call(sam, 'POST', `/conversations/${third.id}/messages`, body);
      expect(res.status).toBe(201);
      return res.json.message;
    };
    answers = {
      reply: await send({ body: 'Yes, go ahead', replyToId: note.id }),
      update: await send({ body: 'Sheds approved this week', action: 'status_update', replyToId: note.id }),
      fair: await send({ body: 'As you asked', replyToId: question.id }),
      news: await send({ body: 'Shed rules changed', action: 'status_update', replyToId: question.id }),
    };
  });

  it('names a hidden note to staff, in the send answer, the thread and the Status tab', async () => {
    expect(answers.reply.properties.replyToId).toBe(note.id);
    expect(answers.update.properties.replyToId).toBe(note.id);
    for (const user of [sam, root]) {
      const thread = (await t.call(user, 'GET', `/conversations/${third.id}`)).json.messages;
      expect(thread.find((m: { id: string }) => m.id === answers.reply.id).properties.replyToId).toBe(note.id);
      const tab = (await t.call(user, 'GET', '/status-updates?accountId=acme')).json.items;
      expect(tab.find((m: { id: string }) => m.id === answers.update.id).properties.replyToId).toBe(note.id);
    }
  });

  it('never names a hidden note to a customer: not in the thread, not on the Status tab, not in events', async () => {
    const thread = await t.call(alice, 'GET', `/conversations/${third.id}`);
    expect(thread.status).toBe(200);
    expect(thread.text).not.toContain(note.id);
    const reply = thread.json.messages.find((m: { id: string }) => m.id === answers.reply.id);
    expect(reply.body).toBe('Yes, go ahead');
    expect(reply.properties).toEqual({ doNotReply: false });
    for (const user of [alice, adam]) {
      const tab = await t.call(user, 'GET', '/status-updates?accountId=acme');
      expect(tab.text).not.toContain(note.id);
      expect(tab.json.items.find((m: { id: string }) => m.id === answers.update.id).properties).toEqual({ doNotReply: false });
    }
    const events = await eventStream(alice);
    if (events !== null) expect(events).not.toContain(note.id);
  });

  it('names a message the customer sees to them, and not to a member of the account outside the conversation', async () => {
    const thread = (await t.call(alice, 'GET', `/conversations/${third.id}`)).json.messages;
    expect(thread.find((m: { id: string }) => m.id === answers.fair.id).properties.replyToId).toBe(question.id);
    const aliceTab = (await t.call(alice, 'GET', '/status-updates?accountId=acme')).json.items;
    expect(aliceTab.find((m: { id: string }) => m.id === answers.news.id).properties.replyToId).toBe(question.id);
    // Adam reads the account's Status tab but takes no part in this conversation: he cannot see the question.
    const adamTab = await t.call(adam, 'GET', '/status-updates?accountId=acme');
    expect(adamTab.json.items.find((m: { id: string }) => m.id === answers.news.id).properties).toEqual({ doNotReply: false });
    expect(adamTab.text).not.toContain(question.id);
  });

  it('cannot be made by a customer to a message they may not see: the same 422 as an unknown id', async () => {
    const hidden = await t.call(alice, 'POST', `/conversations/${third.id}/messages`, { body: 'Which note?', replyToId: note.id });
    const unknown = await t.call(alice, 'POST', `/conversations/${third.id}/messages`, { body: 'Which note?', replyToId: 'm_doesnotexist0000000000000' });
    expect(hidden.status).toBe(422);
    expect(hidden.json).toEqual(unknown.json);
  });
});

describe('messages written while no customer took part', () => {
  const stan: TestUser = { sub: 'stan', name: 'Stan Second Staff', role: 'staff', accounts: ['acme'], email: 'stan@example.com' };
  const STAFF_WORDS = ['quagmirefennel', 'obsidianpelican', 'marzipanglacier'];
  let s: TestApp;
  let conv: { id: string };
  let earlier: string[];
  let earlierFile: string;
  let welcome: { id: string };
  let reply: any;

  const download = async (user: TestUser, id: string) => {
    const res = await s.app.request(`/api/v1/attachments/${id}`, { headers: { authorization: `Bearer ${await s.token(user)}` } });
    return { status: res.status, text: await res.text() };
  };
  const customerTexts = async (user: TestUser) => {
    const paths = [
      `/conversations/${conv.id}`,
      '/conversations',
      '/conversations?unread=true',
      '/conversations?sort=oldest',
      '/me',
      '/status-updates?accountId=acme',
    ];
    for (const q of [...STAFF_WORDS, 'quag%', 'staff', 'budget%', '%']) paths.push(`/conversations?q=${encodeURIComponent(q)}`);
    const out: { path: string; status: number; text: string; json: any }[] = [];
    for (const path of paths) out.push({ path, ...(await s.call(user, 'GET', path)) });
    return out;
  };

  beforeAll(async () => {
    s = makeTestApp();
    await signInAll(s);
    expect((await s.call(stan, 'GET', '/me')).status).toBe(200);
    const form = new FormData();
    form.append('file', new Blob(['budget figures\n'], { type: 'text/plain' }), 'budget.txt');
    const uploaded = await s.app.request('/api/v1/attachments', { method: 'POST', body: form, headers: { authorization: `Bearer ${await s.token(sam)}` } });
    earlierFile = (await uploaded.json()).attachment.id;

    conv = await startConversation(s, sam, {
      subject: 'Staff budget',
      body: `Between us: ${STAFF_WORDS[0]}`,
      recipientIds: ['stan'],
      attachmentIds: [earlierFile],
    });
    const first = (await s.call(sam, 'GET', `/conversations/${conv.id}`)).json.messages[0];
    const second = await postMessage(s, stan, conv.id, { body: `Agreed, ${STAFF_WORDS[1]}` });
    const third = await postMessage(s, sam, conv.id, { body: `Staff news: ${STAFF_WORDS[2]}`, action: 'status_update' });
    earlier = [first.id, second.id, third.id];

    expect((await s.call(sam, 'POST', `/conversations/${conv.id}/participants`, { userIds: ['alice'] })).status).toBe(200);
  });

  it('are none of what a customer added later can get: thread, list, search, counts, Status tab, events, downloads', async () => {
    for (const { path, status, text } of await customerTexts(alice)) {
      expect(status, path).toBe(200);
      for (const word of STAFF_WORDS) expect(text, path).not.toContain(word);
      for (const id of [...earlier, earlierFile]) expect(text, path).not.toContain(id);
    }
    const thread = (await s.call(alice, 'GET', `/conversations/${conv.id}`)).json;
    expect(thread.messages).toEqual([]);
    // Not even when it began: to her, the conversation starts when she was added.
    const began = (await s.call(stan, 'GET', `/conversations/${conv.id}`)).json.conversation.createdAt;
    expect(thread.conversation.createdAt > began).toBe(true);
    expect(thread.conversation.createdAt).toBe(thread.conversation.updatedAt);
    expect(thread.conversation.participants.map((p: { id: string }) => p.id)).toContain('alice');
    const me = (await s.call(alice, 'GET', '/me')).json;
    expect(me.unread.inbox).toBe(0);
    // Counted as listed: a conversation appears once it holds a message the customer may see.
    expect((await s.call(alice, 'GET', '/conversations')).json.items).toEqual([]);
    expect(me.folders.inbox).toEqual({ total: 0, unread: 0 });
    const file = await download(alice, earlierFile);
    expect(file.status).toBe(404);
    expect(file.text).toBe((await download(alice, 'att_doesnotexist0000000000')).text);
    const events = await eventStream(alice, 400, s);
    if (events !== null) for (const id of earlier) expect(events).not.toContain(id);
  });

  it('are still there for staff', async () => {
    const thread = (await s.call(stan, 'GET', `/conversations/${conv.id}`)).json.messages;
    expect(thread.map((m: { id: string }) => m.id)).toEqual(earlier);
    expect(thread.every((m: { doNotReply: boolean }) => m.doNotReply === false)).toBe(true);
    expect((await s.call(stan, 'GET', `/conversations?q=${STAFF_WORDS[1]}`)).json.items.map((i: { id: string }) => i.id)).toEqual([conv.id]);
    expect((await download(stan, earlierFile)).status).toBe(200);
    expect((await s.call(stan, 'GET', '/status-updates?accountId=acme')).text).toContain(STAFF_WORDS[2]);
  });

  describe('once staff write again', () => {
    beforeAll(async () => {
      welcome = await postMessage(s, sam, conv.id, { body: 'Welcome, Alice' });
      const res = await s.call(stan, 'POST', `/conversations/${conv.id}/messages`, { body: 'About what we said', replyToId: earlier[0] });
      expect(res.status).toBe(201);
      reply = res.json.message;
    });

    it('shows the customer the conversation from the moment they were added, on every channel', async () => {
      const opened = (await s.call(alice, 'GET', `/conversations/${conv.id}`)).json;
      const thread = opened.messages;
      expect(thread.map((m: { id: string }) => m.id)).toEqual([welcome.id, reply.id]);
      expect(opened.conversation.createdAt).toBe(thread[0].createdAt);
      // The reference to a message from before names nothing the customer may see.
      expect(thread[1].properties).toEqual({ doNotReply: false });
      const list = (await s.call(alice, 'GET', '/conversations')).json.items;
      expect(list.map((i: { id: string }) => i.id)).toEqual([conv.id]);
      expect(list[0].lastMessage.preview).toBe('About what we said');
      expect(list[0].unreadCount).toBe(2);
      expect((await s.call(alice, 'GET', '/me')).json.unread.inbox).toBe(1);
      expect((await s.call(alice, 'GET', '/me')).json.folders.inbox).toEqual({ total: 1, unread: 1 });
      expect((await s.call(alice, 'GET', '/conversations?q=welcome')).json.items.map((i: { id: string }) => i.id)).toEqual([conv.id]);
      for (const { path, text } of await customerTexts(alice)) {
        for (const word of STAFF_WORDS) expect(text, path).not.toContain(word);
        for (const id of [...earlier, earlierFile]) expect(text, path).not.toContain(id);
      }
      const events = await eventStream(alice, 400, s);
      if (events !== null) {
        expect(events).toContain(welcome.id);
        for (const id of earlier) expect(events).not.toContain(id);
      }
      expect(reply.properties.replyToId).toBe(earlier[0]);
    });

    it('e-mails the customer about the later messages only', async () => {
      const noticed = await allRows<{ id: string }>(
        s.db,
        sql`SELECT DISTINCT m.id, m.seq FROM notifications n JOIN messages m ON m.seq = n.message_seq
                                                   WHERE n.user_id = 'alice' AND n.channel = 'email' ORDER BY m.seq`,
      );
      expect(noticed.map((r) => r.id)).toEqual([welcome.id, reply.id]);
    });
  });
});
