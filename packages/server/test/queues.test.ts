import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, people, signInAll } from './helpers.js';

const { alice, bob, sam, gina } = people;

describe('staff queues', () => {
  let t: ReturnType<typeof makeTestApp>;
  const ask = async (user = alice, accountId = 'acme') =>
    (await t.call(user, 'POST', '/conversations', { accountId, subject: 'A question', body: 'Please help' })).json.conversation.id as string;

  beforeEach(async () => {
    t = makeTestApp();
    await signInAll(t);
  });

  it('counts each status and assignee filter of the Inbox, and each count matches what the filter lists', async () => {
    const first = await ask();
    const second = await ask();
    const third = await ask(bob, 'globex');
    await t.call(sam, 'POST', `/conversations/${first}/messages`, { body: 'Answered.', action: 'send' });
    await t.call(sam, 'PATCH', `/conversations/${second}`, { assigneeId: 'sam' });
    await t.call(sam, 'POST', `/conversations/${third}/messages`, { body: 'Done.', action: 'resolve' });

    const counts = await t.call(sam, 'GET', '/queues');
    expect(counts.status).toBe(200);
    expect(counts.json).toEqual({ status: { open: 1, attentive: 0, answered: 1, resolved: 1 }, assignee: { me: 1, none: 2, all: 3 } });

    for (const status of ['open', 'answered', 'resolved', 'attentive'] as const) {
      const listed = await t.call(sam, 'GET', `/conversations?status=${status}`);
      expect(listed.json.items.length).toBe(counts.json.status[status]);
    }
    expect((await t.call(sam, 'GET', '/conversations?assignee=me')).json.items.length).toBe(1);
    expect((await t.call(sam, 'GET', '/conversations?assignee=none')).json.items.length).toBe(2);

    // Filters narrow the other dimension: the assignee counts within "open", the status counts within "mine".
    expect((await t.call(sam, 'GET', '/queues?status=open')).json.assignee).toEqual({ me: 1, none: 0, all: 1 });
    expect((await t.call(sam, 'GET', '/queues?assignee=none')).json.status).toEqual({ open: 0, attentive: 0, answered: 1, resolved: 1 });
    expect((await t.call(sam, 'GET', '/queues?accountId=globex')).json.assignee.all).toBe(1);
  });

  it('counts only what the staff member may see, and nothing trashed', async () => {
    await ask();
    const globex = await ask(bob, 'globex');
    expect((await t.call(gina, 'GET', '/queues')).json.assignee.all).toBe(1);
    await t.call(gina, 'POST', `/conversations/${globex}/trash`);
    expect((await t.call(gina, 'GET', '/queues')).json.assignee.all).toBe(0);
  });

  it('is for staff: a customer gets 403, bad filters 422', async () => {
    expect((await t.call(alice, 'GET', '/queues')).status).toBe(403);
    const bad = await t.call(sam, 'GET', '/queues?status=closed');
    expect(bad.status).toBe(422);
    expect(bad.json.error.details[0].field).toBe('status');
  });

  it('lists the oldest waiting first on request', async () => {
    const older = await ask();
    const newer = await ask();
    await t.call(alice, 'POST', `/conversations/${older}/messages`, { body: 'Any news?' });
    const newest = (await t.call(sam, 'GET', '/conversations')).json.items.map((i: any) => i.id);
    expect(newest).toEqual([older, newer]);
    const oldest = (await t.call(sam, 'GET', '/conversations?sort=oldest')).json.items.map((i: any) => i.id);
    expect(oldest).toEqual([older, newer]);
    const page = await t.call(sam, 'GET', '/conversations?sort=oldest&limit=1');
    const next = await t.call(sam, 'GET', `/conversations?sort=oldest&limit=1&cursor=${page.json.nextCursor}`);
    expect([page.json.items[0].id, next.json.items[0].id]).toEqual([older, newer]);
  });
});
