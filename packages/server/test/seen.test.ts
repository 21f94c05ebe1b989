/**
 * "Seen": a customer's conversation says when the account's staff read their latest message (the team's name, a staff
 * member's only when the account allows it); staff see when a customer read theirs. Derived from reads, it never
 * reveals a hidden note: reading or writing one moves neither "seen" nor its time.
 */
import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectError, makeTestApp, people, postMessage, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { firstRow, rows as allRows } from '../src/store/sql.js';

const { alice, adam, sam, gina, root } = people;

let t: TestApp;
beforeEach(async () => {
  t = makeTestApp();
  await signInAll(t);
  await t.call(root, 'PUT', '/accounts/acme', { name: 'Hartley' });
});

const view = async (user: TestUser, id: string) => (await t.call(user, 'GET', `/conversations/${id}`)).json;
const read = async (user: TestUser, id: string) => expect((await t.call(user, 'POST', `/conversations/${id}/read`)).status).toBe(204);
const seenAt = async (id: string, side: string) =>
  (await firstRow<{ at: string }>(t.db, sql`SELECT at FROM seen_marks WHERE conversation_id = ${id} AND side = ${side}`))?.at;

describe('seen, for customers', () => {
  it("says when the account's staff read the customer's latest message, by the team's name", async () => {
    const c = await startConversation(t, alice);
    expect((await view(alice, c.id)).conversation.seen).toBeNull();
    await read(sam, c.id);
    const thread = await view(alice, c.id);
    expect(thread.conversation.seen).toEqual({ messageId: thread.messages[0].id, at: await seenAt(c.id, 'staff'), by: { name: 'Hartley', team: true } });
    // A co-participant customer sees the same: it is about the customers' side.
    await t.call(alice, 'POST', `/conversations/${c.id}/participants`, { userIds: ['adam'] });
    expect((await view(adam, c.id)).conversation.seen).toEqual(thread.conversation.seen);
    // A newer customer message is not seen until staff read again.
    await postMessage(t, alice, c.id, { body: 'One more thing' });
    expect((await view(alice, c.id)).conversation.seen).toBeNull();
    await read(sam, c.id);
    const again = await view(alice, c.id);
    expect(again.conversation.seen.messageId).toBe(again.messages.at(-1).id);
  });

  it('names the staff member only when an admin allows it for the account', async () => {
    const c = await startConversation(t, alice);
    await read(sam, c.id);
    const allowed = await t.call(root, 'PATCH', '/accounts/acme/settings', { showReaderNames: true });
    expect(allowed.json).toEqual({ settings: { accountId: 'acme', showReaderNames: true } });
    expect((await view(alice, c.id)).conversation.seen.by).toEqual({ name: 'Sam Staff', team: false });
    await t.call(root, 'PATCH', '/accounts/acme/settings', { showReaderNames: false });
    expect((await view(alice, c.id)).conversation.seen.by).toEqual({ name: 'Hartley', team: true });
  });

  it("is not moved by a customer's own read nor by a staff member writing without reading", async () => {
    const c = await startConversation(t, alice);
    await read(alice, c.id);
    await postMessage(t, sam, c.id, { body: 'A note for colleagues', action: 'internal_note' });
    expect((await view(alice, c.id)).conversation.seen).toBeNull();
  });

  it('never reveals a hidden note: reading one after the customer’s message leaves seen and its time as they were', async () => {
    const c = await startConversation(t, alice);
    await read(sam, c.id);
    const before = JSON.stringify(await view(alice, c.id));
    const firstSeen = await seenAt(c.id, 'staff');
    const aliceEvents = () => allRows(t.db, sql`SELECT type, data FROM events WHERE user_id = 'alice' ORDER BY id`);
    const eventsBefore = await aliceEvents();
    await new Promise((r) => setTimeout(r, 5));
    // Staff write hidden notes and read the thread again, several of them.
    await postMessage(t, sam, c.id, { body: 'Checked the file', action: 'internal_note' });
    await read(root, c.id);
    expect(await aliceEvents()).toEqual(eventsBefore);
    await postMessage(t, root, c.id, { body: 'Closing internally', action: 'resolve' });
    await read(sam, c.id);
    expect(await seenAt(c.id, 'staff')).toBe(firstSeen);
    const after = await view(alice, c.id);
    expect(after.conversation.seen).toEqual(JSON.parse(before).conversation.seen);
    expect(after.messages).toEqual(JSON.parse(before).messages);
    // The status change the resolve note caused is visible (API.md); the read after it tells nothing more.
    expect((await aliceEvents()).slice(eventsBefore.length).map((e) => (e as { type: string }).type)).toEqual(['conversation.updated']);
  });

  it("tells the customer's open views when staff first read their message, and only then", async () => {
    const c = await startConversation(t, alice);
    const updates = async () =>
      (await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM events WHERE user_id = 'alice' AND type = 'conversation.updated'`))!.n;
    const before = await updates();
    await read(sam, c.id);
    expect(await updates()).toBe(before + 1);
    await read(sam, c.id);
    await read(root, c.id);
    expect(await updates()).toBe(before + 1);
  });

  it('is about the latest customer message, never a note even when a hidden note is the newest message', async () => {
    const c = await startConversation(t, alice);
    await postMessage(t, sam, c.id, { body: 'Secret', action: 'internal_note' });
    await read(sam, c.id);
    const thread = await view(alice, c.id);
    expect(thread.conversation.seen.messageId).toBe(thread.messages[0].id);
    expect(JSON.stringify(thread)).not.toContain('Secret');
  });
});

describe('seen, for staff', () => {
  it('says when a customer read the latest staff message customers may see', async () => {
    const c = await startConversation(t, alice);
    const answer = await postMessage(t, sam, c.id, { body: 'Answer', action: 'send' });
    expect((await view(sam, c.id)).conversation.seen).toBeNull();
    await read(alice, c.id);
    expect((await view(sam, c.id)).conversation.seen).toEqual({
      messageId: answer.id,
      at: await seenAt(c.id, 'customer'),
      by: { name: 'Alice Applicant', team: false },
    });
    // A hidden note after it is not "their" latest message for customers: seen stays.
    await postMessage(t, sam, c.id, { body: 'Internal', action: 'internal_note' });
    expect((await view(root, c.id)).conversation.seen.messageId).toBe(answer.id);
  });
});

describe('account settings', () => {
  it('are for the staff and admins of the account: customers 403, others the same 404 as an unknown account', async () => {
    expect((await t.call(sam, 'GET', '/accounts/acme/settings')).json).toEqual({ settings: { accountId: 'acme', showReaderNames: false } });
    expectError(await t.call(alice, 'GET', '/accounts/acme/settings'), 403, 'forbidden');
    expectError(await t.call(sam, 'PATCH', '/accounts/acme/settings', { showReaderNames: true }), 403, 'forbidden');
    expectError(await t.call(alice, 'PATCH', '/accounts/acme/settings', { showReaderNames: true }), 403, 'forbidden');
    const unknown = await t.call(gina, 'GET', '/accounts/no-such-account/settings');
    expectError(unknown, 404, 'not_found');
    expect((await t.call(gina, 'GET', '/accounts/acme/settings')).text).toBe(unknown.text);
    expect((await t.call(gina, 'PATCH', '/accounts/acme/settings', { showReaderNames: true })).text).toBe(
      (await t.call(gina, 'PATCH', '/accounts/no-such-account/settings', { showReaderNames: true })).text,
    );
    expect((await t.call(root, 'GET', '/accounts/no-such-account/settings')).text).toBe(unknown.text);
    expectError(await t.call(root, 'PATCH', '/accounts/acme/settings', { showReaderNames: 'yes' }), 422, 'invalid');
    expectError(await t.call(root, 'PATCH', '/accounts/acme/settings', {}), 422, 'invalid');
    expect(await allRows(t.db, sql`SELECT * FROM account_settings`)).toEqual([]);
  });
});
