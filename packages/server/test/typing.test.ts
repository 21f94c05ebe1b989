/**
 * "<name> is writing": staff tell the other staff watching a conversation, live and ephemerally; customers never hear
 * of it, it is never stored nor replayed, and it is rate limited.
 */
import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectError, makeTestApp, people, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { rows as allRows } from '../src/store/sql.js';

const { alice, adam, bob, sam, gina, root } = people;
const stan: TestUser = { sub: 'stan', name: 'Stan Second Staff', role: 'staff', accounts: ['acme'] };

let t: TestApp;
beforeEach(async () => {
  t = makeTestApp();
  await signInAll(t);
  expect((await t.call(stan, 'GET', '/me')).status).toBe(200);
});

/** An open event stream of `user`, read until `close()`; `text()` is what arrived so far. */
async function openStream(user: TestUser, lastEventId?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${await t.token(user)}` };
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const res = await t.app.request('/api/v1/events', { headers });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const reading = (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return;
      text += decoder.decode(chunk.value, { stream: true });
    }
  })();
  // The stream has subscribed once its first line arrived.
  for (let i = 0; i < 100 && !text.includes(': connected'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    text: () => text,
    close: async () => {
      await reader.cancel();
      await reading;
      return text;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));
const typingFrames = (text: string) => text.split('\n\n').filter((frame) => frame.startsWith('event: typing'));

describe('POST /conversations/:id/typing', () => {
  it('tells the other staff and admins who see the conversation, live, without an id; not the writer, not customers', async () => {
    const c = await startConversation(t, alice, { recipientIds: ['adam'] });
    const streams = Object.fromEntries(await Promise.all([alice, adam, sam, stan, root, gina].map(async (u) => [u.sub, await openStream(u)] as const)));
    const res = await t.call(sam, 'POST', `/conversations/${c.id}/typing`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    await settle();
    const texts = Object.fromEntries(await Promise.all(Object.entries(streams).map(async ([sub, s]) => [sub, await s.close()] as const)));
    for (const sub of ['stan', 'root']) {
      const frames = typingFrames(texts[sub]!);
      expect(frames, sub).toHaveLength(1);
      const [event, data, ...rest] = frames[0]!.split('\n');
      expect(event).toBe('event: typing');
      expect(rest).toEqual([]); // no id: line, so Last-Event-ID never points at it
      expect(JSON.parse(data!.slice('data: '.length))).toEqual({
        conversationId: c.id,
        user: { id: 'sam', name: 'Sam Staff', role: 'staff' },
        expiresInSeconds: 5,
      });
    }
    // The writer, the customers and staff of other accounts hear nothing of it.
    for (const sub of ['sam', 'alice', 'adam', 'gina']) {
      expect(texts[sub], sub).not.toContain('typing');
      expect(texts[sub], sub).not.toContain('Sam Staff');
    }
  });

  it('is never stored: not in the event log, not replayed to a stream that reconnects from the start', async () => {
    const c = await startConversation(t, alice);
    const watching = await openStream(stan);
    expect((await t.call(sam, 'POST', `/conversations/${c.id}/typing`)).status).toBe(204);
    await settle();
    expect(typingFrames(await watching.close())).toHaveLength(1);
    expect(await allRows(t.db, sql`SELECT id FROM events WHERE type = 'typing' OR data LIKE '%expiresInSeconds%'`)).toEqual([]);
    const replay = await openStream(stan, '0');
    await settle();
    const text = await replay.close();
    expect(text).toContain('message.created');
    expect(text).not.toContain('typing');
  });

  it('reaches nobody without an open stream, and answers 204 all the same', async () => {
    const c = await startConversation(t, alice);
    expect((await t.call(sam, 'POST', `/conversations/${c.id}/typing`)).status).toBe(204);
    const later = await openStream(stan);
    await settle();
    expect(await later.close()).not.toContain('typing');
  });

  it('refuses customers with 403, and answers the same 404 for conversations the caller may not see', async () => {
    const c = await startConversation(t, alice);
    const watching = await openStream(sam);
    expectError(await t.call(alice, 'POST', `/conversations/${c.id}/typing`), 403, 'forbidden');
    const unknown = await t.call(gina, 'POST', '/conversations/c_nosuchconversation000000/typing');
    const foreign = await t.call(gina, 'POST', `/conversations/${c.id}/typing`);
    expectError(foreign, 404, 'not_found');
    expect(foreign.text).toBe(unknown.text);
    const other = await startConversation(t, bob);
    expectError(await t.call(stan, 'POST', `/conversations/${other.id}/typing`), 404, 'not_found');
    await settle();
    expect(await watching.close()).not.toContain('typing');
  });

  it(`is limited to 20 a minute per user (429 with Retry-After), other users unaffected`, async () => {
    const c = await startConversation(t, alice);
    for (let i = 0; i < 20; i++) expect((await t.call(sam, 'POST', `/conversations/${c.id}/typing`)).status).toBe(204);
    const refused = await t.call(sam, 'POST', `/conversations/${c.id}/typing`);
    expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await t.call(stan, 'POST', `/conversations/${c.id}/typing`)).status).toBe(204);
  });
});
