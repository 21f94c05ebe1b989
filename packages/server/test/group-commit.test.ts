/**
 * Sends are committed in groups (src/store/sqlite/group-commit.ts): writes arriving together share one
 * transaction, each in a savepoint of its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deferToGroupEnd, groupWrite } from '../src/store/sqlite/group-commit.js';
import { connectionsOf, type Db } from '../src/store/sqlite/client.js';
import { makeTestApp, people, signInAll, startConversation, type TestApp } from './helpers.js';

let t: TestApp;
afterEach(() => t?.db.$client.close());

const count = (sql: string, ...params: unknown[]) => (t.db.$client.prepare(sql).get(...params) as { n: number }).n;

describe('group commit', () => {
  it('commits concurrent sends together; a refused send in the group leaves no trace and the others stand', async () => {
    t = makeTestApp();
    await signInAll(t);
    const conv = await startConversation(t, people.alice);
    const messagesBefore = count('SELECT count(*) AS n FROM messages WHERE conversation_id = ?', conv.id);
    const noticesBefore = count('SELECT count(*) AS n FROM notifications');
    const results = await Promise.all([
      t.call(people.sam, 'POST', `/conversations/${conv.id}/messages`, { body: '<p>one</p>' }),
      t.call(people.alice, 'POST', `/conversations/${conv.id}/messages`, { body: '<p>two</p>', attachmentIds: ['att_nope'] }),
      t.call(people.alice, 'POST', `/conversations/${conv.id}/messages`, { body: '<p>three</p>' }),
      t.call(people.bob, 'POST', `/conversations/${conv.id}/messages`, { body: '<p>four</p>' }),
      t.call(people.sam, 'POST', `/conversations/${conv.id}/messages`, { body: '<p>five</p>', action: 'internal_note' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([201, 404, 201, 404, 201]);
    const bodies = (t.db.$client.prepare('SELECT body FROM messages WHERE conversation_id = ? ORDER BY seq').all(conv.id) as { body: string }[]).map(
      (r) => r.body,
    );
    // Concurrent requests reach the group in whatever order their authentication finishes.
    expect(bodies.slice(-3).sort()).toEqual(['<p>five</p>', '<p>one</p>', '<p>three</p>']);
    expect(bodies.length).toBe(messagesBefore + 3);
    // The refused attachment claim rolled back its message, its search row and its notices only.
    expect(count("SELECT count(*) AS n FROM message_search WHERE message_search MATCH 'two'")).toBe(0);
    // The others' search rows, written at the end of the group, are there and found by search.
    for (const word of ['one', 'three', 'five']) expect(count('SELECT count(*) AS n FROM message_search WHERE message_search MATCH ?', word)).toBe(1);
    const search = async (q: string) => ((await t.call(people.sam, 'GET', `/conversations?q=${q}`)).json.items as { id: string }[]).map((c) => c.id);
    expect(await search('three')).toEqual([conv.id]);
    expect(await search('two')).toEqual([]);
    expect(count('SELECT count(*) AS n FROM notifications')).toBeGreaterThan(noticesBefore);
    expect(count("SELECT count(*) AS n FROM audit_events WHERE action = 'message.reply' AND outcome = 'ok' AND actor_id = 'alice'")).toBe(1);
    // Bob's foreign conversation id is refused as unknown and audited as a denied access.
    await new Promise((r) => setImmediate(r));
    expect(count("SELECT count(*) AS n FROM audit_events WHERE actor_id = 'bob' AND action = 'message.create' AND outcome = 'denied'")).toBe(1);
    // Each answer is its own message, read back after the commit.
    expect(results[0]!.json.message.body).toBe('<p>one</p>');
    expect(results[2]!.json.message.body).toBe('<p>three</p>');
    expect(results[4]!.json.message.doNotReply).toBe(true);
  });

  it('answers each caller only after the commit, with its own result or error', async () => {
    t = makeTestApp();
    const db = t.db;
    db.$client.exec('CREATE TABLE gc (v TEXT UNIQUE)');
    const insert = (v: string) => (tx: Db) => tx.$client.prepare('INSERT INTO gc (v) VALUES (?)').run(v).changes;
    let committedWhenAnswered = -1;
    const first = groupWrite(db, insert('a')).then((n) => {
      committedWhenAnswered = (db.$client.prepare('SELECT count(*) AS n FROM gc').get() as { n: number }).n;
      expect(db.$client.inTransaction).toBe(false);
      return n;
    });
    const duplicate = groupWrite(db, insert('a'));
    const third = groupWrite(db, insert('b'));
    expect(db.$client.inTransaction).toBe(false);
    await expect(first).resolves.toBe(1);
    await expect(duplicate).rejects.toThrow(/UNIQUE/);
    await expect(third).resolves.toBe(1);
    expect(committedWhenAnswered).toBe(2);
    expect((db.$client.prepare('SELECT group_concat(v) AS v FROM gc').get() as { v: string }).v).toBe('a,b');
  });

  it('runs deferred work after every write of the group, in its transaction, and drops the deferred work of a write that failed', async () => {
    t = makeTestApp();
    const db = t.db;
    db.$client.exec('CREATE TABLE gc (v TEXT UNIQUE)');
    const order: string[] = [];
    const write = (v: string) => async (tx: Db) => {
      tx.$client.prepare('INSERT INTO gc (v) VALUES (?)').run(v);
      order.push(`write ${v}`);
      await deferToGroupEnd(tx, () => {
        order.push(`deferred ${v} (in transaction: ${tx.$client.inTransaction})`);
        tx.$client.prepare('INSERT INTO gc (v) VALUES (?)').run(`${v}-late`);
      });
      if (v === 'b') throw new Error('b is refused after deferring');
      return v;
    };
    const results = await Promise.allSettled([groupWrite(db, write('a')), groupWrite(db, write('b')), groupWrite(db, write('c'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(order).toEqual(['write a', 'write b', 'write c', 'deferred a (in transaction: true)', 'deferred c (in transaction: true)']);
    expect((db.$client.prepare('SELECT group_concat(v) AS v FROM (SELECT v FROM gc ORDER BY rowid)').get() as { v: string }).v).toBe('a,c,a-late,c-late');

    // Outside a group the work runs at once.
    const alone: string[] = [];
    await deferToGroupEnd(db, () => alone.push('now'));
    expect(alone).toEqual(['now']);
  });

  it('fails the whole group when its deferred work fails', async () => {
    t = makeTestApp();
    const db = t.db;
    db.$client.exec('CREATE TABLE gc (v TEXT UNIQUE)');
    const first = groupWrite(db, async (tx) => {
      tx.$client.prepare("INSERT INTO gc (v) VALUES ('x')").run();
      await deferToGroupEnd(tx, () => tx.$client.prepare("INSERT INTO gc (v) VALUES ('x')").run());
    });
    const second = groupWrite(db, (tx) => tx.$client.prepare("INSERT INTO gc (v) VALUES ('y')").run().changes);
    await expect(first).rejects.toThrow(/UNIQUE/);
    await expect(second).rejects.toThrow(/UNIQUE/);
    expect((db.$client.prepare('SELECT count(*) AS n FROM gc').get() as { n: number }).n).toBe(0);
  });

  it('fails every write of a group whose commit fails, and saves none of them', async () => {
    t = makeTestApp();
    const db = t.db;
    db.$client.exec('CREATE TABLE gc (id INTEGER PRIMARY KEY, v TEXT)');
    // A deferred foreign key is only checked at COMMIT: the whole group fails there.
    db.$client.exec('CREATE TABLE gc_child (p INTEGER REFERENCES gc(id) DEFERRABLE INITIALLY DEFERRED)');
    const ok = groupWrite(db, (tx) => tx.$client.prepare("INSERT INTO gc (v) VALUES ('x')").run().changes);
    const breaks = groupWrite(db, (tx) => tx.$client.prepare('INSERT INTO gc_child (p) VALUES (999)').run().changes);
    await expect(ok).rejects.toThrow(/FOREIGN KEY/);
    await expect(breaks).rejects.toThrow(/FOREIGN KEY/);
    expect((db.$client.prepare('SELECT count(*) AS n FROM gc').get() as { n: number }).n).toBe(0);
  });

  it('when the disk fills up in the middle of a group, saves exactly the sends it acknowledged', async () => {
    t = makeTestApp();
    await signInAll(t);
    const conv = await startConversation(t, people.alice);
    const pages = t.db.$client.pragma('page_count', { simple: true }) as number;
    // Every connection of the database: the sends are written on the transactions' own.
    for (const connection of connectionsOf(t.db)) connection.pragma(`max_page_count = ${pages + 30}`);
    const consoleError = console.error;
    console.error = () => {};
    const results = [];
    try {
      for (let round = 0; round < 10; round++) {
        results.push(
          ...(await Promise.all(
            [0, 1, 2, 3].map((i) =>
              t.call(people.alice, 'POST', `/conversations/${conv.id}/messages`, { body: `<p>${round}-${i} ${'lorem ipsum dolor sit amet '.repeat(300)}</p>` }),
            ),
          )),
        );
      }
    } finally {
      console.error = consoleError;
    }
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].every((s) => s === 201 || s === 507)).toBe(true);
    expect(statuses.has(507)).toBe(true);
    const acknowledged = results
      .filter((r) => r.status === 201)
      .map((r) => r.json.message.id as string)
      .sort();
    for (const connection of connectionsOf(t.db)) connection.pragma('max_page_count = 1073741823');
    const stored = (
      t.db.$client
        .prepare('SELECT id FROM messages WHERE conversation_id = ? AND seq > (SELECT first_seq FROM conversations WHERE id = ?)')
        .all(conv.id, conv.id) as { id: string }[]
    )
      .map((r) => r.id)
      .sort();
    expect(stored).toEqual(acknowledged);
  });
});
