/**
 * @mentions in hidden notes: staff name staff of the conversation's account in `mentions`; each is told in the
 * notification centre, live and by e-mail under the same secure rules as every notice; nobody else can be mentioned,
 * mentions go only on hidden notes, and customers never learn of them (see also test/leaks.test.ts).
 */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryWorker } from '../src/notify/worker.js';
import { expectError, makeTestApp, people, postMessage, problemFields, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { readable, startSmtp, type TestSmtp } from './notify-smtp.js';
import { firstRow, rows as allRows } from '../src/store/sql.js';

const { alice, bob, sam, gina, root } = people;
const stan: TestUser = { sub: 'stan', name: 'Stan Second Staff', role: 'staff', accounts: ['acme'], email: 'stan@example.com' };
const tess: TestUser = { sub: 'tess', name: 'Tess Third Staff', role: 'staff', accounts: ['acme', 'globex'] };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

let t: TestApp;
let server: TestSmtp;
beforeEach(async () => {
  server = await startSmtp();
  cleanup.push(() => server.close());
  t = makeTestApp({ SECURE_INBOX_MAIL_BATCH_SECONDS: '0', SECURE_INBOX_SMTP_URL: server.url });
  await signInAll(t);
  for (const user of [stan, tess]) expect((await t.call(user, 'GET', '/me')).status).toBe(200);
});

type Notice = { userId: string; channel: string; reason: string };
const noticesOf = async (messageId: string) =>
  allRows<Notice>(
    t.db,
    sql`SELECT n.user_id AS "userId", n.channel, n.reason FROM notifications n JOIN messages m ON m.seq = n.message_seq
                       WHERE m.id = ${messageId} ORDER BY n.user_id, n.channel`,
  );
const count = async (table: string) => (await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`))!.n;

async function note(author: TestUser, conversationId: string, body: Record<string, unknown>) {
  const res = await t.call(author, 'POST', `/conversations/${conversationId}/messages`, body);
  expect(res.status, res.text).toBe(201);
  return res.json.message;
}

describe('a mention in an internal note', () => {
  it('is carried by the note, in the send answer and the thread, for staff and admins, in the order given', async () => {
    const c = await startConversation(t, alice);
    const written = await note(sam, c.id, { action: 'internal_note', body: '<p>@Stan and @Tess, a look?</p>', mentions: ['tess', 'stan', 'tess'] });
    const expected = [
      { id: 'tess', name: 'Tess Third Staff', role: 'staff' },
      { id: 'stan', name: 'Stan Second Staff', role: 'staff' },
    ];
    expect(written).toMatchObject({ kind: 'internal_note', doNotReply: true, mentions: expected });
    for (const user of [sam, stan, root]) {
      const thread = (await t.call(user, 'GET', `/conversations/${c.id}`)).json.messages;
      expect(thread.find((m: { id: string }) => m.id === written.id)).toEqual(written);
      // Messages without mentions carry no field.
      expect(thread[0].mentions).toBeUndefined();
    }
  });

  it('tells each person mentioned in the notification centre, live, and by e-mail that says only that a message waits', async () => {
    const c = await startConversation(t, alice, { subject: 'Quokka orchard permit' });
    const w = new DeliveryWorker(t.db, t.config, { retryBaseMs: 5, log: () => {}, ...(t.writes ? { writes: t.writes.notices } : {}) });
    cleanup.push(() => w.stop());
    await w.runOnce(); // the question's notices to the account's staff
    server.delivered.splice(0);
    const written = await note(sam, c.id, { action: 'internal_note', body: '<p>Secret pelican detail for @Stan</p>', mentions: ['stan'] });
    expect(await noticesOf(written.id)).toEqual([
      { userId: 'stan', channel: 'email', reason: 'mention' },
      { userId: 'stan', channel: 'in_app', reason: 'mention' },
    ]);
    const centre = (await t.call(stan, 'GET', '/notifications')).json.items[0];
    expect(centre).toMatchObject({ reason: 'mention', reasonText: 'You were mentioned in an internal note', conversationId: c.id, messageId: written.id });
    const event = (await firstRow<{ data: string }>(
      t.db,
      sql`SELECT data FROM events WHERE user_id = 'stan' AND type = 'notification.created' ORDER BY id DESC LIMIT 1`,
    ))!;
    expect(JSON.parse(event.data)).toMatchObject({ conversationId: c.id, messageId: written.id });

    await w.runOnce();
    expect(server.delivered.map((d) => d.to)).toEqual([stan.email]);
    const mail = server.delivered.filter((d) => d.to === stan.email);
    expect(mail).toHaveLength(1);
    const text = readable(mail[0]!);
    for (const secret of ['pelican', 'Quokka', 'orchard', 'Sam Staff', 'mention']) expect(text).not.toContain(secret);
    expect(mail[0]!.mail.subject).toBe('A secure message is waiting for you');
  });

  it('tells a participant who is also mentioned once, as a mention; never the author', async () => {
    const c = await startConversation(t, sam, { recipientIds: ['alice', 'stan'] });
    const written = await note(sam, c.id, { action: 'internal_note', body: 'For both of us', mentions: ['stan', 'sam'] });
    expect(await noticesOf(written.id)).toEqual([
      { userId: 'stan', channel: 'email', reason: 'mention' },
      { userId: 'stan', channel: 'in_app', reason: 'mention' },
    ]);
  });

  it('goes with a resolve note too, and by an admin', async () => {
    const c = await startConversation(t, alice);
    const written = await note(root, c.id, { action: 'resolve', body: 'Closing, FYI', mentions: ['sam'] });
    expect(written.mentions).toEqual([{ id: 'sam', name: 'Sam Staff', role: 'staff' }]);
    expect((await noticesOf(written.id)).filter((n) => n.reason === 'mention').map((n) => n.userId)).toEqual(['sam', 'sam']);
  });
});

describe('refused mentions', () => {
  it('go only with a hidden note: any other action is a 422 naming mentions, writing nothing', async () => {
    const c = await startConversation(t, alice);
    const before = { messages: await count('messages'), mentions: await count('message_mentions'), notifications: await count('notifications') };
    for (const action of [undefined, 'reply', 'send', 'send_leave_open', 'status_update']) {
      const res = await t.call(sam, 'POST', `/conversations/${c.id}/messages`, { body: 'x', mentions: ['stan'], ...(action ? { action } : {}) });
      expectError(res, 422, 'invalid');
      expect(problemFields(res), String(action)).toEqual(['mentions']);
    }
    expect({ messages: await count('messages'), mentions: await count('message_mentions'), notifications: await count('notifications') }).toEqual(before);
  });

  it('name only staff of the conversation’s account: customers, other accounts’ staff and unknown ids are a 422 naming them', async () => {
    const c = await startConversation(t, alice);
    const before = { messages: await count('messages'), mentions: await count('message_mentions') };
    for (const [mentions, refused] of [
      [['alice'], 'alice'],
      [['stan', 'gina'], 'gina'],
      [['bob'], 'bob'],
      [['nobody-here'], 'nobody-here'],
      [['root'], 'root'],
    ] as const) {
      const res = await t.call(sam, 'POST', `/conversations/${c.id}/messages`, { action: 'internal_note', body: 'x', mentions });
      const error = expectError(res, 422, 'invalid');
      expect(problemFields(res)).toEqual(['mentions']);
      expect(error.message).toContain(`cannot mention ${refused}:`);
    }
    expect({ messages: await count('messages'), mentions: await count('message_mentions') }).toEqual(before);
    // Tess acts in both accounts: she may be mentioned in either.
    const other = await startConversation(t, bob);
    expect((await note(gina, other.id, { action: 'internal_note', body: 'x', mentions: ['tess'] })).mentions).toHaveLength(1);
  });

  it('are refused to customers with 403, and bounded to 20', async () => {
    const c = await startConversation(t, alice);
    expectError(await t.call(alice, 'POST', `/conversations/${c.id}/messages`, { body: 'x', mentions: ['sam'] }), 403, 'forbidden');
    const many = Array.from({ length: 21 }, (_, i) => `user${i}`);
    const res = await t.call(sam, 'POST', `/conversations/${c.id}/messages`, { action: 'internal_note', body: 'x', mentions: many });
    expect(problemFields(res)).toEqual(['mentions']);
    expect(problemFields(await t.call(sam, 'POST', `/conversations/${c.id}/messages`, { action: 'internal_note', body: 'x', mentions: [] }))).toEqual([
      'mentions',
    ]);
    await postMessage(t, sam, c.id, { action: 'internal_note', body: 'Without mentions' });
  });
});
