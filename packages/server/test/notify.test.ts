import { simpleParser } from 'mailparser';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { demoNoticeLink } from '../src/demo/page.js';
import { enqueueMessageNotices } from '../src/notify/outbox.js';
import { Templates } from '../src/notify/templates.js';
import { DeliveryWorker, retryDelay, type WorkerOptions } from '../src/notify/worker.js';
import type { Mailer } from '../src/notify/mailer.js';
import { expectError, makeTestApp, people, postMessage, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';
import { freePort, readable, startSmtp, type TestSmtp } from './notify-smtp.js';
import { execute, firstRow, rows as allRows } from '../src/store/sql.js';

const stan: TestUser = { sub: 'stan', name: 'Stan Second Staff', role: 'staff', accounts: ['acme'], email: 'stan@example.com' };
const cora: TestUser = { sub: 'cora', name: 'Cora Customer', role: 'customer', accounts: ['acme'], email: 'cora@example.com' };
const carl: TestUser = { sub: 'carl', name: 'Carl Customer', role: 'customer', accounts: ['acme'], email: 'carl@example.com' };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(env: Record<string, string> = {}) {
  const t = makeTestApp({ SECURE_INBOX_MAIL_BATCH_SECONDS: '0', SECURE_INBOX_PUBLIC_URL: 'https://portal.example/messages?tab=inbox', ...env });
  await signInAll(t);
  for (const user of [stan, cora, carl]) expect((await t.call(user, 'GET', '/me')).status).toBe(200);
  return t;
}

function worker(t: TestApp, options: WorkerOptions = {}) {
  // On the writer thread (its project in vitest.config.ts), claims and outcomes are committed there, as the server does.
  const w = new DeliveryWorker(t.db, t.config, { retryBaseMs: 5, log: () => {}, ...(t.writes ? { writes: t.writes.notices } : {}), ...options });
  cleanup.push(() => w.stop());
  return w;
}

async function smtp(port?: number) {
  const server = await startSmtp(port);
  cleanup.push(() => server.close());
  return server;
}

type Row = { userId: string; channel: string; reason: string; status: string; attempts: number; nextAttemptAt: string; lastError: string | null };
const rows = async (t: TestApp) =>
  allRows<Row>(
    t.db,
    sql`SELECT user_id AS "userId", channel, reason, status, attempts, next_attempt_at AS "nextAttemptAt", last_error AS "lastError"
                    FROM notifications ORDER BY id`,
  );
const recipients = async (t: TestApp, channel = 'email') => [...new Set((await rows(t)).filter((r) => r.channel === channel).map((r) => r.userId))].sort();
const mailTo = (server: TestSmtp, user: TestUser) => server.delivered.filter((d) => d.to === user.email);
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('who is notified', () => {
  it('tells every staff member of the account about a customer question when nobody is assigned, never the author', async () => {
    const t = await setup();
    await startConversation(t, people.alice, { subject: 'Fence permit' });
    expect(await recipients(t)).toEqual(['sam', 'stan']);
    expect(await recipients(t, 'in_app')).toEqual(['sam', 'stan']);
    expect((await rows(t)).every((r) => r.reason === 'question')).toBe(true);
  });

  it('tells only the assignee once there is one', async () => {
    const t = await setup();
    const conv = await startConversation(t, people.alice);
    expect((await t.call(people.sam, 'PATCH', `/conversations/${conv.id}`, { assigneeId: 'stan' })).status).toBe(200);
    await execute(t.db, sql`DELETE FROM notifications`);
    await postMessage(t, people.alice, conv.id, { body: 'Any news?' });
    expect(await recipients(t)).toEqual(['stan']);
  });

  it('tells the customer participants about a visible staff answer, by e-mail only', async () => {
    const t = await setup();
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice', 'cora'] });
    expect(await recipients(t)).toEqual(['alice', 'cora']);
    expect(await recipients(t, 'in_app')).toEqual([]);
    await execute(t.db, sql`DELETE FROM notifications`);
    await postMessage(t, people.sam, conv.id, { body: 'Answer', action: 'send' });
    expect(await recipients(t)).toEqual(['alice', 'cora']);
  });

  it('never queues a notice about a hidden note for a customer, but does tell other staff participants', async () => {
    const t = await setup();
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice', 'stan'] });
    await execute(t.db, sql`DELETE FROM notifications`);
    await postMessage(t, people.sam, conv.id, { body: 'internal only', action: 'internal_note' });
    await postMessage(t, people.sam, conv.id, { body: 'closing quietly', action: 'resolve' });
    expect(await recipients(t)).toEqual(['stan']);
  });

  it('notifies the other participants of a staff-to-staff conversation', async () => {
    const t = await setup();
    await startConversation(t, people.sam, { recipientIds: ['stan'] });
    expect(await recipients(t)).toEqual(['stan']);
  });

  it('adds every admin when notifyAdmins is set', async () => {
    const t = await setup();
    const conv = await startConversation(t, people.sam);
    await execute(t.db, sql`DELETE FROM notifications`);
    await postMessage(t, people.sam, conv.id, { body: 'Please look', notifyAdmins: true });
    expect(await recipients(t)).toEqual(['alice', 'root']);
    expect((await rows(t)).filter((r) => r.userId === 'root').map((r) => r.reason)).toEqual(['notify_admins', 'notify_admins']);
  });

  it('refuses notifyAdmins from a customer with 403, on a new conversation as on a reply, writing nothing', async () => {
    const t = await setup();
    const countOf = async (table: string) => (await firstRow<{ n: number }>(t.db, sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`))!.n;
    const before = {
      conversations: await countOf('conversations'),
      messages: await countOf('messages'),
      notifications: await countOf('notifications'),
      events: await countOf('events'),
    };
    const created = await t.call(people.alice, 'POST', '/conversations', {
      accountId: 'acme',
      subject: 'Hello admins',
      body: 'Look at me',
      notifyAdmins: true,
    });
    expect(expectError(created, 403, 'forbidden').message).toMatch(/staff/i);
    expect({
      conversations: await countOf('conversations'),
      messages: await countOf('messages'),
      notifications: await countOf('notifications'),
      events: await countOf('events'),
    }).toEqual(before);
    expect((await t.call(people.root, 'GET', '/notifications')).json.items).toEqual([]);
    expect((await t.call(people.alice, 'GET', '/conversations')).json.items).toEqual([]);

    const conv = await startConversation(t, people.alice);
    await execute(t.db, sql`DELETE FROM notifications`);
    expectError(await t.call(people.alice, 'POST', `/conversations/${conv.id}/messages`, { body: 'Again', notifyAdmins: true }), 403, 'forbidden');
    expect(await rows(t)).toEqual([]);
    // false is no request to notify anyone: allowed.
    expect((await t.call(people.alice, 'POST', '/conversations', { accountId: 'acme', subject: 'Plain', body: 'Hi', notifyAdmins: false })).status).toBe(201);
    expect(await recipients(t)).not.toContain('root');
    // Staff and admins may.
    await startConversation(t, people.sam, { notifyAdmins: true });
    expect(await recipients(t)).toContain('root');
  });

  it('tells an admin who signed in a moment ago, and an assignee outside the account only when they may see it', async () => {
    const t = await setup();
    const conv = await startConversation(t, people.sam);
    // The first message made the writer note the admins it knew; this one signs in right after.
    const newAdmin = { sub: 'ada2', name: 'Second Admin', role: 'admin' as const, accounts: ['*'], email: 'ada2@example.com' };
    expect((await t.call(newAdmin, 'GET', '/me')).status).toBe(200);
    await execute(t.db, sql`DELETE FROM notifications`);
    await postMessage(t, people.sam, conv.id, { body: 'Please look', notifyAdmins: true });
    expect(await recipients(t)).toEqual(['ada2', 'alice', 'root']);

    // An assignee who left the account (gina acts in globex only) is not told of a customer's question.
    const question = await startConversation(t, people.alice);
    expect((await t.call(people.sam, 'PATCH', `/conversations/${question.id}`, { assigneeId: 'sam' })).status).toBe(200);
    await execute(t.db, sql`UPDATE conversations SET assignee_id = 'gina' WHERE id = ${question.id}`);
    await execute(t.db, sql`DELETE FROM notifications`);
    await postMessage(t, people.alice, question.id, { body: 'Anyone?' });
    expect(await recipients(t)).toEqual([]);
    await execute(t.db, sql`UPDATE conversations SET assignee_id = 'sam' WHERE id = ${question.id}`);
    await postMessage(t, people.alice, question.id, { body: 'Still there?' });
    expect(await recipients(t)).toEqual(['sam']);
  });

  it('queues the same notice only once for the same cause', async () => {
    const t = await setup();
    const conv = await startConversation(t, people.sam);
    const seq = (await firstRow<{ seq: number }>(t.db, sql`SELECT max(seq) AS seq FROM messages`))!.seq;
    const message = {
      seq,
      id: 'm',
      conversationId: conv.id,
      accountId: 'acme',
      kind: 'message' as const,
      doNotReply: false,
      authorId: 'sam',
      authorRole: 'staff' as const,
      notifyAdmins: false,
      isFirst: true,
      staffOnly: false,
    };
    expect(await enqueueMessageNotices(t.db, message, 0)).toBe(0);
    expect(await rows(t)).toHaveLength(1);
  });
});

describe('e-mail content', () => {
  it('secure mode says only that a message is waiting, with a link to the thread', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    const conv = await startConversation(t, people.alice, { subject: 'Kiwi orchard permit', body: '<p>platypus question</p>' });
    await postMessage(t, people.sam, conv.id, { body: '<p>The <strong>marzipan</strong> answer</p>', action: 'send' });
    expect(await worker(t).runOnce()).toBe(3);

    const link = `https://portal.example/messages?tab=inbox&conversation=${conv.id}`;
    for (const user of [people.alice, people.sam, stan]) {
      const [mail, ...more] = mailTo(server, user);
      expect(more).toHaveLength(0);
      const text = readable(mail!);
      for (const secret of ['Kiwi', 'orchard', 'platypus', 'marzipan']) expect(text).not.toContain(secret);
      expect(text).not.toContain(user === people.alice ? 'Sam Staff' : 'Alice Applicant');
      expect(mail!.mail.subject).toBe('A secure message is waiting for you');
      expect(mail!.mail.text).toContain(link);
      expect(mail!.mail.html).toContain(`href="${link.replace(/&/g, '&amp;')}"`);
    }
  });

  it('in the demo, names the recipient in the link so the demo page opens their thread at once', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    const conv = await startConversation(t, people.alice, { subject: 'Fence' });
    await postMessage(t, people.sam, conv.id, { body: 'Fine.', action: 'send' });
    expect(await worker(t, { link: demoNoticeLink }).runOnce()).toBe(3);
    for (const user of [people.alice, people.sam, stan]) {
      const url = new URL(mailTo(server, user)[0]!.mail.text!.match(/https:\/\/\S+/)![0]);
      expect(url.origin + url.pathname).toBe('https://portal.example/messages');
      expect(Object.fromEntries(url.searchParams)).toEqual({ tab: 'inbox', conversation: conv.id, as: user.sub });
    }
  });

  it('full mode carries the visible message as HTML and text, never a hidden note', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url, SECURE_INBOX_NOTIFY_MODE: 'full' });
    const conv = await startConversation(t, people.sam, { subject: 'Kiwi orchard permit', body: '<p>First <em>note</em></p>' });
    await postMessage(t, people.sam, conv.id, { body: 'zebracorn internal', action: 'internal_note' });
    await postMessage(t, people.sam, conv.id, { body: '<p>The <strong>marzipan</strong> answer<script>alert(1)</script></p>', action: 'send' });
    await postMessage(t, people.sam, conv.id, { body: 'wombat hidden resolution', action: 'resolve' });
    await worker(t).runOnce();

    const mails = mailTo(server, people.alice);
    expect(mails).toHaveLength(2);
    const [first, second] = mails;
    expect(first!.mail.subject).toBe('Kiwi orchard permit');
    expect(first!.mail.text).toContain('First note');
    expect(second!.mail.text).toContain('The marzipan answer');
    expect(second!.mail.html).toContain('<strong>marzipan</strong>');
    expect(second!.mail.html).not.toContain('<script');
    expect(second!.mail.text).toContain(`conversation=${conv.id}`);
    for (const mail of mails) {
      expect(readable(mail)).not.toContain('zebracorn');
      expect(readable(mail)).not.toContain('wombat');
    }
  });

  it('never mails a hidden note to a customer in either mode', async () => {
    for (const mode of ['secure', 'full']) {
      const server = await smtp();
      const t = await setup({ SECURE_INBOX_SMTP_URL: server.url, SECURE_INBOX_NOTIFY_MODE: mode });
      const conv = await startConversation(t, people.sam, { recipientIds: ['alice', 'stan'] });
      await worker(t).runOnce();
      server.delivered.length = 0;
      await postMessage(t, people.sam, conv.id, { body: 'zebracorn internal', action: 'internal_note' });
      await postMessage(t, people.sam, conv.id, { body: 'wombat resolve', action: 'resolve' });
      await worker(t).runOnce();
      expect(mailTo(server, people.alice)).toHaveLength(0);
      expect(mailTo(server, stan)).toHaveLength(2);
      expect(server.delivered.every((d) => d.to === stan.email)).toBe(true);
    }
  });

  it('drops a queued notice when its recipient may no longer see the conversation', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice'] });
    expect((await t.call(people.alice, 'POST', `/conversations/${conv.id}/leave`)).status).toBe(204);
    await worker(t).runOnce();
    expect(mailTo(server, people.alice)).toHaveLength(0);
    expect((await rows(t)).find((r) => r.userId === 'alice')?.status).toBe('failed');
  });

  it('uses templates from a directory, which still cannot reach the content in secure mode', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-templates-'));
    writeFileSync(join(dir, 'secure.subject.txt'), 'Portal notice ({{count}}){{subject}}{{body}}');
    writeFileSync(join(dir, 'secure.txt'), 'Go to {{#links}}{{url}}{{/links}} {{subject}}{{text}}');
    await startConversation(t, people.sam, { subject: 'Kiwi orchard permit', body: 'platypus' });
    await worker(t, { templates: new Templates(dir) }).runOnce();
    const [mail] = mailTo(server, people.alice);
    expect(mail!.mail.subject).toBe('Portal notice (1)');
    expect(mail!.mail.text?.trim()).toMatch(/^Go to https:\/\/portal\.example\/messages\?tab=inbox&conversation=c_[\w-]+$/);
    expect(readable(mail!)).not.toContain('Kiwi');
  });

  it('refuses a template that does not parse, or a directory that does not exist, naming it', () => {
    expect(() => new Templates(undefined, { 'full.html': '{{#items}}unclosed' })).toThrow(/full\.html/);
    expect(() => new Templates('/nonexistent/templates')).toThrow(/SECURE_INBOX_MAIL_TEMPLATES names \/nonexistent\/templates/);
  });

  it('reads the templates directory from SECURE_INBOX_MAIL_TEMPLATES', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-templates-'));
    writeFileSync(join(dir, 'secure.subject.txt'), 'Your portal has news');
    const t = await setup({ SECURE_INBOX_MAIL_TEMPLATES: dir });
    await startConversation(t, people.sam);
    await worker(t).runOnce();
    const [file] = readdirSync(join(t.dir, 'outbox'));
    expect((await simpleParser(readFileSync(join(t.dir, 'outbox', file!)))).subject).toBe('Your portal has news');
  });

  it('writes .eml files under <dataDir>/outbox when no SMTP server is configured', async () => {
    const t = await setup();
    const conv = await startConversation(t, people.sam);
    expect(await worker(t).runOnce()).toBe(1);
    const dir = join(t.dir, 'outbox');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.eml$/);
    const mail = await simpleParser(readFileSync(join(dir, files[0]!)));
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : null).toBe('alice@example.com');
    expect(mail.text).toContain(`conversation=${conv.id}`);
    expect(mail.messageId).toMatch(/^<notice\.\d+\.[0-9a-f]{16}@localhost>$/);
  });
});

describe('delivery', () => {
  it('retries while the SMTP server refuses connections and delivers exactly once when it is back', async () => {
    const port = await freePort();
    const t = await setup({ SECURE_INBOX_SMTP_URL: `smtp://127.0.0.1:${port}` });
    await startConversation(t, people.sam);
    const w = worker(t);
    expect(await w.runOnce()).toBe(0);
    const [row] = await rows(t);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row!.lastError).toMatch(/ECONNREFUSED|connect/i);

    const server = await smtp(port);
    await wait(30);
    expect(await w.runOnce()).toBe(1);
    await wait(30);
    expect(await w.runOnce()).toBe(0);
    expect(server.delivered).toHaveLength(1);
    expect((await rows(t))[0]).toMatchObject({ status: 'sent', lastError: null });
  });

  it('retries when the server rejects the message and delivers exactly once when it accepts', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    await startConversation(t, people.sam);
    server.rejectNext(2, 451);
    const w = worker(t);
    expect(await w.runOnce()).toBe(0);
    await wait(20);
    expect(await w.runOnce()).toBe(0);
    expect((await rows(t))[0]).toMatchObject({ status: 'pending', attempts: 2 });
    await wait(40);
    expect(await w.runOnce()).toBe(1);
    expect(server.delivered).toHaveLength(1);
  });

  it('backs off exponentially, never waiting more than 30 s between attempts', async () => {
    const t = await setup();
    await startConversation(t, people.sam);
    const down: Mailer = { send: () => Promise.reject(new Error('connect ECONNREFUSED')), close() {} };
    let now = Date.now();
    const w = worker(t, { mailer: down, retryBaseMs: 1000, now: () => now });
    const gaps: number[] = [];
    for (let i = 0; i < 8; i++) {
      await w.runOnce();
      const next = Date.parse((await rows(t))[0]!.nextAttemptAt);
      gaps.push(next - now);
      now = next;
    }
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(retryDelay(50, 1000, 30_000)).toBe(30_000);
  });

  it('gives up on a message the server keeps refusing outright', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    await startConversation(t, people.sam);
    server.rejectNext(10, 554);
    const w = worker(t, { maxPermanentFailures: 2 });
    await w.runOnce();
    await wait(20);
    await w.runOnce();
    expect((await rows(t))[0]).toMatchObject({ status: 'failed', attempts: 2 });
    expect(server.delivered).toHaveLength(0);
  });

  it('a worker restarted mid-way sends the rest and nothing twice', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    await startConversation(t, people.sam, { recipientIds: ['alice', 'cora', 'carl'] });
    // The first worker gets one e-mail out, then freezes in the middle of the second (a crash before SMTP accepted it).
    const real = new DeliveryWorker(t.db, t.config, { log: () => {} });
    let sends = 0;
    const freezing: Mailer = {
      send(mail) {
        sends++;
        return sends === 1 ? (real as unknown as { mailer: Mailer }).mailer.send(mail) : new Promise(() => {});
      },
      close() {},
    };
    const first = new DeliveryWorker(t.db, t.config, { mailer: freezing, concurrency: 1, log: () => {} });
    void first.runOnce();
    await expect.poll(() => sends).toBe(2);
    expect(server.delivered).toHaveLength(1);

    // A new process: the frozen batch is held by its lease until that expires.
    const second = worker(t, { now: () => Date.now() });
    expect(await second.runOnce()).toBe(1);
    const later = worker(t, { now: () => Date.now() + 61_000 });
    expect(await later.runOnce()).toBe(1);
    expect(await later.runOnce()).toBe(0);
    expect(server.delivered.map((d) => d.to).sort()).toEqual(['alice@example.com', 'carl@example.com', 'cora@example.com']);
    expect(new Set(server.delivered.map((d) => d.messageId)).size).toBe(3);
    expect((await rows(t)).every((r) => r.status === 'sent')).toBe(true);
    (real as unknown as { mailer: Mailer }).mailer.close();
  });

  it('a crash after the server accepted resends the same e-mail with the same Message-ID', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    await startConversation(t, people.sam, { subject: 'Kiwi' });
    const real = new DeliveryWorker(t.db, t.config, { log: () => {} });
    const realMailer = (real as unknown as { mailer: Mailer }).mailer;
    cleanup.push(() => realMailer.close());
    // Accepted by the server, then the process dies before marking the row sent.
    const dying: Mailer = { send: (mail) => realMailer.send(mail).then(() => new Promise<void>(() => {})), close() {} };
    void new DeliveryWorker(t.db, t.config, { mailer: dying, log: () => {} }).runOnce();
    await expect.poll(() => server.delivered.length).toBe(1);

    expect(await worker(t, { now: () => Date.now() + 61_000 }).runOnce()).toBe(1);
    const [a, b] = server.delivered;
    expect(b!.messageId).toBe(a!.messageId);
    expect(b!.mail.subject).toBe(a!.mail.subject);
    expect(b!.mail.text).toBe(a!.mail.text);
    expect((await rows(t))[0]!.status).toBe('sent');
  });

  it('batches messages to one recipient within the window into one e-mail', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url, SECURE_INBOX_MAIL_BATCH_SECONDS: '5' });
    const conv = await startConversation(t, people.sam, { recipientIds: ['alice'] });
    await postMessage(t, people.sam, conv.id, { body: 'two', action: 'send_leave_open' });
    await postMessage(t, people.sam, conv.id, { body: 'three', action: 'send_leave_open' });
    const other = await startConversation(t, people.sam, { recipientIds: ['alice'] });

    expect(await worker(t).runOnce()).toBe(0); // the window is still open
    expect(await worker(t, { now: () => Date.now() + 6000 }).runOnce()).toBe(1);
    const [mail] = mailTo(server, people.alice);
    expect(mail!.mail.subject).toBe('4 secure messages are waiting for you');
    expect(mail!.mail.text).toContain(`conversation=${conv.id}`);
    expect(mail!.mail.text).toContain(`conversation=${other.id}`);

    // A message after the window makes the next e-mail.
    await execute(t.db, sql`UPDATE notifications SET created_at = '2000-01-01T00:00:00.000Z' WHERE status = 'sent'`);
    await postMessage(t, people.sam, conv.id, { body: 'five', action: 'send_leave_open' });
    expect(await worker(t, { now: () => Date.now() + 6000 }).runOnce()).toBe(1);
    expect(mailTo(server, people.alice).map((d) => d.mail.subject)).toEqual(['4 secure messages are waiting for you', 'A secure message is waiting for you']);
  });

  it('the started worker delivers on its own', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    worker(t, { pollMs: 20 }).start();
    await startConversation(t, people.sam);
    await expect.poll(() => server.delivered.length).toBe(1);
  });
});

describe('notification centre', () => {
  async function withNotices() {
    const t = await setup();
    const first = await startConversation(t, people.alice, { subject: 'First question' });
    const second = await startConversation(t, people.alice, { subject: 'Second question' });
    await postMessage(t, people.alice, second.id, { body: 'A follow-up' });
    return { t, first, second };
  }

  it('lists the caller’s own notices newest first with subject and reason, by cursor', async () => {
    const { t, first, second } = await withNotices();
    const page1 = await t.call(stan, 'GET', '/notifications?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.json.unread).toBe(3);
    expect(page1.json.items.map((i: any) => [i.subject, i.preview])).toEqual([
      ['Second question', 'A follow-up'],
      ['Second question', 'Hello'],
    ]);
    expect(page1.json.items[0]).toMatchObject({
      conversationId: second.id,
      reason: 'question',
      reasonText: 'A customer is waiting for an answer',
      authorName: 'Alice Applicant',
      read: false,
    });
    const page2 = await t.call(stan, 'GET', `/notifications?limit=2&cursor=${page1.json.nextCursor}`);
    expect(page2.json.items.map((i: any) => i.conversationId)).toEqual([first.id]);
    expect(page2.json.nextCursor).toBeNull();
    expect((await t.call(stan, 'GET', '/notifications/unread-count')).json).toEqual({ unread: 3 });
    expect((await t.call(people.root, 'GET', '/notifications')).json.items).toEqual([]);
  });

  it('marks one or all read; another user’s, unknown and malformed ids answer the same 404', async () => {
    const { t } = await withNotices();
    const list = await t.call(stan, 'GET', '/notifications');
    const id = list.json.items[0].id;
    expect((await t.call(stan, 'POST', `/notifications/${id}/read`)).status).toBe(204);
    expect((await t.call(stan, 'GET', '/notifications/unread-count')).json.unread).toBe(2);
    expect((await t.call(stan, 'GET', '/notifications?unread=true')).json.items).toHaveLength(2);

    const samId = (await t.call(people.sam, 'GET', '/notifications')).json.items[0].id;
    const foreign = expectError(await t.call(stan, 'POST', `/notifications/${samId}/read`), 404, 'not_found');
    const unknown = expectError(await t.call(stan, 'POST', '/notifications/987654/read'), 404, 'not_found');
    expectError(await t.call(stan, 'POST', '/notifications/abc/read'), 404, 'not_found');
    expect(foreign).toEqual(unknown);
    expect((await t.call(people.sam, 'GET', '/notifications/unread-count')).json.unread).toBe(3);

    expect((await t.call(stan, 'POST', '/notifications/read-all')).status).toBe(204);
    expect((await t.call(stan, 'GET', '/notifications/unread-count')).json.unread).toBe(0);
    expect((await t.call(people.sam, 'GET', '/notifications/unread-count')).json.unread).toBe(3);
  });

  it('shows a notice only while its recipient may see the conversation', async () => {
    const { t } = await withNotices();
    expect((await t.call({ ...stan, accounts: ['globex'] }, 'GET', '/notifications')).json.items).toEqual([]);
    expect((await t.call({ ...stan, accounts: ['globex'] }, 'GET', '/notifications/unread-count')).json.unread).toBe(0);
  });

  it('is for staff and admins: customers get 403, anonymous callers 401, bad queries 422', async () => {
    const { t } = await withNotices();
    const id = (await t.call(stan, 'GET', '/notifications')).json.items[0].id;
    for (const [method, path] of [
      ['GET', '/notifications'],
      ['GET', '/notifications/unread-count'],
      ['POST', `/notifications/${id}/read`],
      ['POST', '/notifications/read-all'],
    ] as const) {
      expectError(await t.call(people.alice, method, path), 403, 'forbidden');
      expectError(await t.call(null, method, path), 401, 'unauthorized');
    }
    expectError(await t.call(stan, 'GET', '/notifications?limit=0'), 422, 'invalid');
    expectError(await t.call(stan, 'GET', '/notifications?cursor=nope'), 422, 'invalid');
    expectError(await t.call(stan, 'GET', '/notifications?colour=red'), 422, 'invalid');
  });
});

describe('POST /conversations/:id/notify-admins', () => {
  it('queues a notice for every admin, once per conversation state', async () => {
    const server = await smtp();
    const t = await setup({ SECURE_INBOX_SMTP_URL: server.url });
    const conv = await startConversation(t, people.alice, { subject: 'Escalate me' });
    const res = await t.call(people.sam, 'POST', `/conversations/${conv.id}/notify-admins`);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ notified: 1 });
    expect((await t.call(people.sam, 'POST', `/conversations/${conv.id}/notify-admins`)).json).toEqual({ notified: 0 });

    const centre = await t.call(people.root, 'GET', '/notifications');
    expect(centre.json.items).toHaveLength(1);
    expect(centre.json.items[0]).toMatchObject({ conversationId: conv.id, reason: 'notify_admins', subject: 'Escalate me', messageId: null });
    await worker(t).runOnce();
    expect(mailTo(server, people.root)).toHaveLength(1);
    expect(mailTo(server, people.root)[0]!.mail.text).toContain(`conversation=${conv.id}`);
  });

  it('answers 401, 403 for customers, and the same 404 for foreign and unknown conversations', async () => {
    const t = await setup();
    const conv = await startConversation(t, people.alice);
    expectError(await t.call(null, 'POST', `/conversations/${conv.id}/notify-admins`), 401, 'unauthorized');
    expectError(await t.call(people.alice, 'POST', `/conversations/${conv.id}/notify-admins`), 403, 'forbidden');
    const foreign = expectError(await t.call(people.gina, 'POST', `/conversations/${conv.id}/notify-admins`), 404, 'not_found');
    const unknown = expectError(await t.call(people.sam, 'POST', '/conversations/c_unknown/notify-admins'), 404, 'not_found');
    expect(foreign).toEqual(unknown);
    expectError(await t.call(people.bob, 'POST', `/conversations/${conv.id}/notify-admins`), 404, 'not_found');
    expect((await rows(t)).some((r) => r.reason === 'notify_admins')).toBe(false);
  });
});
