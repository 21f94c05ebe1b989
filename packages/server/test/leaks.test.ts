/**
 * Hidden notes (internal notes and the resolve action's note) never reach a customer: a unique word
 * written in them appears in no response a customer can get, and leaves no trace in counts, order or
 * timestamps. Staff see them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, people, postMessage, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';

const { alice, adam, sam, root } = people;
const INTERNAL_WORD = 'xylophonicquagga';
const RESOLVE_WORD = 'zanzibarbazooka';
const TIP_WORD = 'quizzicalwombat';
const secretWords = [INTERNAL_WORD, RESOLVE_WORD, TIP_WORD];

let t: TestApp;
let older: { id: string; updatedAt: string };
let newer: { id: string; updatedAt: string };
let hiddenIds: string[];
let before: { aliceMe: unknown; adamMe: unknown; aliceList: any; olderThread: any };

/** Reads a user's event stream from the start of their log for a short while. */
async function eventStream(user: TestUser, ms = 400): Promise<string | null> {
  const res = await t.app.request('/api/v1/events', { headers: { authorization: `Bearer ${await t.token(user)}`, 'last-event-id': '0' } });
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

  const internal = await postMessage(t, sam, older.id, { body: `<p>Note: ${INTERNAL_WORD} suspected</p>`, action: 'internal_note', tip: `Tip ${TIP_WORD}` });
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

  it('is seen by staff: thread, preview, order, unread', async () => {
    const thread = await t.call(sam, 'GET', `/conversations/${older.id}`);
    expect(thread.text).toContain(INTERNAL_WORD);
    expect(thread.json.messages.at(-1)).toMatchObject({ kind: 'internal_note', doNotReply: true, tip: `Tip ${TIP_WORD}` });
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
      }
    }
  });

  it('is not found by customer search, exact or prefix, while staff find it', async () => {
    for (const q of [INTERNAL_WORD, RESOLVE_WORD, 'xylo%', 'zanzibar%', 'suspected', 'handled', `older ${INTERNAL_WORD}`, `question zanz%`]) {
      expect((await t.call(alice, 'GET', `/conversations?q=${encodeURIComponent(q)}`)).json.items, q).toEqual([]);
      expect((await t.call(adam, 'GET', `/conversations?q=${encodeURIComponent(q)}`)).json.items, q).toEqual([]);
      expect((await t.call(sam, 'GET', `/conversations?q=${encodeURIComponent(q)}`)).json.items.map((i: { id: string }) => i.id), q).toEqual([older.id]);
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
    for (const word of secretWords) expect(customer).not.toContain(word);
    for (const id of hiddenIds) expect(customer).not.toContain(id);
    const staff = await eventStream(sam);
    expect(staff).toContain(hiddenIds[0]);
  });

  it('stays visible to staff and admins', async () => {
    for (const user of [sam, root]) {
      const thread = await t.call(user, 'GET', `/conversations/${older.id}`);
      for (const word of secretWords) expect(thread.text).toContain(word);
      expect(thread.json.messages.filter((m: { doNotReply: boolean }) => m.doNotReply).map((m: { id: string }) => m.id)).toEqual(hiddenIds);
    }
    expect((await t.call(sam, 'GET', '/conversations')).json.items.find((i: { id: string }) => i.id === older.id).lastMessage.preview).toContain(RESOLVE_WORD);
  });
});
