/**
 * Several instances on one PostgreSQL behave as one (API.md "Several instances"): two real `serve` processes, A and B,
 * on separate ports and data folders, share one fresh database, and a client that talks to both cannot tell them
 * apart. A real SMTP server runs in this process for the e-mail check. Each test is one claim of the contract, checked
 * only through what a client observes over HTTP.
 *
 * The instances run with a write limit of 10 per user per minute (SECURE_INBOX_RATE_LIMIT), as the rate-limit test
 * needs: the tests that write more take turns among several staff members (`writers`). The `kill -9` test ends A, so it
 * runs last.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../packages/server/test/postgres/database.js';
import { call, mintToken, ok, openEvents, percentile, startCluster, type Claims, type Cluster, type Instance, type StreamEvent } from '../cluster.js';

/** Messages to one recipient within this window make one e-mail: short, so the e-mail check is quick. */
const MAIL_BATCH_SECONDS = 1;

let database: TestDatabase;
let smtp: Smtp;
let cluster: Cluster;
let A: Instance;
let B: Instance;

interface Smtp {
  url: string;
  /** The recipient of every e-mail accepted, one entry per recipient of each. */
  recipients: string[];
  close: () => Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that accepts every e-mail and records whom it was for. */
async function startSmtp(): Promise<Smtp> {
  const recipients: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    closeTimeout: 500,
    logger: false,
    onData(stream, session, callback) {
      stream.on('end', () => {
        recipients.push(...session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
      stream.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, recipients, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Writes per user per minute on both instances. */
const WRITE_LIMIT = 10;

beforeAll(async () => {
  [database, smtp] = await Promise.all([createTestDatabase(), startSmtp()]);
  cluster = await startCluster(database.url, {
    env: {
      SECURE_INBOX_SMTP_URL: smtp.url,
      SECURE_INBOX_MAIL_BATCH_SECONDS: String(MAIL_BATCH_SECONDS),
      SECURE_INBOX_RATE_LIMIT: String(WRITE_LIMIT),
      // Every request comes from 127.0.0.1: the per-address send limit would count the whole suite as one client.
      SECURE_INBOX_RATE_LIMIT_IP: '0',
    },
  });
  [A, B] = cluster.instances as [Instance, Instance];
});

afterAll(async () => {
  await cluster?.stop();
  await smtp?.close();
  await database?.drop();
});

const staff = (sub: string, accounts: string[], email?: string): Claims => ({
  sub,
  name: `Staff ${sub}`,
  role: 'staff',
  accounts,
  ...(email ? { email } : {}),
});
const customer = (sub: string, account: string): Claims => ({ sub, name: `Customer ${sub}`, role: 'customer', accounts: [account] });

/** A conversation that `by` (staff) starts on `on` with `to` (a customer, made known to the server first). */
async function conversationWith(on: Instance, by: Claims, to: Claims, subject = 'Your permit'): Promise<string> {
  await ok(on, to, 'GET', '/me');
  const created = await ok(on, by, 'POST', '/conversations', { accountId: to.accounts[0], subject, body: 'Hello', recipientIds: [to.sub] });
  return created.conversation.id as string;
}

async function reply(on: Instance, by: Claims, conversationId: string, body: string, action?: string): Promise<{ id: string }> {
  const answer = await ok(on, by, 'POST', `/conversations/${conversationId}/messages`, { body, ...(action ? { action } : {}) });
  return answer.message;
}

/** Every message id of a thread as `as` sees it on `on`, all pages. */
async function threadIds(on: Instance, as: Claims, conversationId: string): Promise<{ ids: string[]; bodies: string[] }> {
  const ids: string[] = [];
  const bodies: string[] = [];
  let before: string | null = null;
  do {
    const page: any = await ok(on, as, 'GET', `/conversations/${conversationId}?limit=200${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    for (const m of page.messages) {
      ids.push(m.id);
      bodies.push(m.body);
    }
    before = page.nextCursor;
  } while (before);
  return { ids, bodies };
}

/** Staff members of `account` taking turns to write, each staying under the write limit. */
function writers(prefix: string, account: string): () => Claims {
  let writes = 0;
  return () => staff(`${prefix}-${Math.floor(writes++ / (WRITE_LIMIT - 1))}`, [account]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('two instances on one PostgreSQL', () => {
  it("a staff reply posted on A reaches the customer's stream on B within 100 ms at p99", async () => {
    const account = 'acct-live';
    const agent = writers('live-staff', account);
    const client = customer('live-customer', account);
    const conversationId = await conversationWith(A, agent(), client);
    const stream = await openEvents(B, client);
    try {
      // A few first replies warm both processes (query plans, connections) and are not measured.
      for (let i = 0; i < 5; i++) {
        const warm = await reply(A, agent(), conversationId, `Warm-up ${i}`);
        await stream.next((e) => e.type === 'message.created' && e.data.messageId === warm.id);
      }
      // One reply after another, each sent once the one before was acknowledged: the figure is the path from A's
      // commit to B's stream, not a queue of sends that a 2-core machine cannot take at once.
      const count = 100;
      const sent = new Map<string, { start: number; ack: number }>();
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        const message = await reply(A, agent(), conversationId, `Reply ${i}`);
        sent.set(message.id, { start, ack: performance.now() });
      }
      const received = (id: string) => stream.events.find((e) => e.type === 'message.created' && e.data.messageId === id);
      const deadline = Date.now() + 3_000;
      while ([...sent.keys()].some((id) => !received(id)) && Date.now() < deadline) await sleep(20);

      const missing = [...sent.keys()].filter((id) => !received(id));
      const afterAck: number[] = [];
      const afterSend: number[] = [];
      for (const [id, { start, ack }] of sent) {
        const event = received(id);
        if (!event) continue;
        // The event may overtake the 201 on its way back; it then counts as no wait at all.
        afterAck.push(Math.max(0, event.at - ack));
        afterSend.push(event.at - start);
      }
      const figures = (samples: number[]) =>
        `p50 ${percentile(samples, 50).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms, p99 ${percentile(samples, 99).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`;
      console.log(`cluster: ${count} replies on A → customer's stream on B: 201 → event ${figures(afterAck)}; send → event ${figures(afterSend)}`);

      expect(missing, 'replies whose event never reached the stream on B').toEqual([]);
      expect(percentile(afterAck, 99)).toBeLessThanOrEqual(100);
    } finally {
      stream.close();
    }
  });

  it('Last-Event-ID from a stream on B, resumed on A, gives exactly the events that came after', async () => {
    const account = 'acct-resume';
    const agent = staff('resume-staff', [account]);
    const client = customer('resume-customer', account);
    const conversationId = await conversationWith(A, agent, client);
    // A stream that stays open on B throughout: every event the customer has, in order, to compare with.
    const reference = await openEvents(B, client);
    const first = await openEvents(B, client);
    try {
      const before: string[] = [];
      for (let i = 0; i < 3; i++) before.push((await reply(A, agent, conversationId, `Before ${i}`)).id);
      await first.next((e) => e.type === 'message.created' && e.data.messageId === before[2]);
      // Let the events that follow a message (unread count, conversation) arrive too, then leave as a tab does.
      await sleep(300);
      first.close();
      const resumeFrom = first.lastId();
      expect(resumeFrom).not.toBeNull();

      const after: string[] = [];
      for (let i = 0; i < 3; i++) after.push((await reply(i % 2 ? B : A, agent, conversationId, `After ${i}`)).id);
      await reference.next((e) => e.type === 'message.created' && e.data.messageId === after[2]);

      const resumed = await openEvents(A, client, { lastEventId: resumeFrom! });
      try {
        await resumed.next((e) => e.type === 'message.created' && e.data.messageId === after[2]);
        await sleep(300);
        const shape = (events: StreamEvent[]) =>
          events.map((e) => ({ id: e.id, type: e.type, conversationId: e.data.conversationId, messageId: e.data.messageId }));
        const expected = shape(reference.events.filter((e) => e.id > resumeFrom!));
        expect(shape(resumed.events)).toEqual(expected);
        const resumedMessages = resumed.events.filter((e) => e.type === 'message.created').map((e) => e.data.messageId);
        expect(resumedMessages).toEqual(after);
      } finally {
        resumed.close();
      }
    } finally {
      first.close();
      reference.close();
    }
  });

  it('internal notes posted on A stay hidden from the customer through B: thread, list preview, search and events', async () => {
    const account = 'acct-hidden';
    const agent = staff('hidden-staff', [account]);
    const client = customer('hidden-customer', account);
    const word = `zanzibar${randomBytes(3).toString('hex')}`;
    const conversationId = await conversationWith(A, agent, client, 'Inspection date');
    const stream = await openEvents(B, client);
    try {
      const visible = await reply(A, agent, conversationId, 'We will come on Tuesday.');
      const note = await reply(A, agent, conversationId, `Inspector says ${word}, do not tell the customer`, 'internal_note');

      // Staff see the note through B: the checks below look where it would show.
      const staffThread = await threadIds(B, agent, conversationId);
      expect(staffThread.ids).toContain(note.id);
      const staffList = await ok(B, agent, 'GET', '/conversations');
      expect(staffList.items.find((c: any) => c.id === conversationId).lastMessage.id).toBe(note.id);
      expect((await ok(B, agent, 'GET', `/conversations?q=${word}`)).items.map((c: any) => c.id)).toEqual([conversationId]);

      const thread = await threadIds(B, client, conversationId);
      expect(thread.ids).toContain(visible.id);
      expect(thread.ids).not.toContain(note.id);
      expect(thread.bodies.join('\n')).not.toContain(word);
      const list = await ok(B, client, 'GET', '/conversations');
      const summary = list.items.find((c: any) => c.id === conversationId);
      expect(summary.lastMessage.id).toBe(visible.id);
      expect(JSON.stringify(list)).not.toContain(word);
      expect((await ok(B, client, 'GET', `/conversations?q=${word}`)).items).toEqual([]);

      // A visible message after the note: once its event is on B's stream, the note's would have been before it.
      const marker = await reply(A, agent, conversationId, 'See you then.');
      await stream.next((e) => e.type === 'message.created' && e.data.messageId === marker.id);
      expect(stream.events.filter((e) => e.type === 'message.created').map((e) => e.data.messageId)).toEqual([visible.id, marker.id]);
      expect(JSON.stringify(stream.events)).not.toContain(note.id);
    } finally {
      stream.close();
    }
  });

  it('an upload on A downloads byte for byte on B', async () => {
    const account = 'acct-files';
    const agent = staff('files-staff', [account]);
    const client = customer('files-customer', account);
    const conversationId = await conversationWith(A, agent, client);
    // A PDF header, then a megabyte of bytes that compress to nothing and survive no re-encoding.
    const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(1024 * 1024), Buffer.from('\n%%EOF\n')]);
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'site-plan.pdf');
    const uploaded = await ok(A, agent, 'POST', '/attachments', form);
    const attachmentId = uploaded.attachment.id as string;
    expect(uploaded.attachment.size).toBe(bytes.length);

    const download = async (on: Instance, as: Claims) => {
      const response = await fetch(`${on.url}/api/v1/attachments/${attachmentId}`, { headers: { authorization: `Bearer ${mintToken(as)}` } });
      expect(response.status, `download on ${on.name} as ${as.sub}`).toBe(200);
      return Buffer.from(await response.arrayBuffer());
    };
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    // The uploader, before sending it.
    expect(digest(await download(B, agent))).toBe(digest(bytes));
    await ok(A, agent, 'POST', `/conversations/${conversationId}/messages`, { body: 'The plan', attachmentIds: [attachmentId] });
    const received = await download(B, client);
    expect(received.length).toBe(bytes.length);
    expect(received.equals(bytes)).toBe(true);
  });

  it('a notice is e-mailed exactly once with both instances delivering', async () => {
    // Several recipients, each in an account of their own, written to through both instances: the two delivery
    // workers race for every batch.
    const recipients = Array.from({ length: 6 }, (_, i) => ({
      agent: staff(`mail-staff-${i}`, [`acct-mail-${i}`], `mail-staff-${i}@example.test`),
      client: customer(`mail-customer-${i}`, `acct-mail-${i}`),
    }));
    const deliveredBefore = smtp.recipients.length;
    await Promise.all(recipients.map(({ agent }, i) => ok(i % 2 ? B : A, agent, 'GET', '/me')));
    await Promise.all(
      recipients.map(({ client }, i) =>
        ok(i % 2 ? A : B, client, 'POST', '/conversations', { accountId: client.accounts[0], subject: `Question ${i}`, body: 'When is my inspection?' }),
      ),
    );
    const ours = () => smtp.recipients.slice(deliveredBefore).filter((to) => to.startsWith('mail-staff-'));
    const deadline = Date.now() + 20_000;
    while (ours().length < recipients.length && Date.now() < deadline) await sleep(100);
    // Longer than a batch window and a worker's poll: a second copy would be here by now.
    await sleep(MAIL_BATCH_SECONDS * 1000 + 1_500);
    expect(ours().sort()).toEqual(recipients.map((r) => r.agent.email).sort());
  });

  it('a write rate limit of 10 is reached by writes split over A and B', async () => {
    const account = 'acct-limit';
    const opener = staff('limit-opener', [account]);
    const writer = staff('limit-writer', [account]);
    const conversationId = await conversationWith(A, opener, customer('limit-customer', account));
    const statuses: number[] = [];
    for (let i = 0; i < WRITE_LIMIT; i++)
      statuses.push((await call(i % 2 ? B : A, writer, 'POST', `/conversations/${conversationId}/messages`, { body: `Write ${i}` })).status);
    expect(statuses).toEqual(Array(WRITE_LIMIT).fill(201));
    for (const instance of [B, A]) {
      const refused = await call(instance, writer, 'POST', `/conversations/${conversationId}/messages`, { body: 'One too many' });
      expect(refused.status, `the 11th write, on ${instance.name}`).toBe(429);
      expect(refused.json.error.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Another user is not held back by it.
    expect((await call(B, opener, 'POST', `/conversations/${conversationId}/messages`, { body: 'Still here' })).status).toBe(201);
  });

  it('kill -9 of A during a burst of sends to both loses no acknowledged message, and B keeps serving', async () => {
    const account = 'acct-crash';
    const agent = staff('crash-staff', [account]);
    const sender = writers('crash-sender', account);
    const conversations = await Promise.all(
      Array.from({ length: 6 }, (_, i) => conversationWith(B, staff(`crash-opener-${i}`, [account]), customer(`crash-customer-${i}`, account), `Case ${i}`)),
    );
    const acknowledged: { id: string; conversationId: string; on: string }[] = [];
    const failedOnB: string[] = [];
    let failedOnA = 0;
    let stopping = false;
    // Six senders at once, each to a conversation of its own, every other send through A.
    const senders = conversations.map(async (conversationId, w) => {
      for (let i = 0; !stopping; i++) {
        const on = (i + w) % 2 ? B : A;
        if (on.gone) continue;
        try {
          const answer = await call(on, sender(), 'POST', `/conversations/${conversationId}/messages`, { body: `Burst ${w}.${i}` });
          if (answer.status === 201) acknowledged.push({ id: answer.json.message.id, conversationId, on: on.name });
          else if (on === B) failedOnB.push(`${answer.status} ${JSON.stringify(answer.json)}`);
          else failedOnA++;
        } catch (error) {
          if (on === B) failedOnB.push(String(error));
          else failedOnA++;
        }
      }
    });
    const onA = () => acknowledged.filter((m) => m.on === 'A').length;
    const deadline = Date.now() + 10_000;
    while (onA() < 20 && Date.now() < deadline) await sleep(5);
    await A.kill();
    const atKill = acknowledged.length;
    await sleep(1_000);
    stopping = true;
    await Promise.all(senders);
    console.log(
      `cluster: ${acknowledged.length} sends acknowledged (${onA()} by A, ${acknowledged.length - atKill} after A was killed); ${failedOnA} sends to A failed`,
    );

    expect(onA()).toBeGreaterThanOrEqual(20);
    expect(acknowledged.length - atKill, 'sends B acknowledged after A died').toBeGreaterThan(0);
    expect(failedOnB).toEqual([]);
    for (const conversationId of conversations) {
      const { ids } = await threadIds(B, agent, conversationId);
      const expected = acknowledged.filter((m) => m.conversationId === conversationId).map((m) => m.id);
      expect(
        expected.filter((id) => !ids.includes(id)),
        `acknowledged messages missing from ${conversationId} on B`,
      ).toEqual([]);
    }
    expect((await fetch(`${B.url}/healthz`)).status).toBe(200);
  });
});
