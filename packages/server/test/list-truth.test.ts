/**
 * An inbox page computed afresh (no pages kept) against what the threads show. After random sequences of writes
 * (replies, hidden notes, status updates and changes, read and unread, trash and restore, recipients added, leaving),
 * every person's Inbox, Trash and Sent are read through the API and each row is checked against the thread the same
 * person opens: the row's last message is the newest message of the thread they may see (their own newest in Sent),
 * its unread count is what the thread holds after their last read, the order is that of those messages, and paging
 * with a cursor gives the same rows as one long page. A conversation they see with a message they may see is in one
 * of their folders unless they trashed or left it. Hidden notes and what staff wrote before a customer was added
 * never reach a customer's row (the thread, which visibility.ts decides, never shows them either).
 */
import { describe, expect, it } from 'vitest';
import { makeTestApp, people, signInAll, type TestApp, type TestUser } from './helpers.js';

type Person = keyof typeof people;
const everyone: Person[] = ['alice', 'adam', 'bob', 'sam', 'gina', 'root'];

/** A small seeded generator (mulberry32): the same sequence for the same seed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

interface ThreadMessage {
  id: string;
  author: { id: string };
  doNotReply: boolean;
}
interface Summary {
  id: string;
  unreadCount: number;
  lastMessage: { id: string; authorName: string };
}

/** What the test knows of each person's state in each conversation, from the calls it made. */
interface Mark {
  /** The newest message of the thread they saw when they last marked it read (null: never). */
  readAt: string | null;
  forcedUnread: boolean;
  /** They trashed it (and may not have restored it) or left it: the folder it is in is not checked. */
  moved: boolean;
}

async function thread(t: TestApp, user: TestUser, id: string): Promise<ThreadMessage[] | null> {
  const answer = await t.call(user, 'GET', `/conversations/${id}?limit=200`);
  if (answer.status === 404) return null;
  expect(answer.status).toBe(200);
  return answer.json.messages as ThreadMessage[];
}

async function folder(t: TestApp, user: TestUser, name: 'inbox' | 'trash' | 'sent', limit = 100): Promise<Summary[]> {
  const items: Summary[] = [];
  let cursor: string | null = null;
  do {
    const answer = await t.call(user, 'GET', `/conversations?folder=${name}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(answer.status).toBe(200);
    items.push(...(answer.json.items as Summary[]));
    cursor = answer.json.nextCursor as string | null;
  } while (cursor);
  return items;
}

async function checkAgainstThreads(t: TestApp, conversations: string[], marks: Map<string, Mark>, order: Map<string, number>, step: string) {
  for (const name of everyone) {
    const user = people[name];
    const threads = new Map<string, ThreadMessage[]>();
    for (const id of conversations) {
      const messages = await thread(t, user, id);
      if (messages) threads.set(id, messages);
    }
    const listed = new Set<string>();
    for (const name of ['inbox', 'trash', 'sent'] as const) {
      const rows = await folder(t, user, name);
      const where = `${step}: ${user.sub}'s ${name}`;
      expect(await folder(t, user, name, 2), `${where}, paged by 2`).toEqual(rows);
      const shown: number[] = [];
      for (const row of rows) {
        const messages = threads.get(row.id);
        expect(messages, `${where} lists ${row.id}, which the thread does not show`).toBeDefined();
        const own = messages!.filter((m) => m.author.id === user.sub);
        const last = name === 'sent' ? own[own.length - 1] : messages![messages!.length - 1];
        expect(row.lastMessage.id, `${where}: ${row.id}'s last message`).toBe(last?.id);
        shown.push(order.get(row.lastMessage.id)!);
        const mark = marks.get(`${user.sub} ${row.id}`);
        const readAt = mark?.readAt ? messages!.findIndex((m) => m.id === mark.readAt) : -1;
        const unread = messages!.slice(readAt + 1).filter((m) => m.author.id !== user.sub).length;
        expect(row.unreadCount, `${where}: ${row.id}'s unread count`).toBe(unread > 0 ? unread : mark?.forcedUnread ? 1 : 0);
        if (user.role === 'customer') expect(messages!.some((m) => m.doNotReply)).toBe(false);
        if (name !== 'sent') {
          expect(listed.has(row.id), `${where}: ${row.id} in two folders`).toBe(false);
          listed.add(row.id);
        }
      }
      expect(shown, `${where}: the order`).toEqual([...shown].sort((a, b) => b - a));
    }
    for (const [id, messages] of threads) {
      if (messages.length === 0 || marks.get(`${user.sub} ${id}`)?.moved) continue;
      expect(listed.has(id), `${step}: ${user.sub} sees ${id} with messages but no folder lists it`).toBe(true);
    }
  }
}

describe('an inbox page computed afresh', () => {
  it.each([1, 2, 3])('agrees with the threads after a random sequence of writes (seed %i)', async (seed) => {
    const t = makeTestApp({ SECURE_INBOX_PAGE_CACHE_MB: '0' });
    await signInAll(t);
    const { next, pick } = random(seed);
    const conversations: string[] = [];
    const marks = new Map<string, Mark>();
    const mark = (user: TestUser, id: string) => {
      const key = `${user.sub} ${id}`;
      let found = marks.get(key);
      if (!found) marks.set(key, (found = { readAt: null, forcedUnread: false, moved: false }));
      return found;
    };
    /** Message ids in the order they were written (the server's acknowledgements included), read as an admin. */
    const order = new Map<string, number>();
    const record = async (id: string) => {
      for (const m of (await thread(t, people.root, id))!) if (!order.has(m.id)) order.set(m.id, order.size);
    };

    const open = async (user: TestUser, body: Record<string, unknown>) => {
      const answer = await t.call(user, 'POST', '/conversations', { subject: `Question ${conversations.length}`, body: 'Hello', ...body });
      expect(answer.status).toBe(201);
      const id = answer.json.conversation.id as string;
      conversations.push(id);
      await record(id);
      Object.assign(mark(user, id), { readAt: (await thread(t, user, id))!.at(-1)!.id });
    };
    await open(people.alice, { accountId: 'acme' });
    await open(people.bob, { accountId: 'globex' });
    await open(people.sam, { accountId: 'acme', recipientIds: ['alice', 'adam'] });
    // Staff among themselves; a customer added later sees it from then on.
    await open(people.sam, { accountId: 'globex', recipientIds: ['gina'] });

    const actions = ['reply', 'send', 'send_leave_open', 'resolve', 'internal_note', 'status_update'] as const;
    for (let step = 0; step < 40; step++) {
      const id = pick(conversations);
      const user = people[pick(everyone)];
      const roll = next();
      let answer;
      if (roll < 0.45) {
        const action = user.role === 'customer' ? 'reply' : pick(actions);
        answer = await t.call(user, 'POST', `/conversations/${id}/messages`, { body: `Step ${step}`, action });
        if (answer.status === 201) Object.assign(mark(user, id), { readAt: answer.json.message.id as string, forcedUnread: false });
      } else if (roll < 0.75) {
        const change = pick(['read', 'read', 'unread', 'trash', 'restore', 'leave'] as const);
        const messages = await thread(t, user, id);
        answer = await t.call(user, 'POST', `/conversations/${id}/${change}`);
        if (answer.status === 204) {
          const m = mark(user, id);
          if (change === 'read') Object.assign(m, { readAt: messages!.at(-1)?.id ?? null, forcedUnread: false });
          if (change === 'unread') m.forcedUnread = true;
          if (change === 'trash' || change === 'leave') m.moved = true;
        }
      } else if (roll < 0.9) {
        const added = pick(['alice', 'adam', 'bob', 'sam', 'gina'] as const);
        answer = await t.call(user, 'POST', `/conversations/${id}/participants`, { userIds: [added] });
      } else {
        answer = await t.call(user, 'PATCH', `/conversations/${id}`, { status: pick(['open', 'attentive', 'answered', 'resolved'] as const) });
      }
      expect(answer.status, `step ${step}: ${answer.text}`).toBeLessThan(500);
      await record(id);
      if (step % 8 === 7) await checkAgainstThreads(t, conversations, marks, order, `after step ${step}`);
    }
    await checkAgainstThreads(t, conversations, marks, order, 'at the end');
  });
});
