import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { afterCommit, homeOf, isPostgres, transaction, transactionAfter } from '../../src/store/runtime.js';
import { prepareOnce } from '../../src/store/prepared.js';
import { execute, firstRow, rows } from '../../src/store/sql.js';
import type { Db } from '../../src/store/sqlite/client.js';
import * as schema from '../../src/store/sqlite/schema.js';
import { useTestDatabase } from './database.js';

const database = useTestDatabase();
let pool: PgDb;
let db: Db;

beforeAll(() => {
  pool = openPostgres(database.url(), { max: 3 });
  // The domain's type for a database: Drizzle typed by the SQLite schema (store/types.ts).
  db = pool as unknown as Db;
});
afterAll(() => pool.$client.end());

const accountIds = async (reader: Db = db) => (await rows<{ id: string }>(reader, sql`SELECT id FROM accounts ORDER BY id`)).map((r) => r.id);

describe('the domain’s queries on PostgreSQL', () => {
  it('run the SQLite-typed builder and raw SQL alike, with bigints and booleans as the domain reads them', async () => {
    expect(isPostgres(db)).toBe(true);
    await db.insert(schema.accounts).values({ id: 'typed', name: 'Typed' });
    await db.insert(schema.users).values({ id: 'u-typed', name: 'U', role: 'customer' });
    const at = new Date().toISOString();
    await db
      .insert(schema.conversations)
      .values({ id: 'c-typed', accountId: 'typed', subject: 'S', status: 'open', createdBy: 'u-typed', createdAt: at, updatedAt: at, publicUpdatedAt: at });
    await db.insert(schema.conversationUsers).values({ conversationId: 'c-typed', userId: 'u-typed', participant: true });
    const [row] = await db.select().from(schema.conversationUsers);
    expect(row).toMatchObject({ participant: true, trashed: false, lastReadSeq: 0 });
    const [message] = await db
      .insert(schema.messages)
      .values({
        id: 'm-typed',
        conversationId: 'c-typed',
        accountId: 'typed',
        kind: 'message',
        body: '<p>x</p>',
        text: 'x',
        authorId: 'u-typed',
        createdAt: at,
      })
      .returning({ seq: schema.messages.seq });
    expect(typeof message!.seq).toBe('number');
    expect(
      await firstRow<{ n: number; conversationId: string }>(db, sql`SELECT count(*) AS n, min(conversation_id) AS "conversationId" FROM messages`),
    ).toEqual({
      n: 1,
      conversationId: 'c-typed',
    });
    expect(await execute(db, sql`UPDATE conversation_users SET trashed = TRUE WHERE user_id = ${'u-typed'}`)).toBe(1);
  });
});

describe('transactions on PostgreSQL', () => {
  it('commit, then run the work after the commit', async () => {
    const order: string[] = [];
    await transaction(
      db,
      async (tx) => {
        await tx.insert(schema.accounts).values({ id: 'a1' });
        afterCommit(tx, () => order.push('registered'));
        order.push('body');
      },
      { afterCommit: () => order.push('option') },
    );
    expect(order).toEqual(['body', 'registered', 'option']);
    expect(await accountIds()).toContain('a1');
  });

  it('roll back when the body throws, and drop the work after the commit', async () => {
    const ran: string[] = [];
    await expect(
      transaction(db, async (tx) => {
        await tx.insert(schema.accounts).values({ id: 'a2' });
        afterCommit(tx, () => ran.push('after'));
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(ran).toEqual([]);
    expect(await accountIds()).not.toContain('a2');
  });

  it('keep rows of a transaction still open from readers outside it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const written = new Promise<void>((resolve) => (inserted = resolve));
    const open = transaction(db, async (tx) => {
      await tx.insert(schema.accounts).values({ id: 'a3' });
      inserted();
      await held;
    });
    await written;
    expect(await accountIds()).not.toContain('a3');
    release();
    await open;
    expect(await accountIds()).toContain('a3');
  });

  it('nest as savepoints: an inner failure rolls back alone with its work after the commit', async () => {
    const ran: string[] = [];
    await transaction(db, async (tx) => {
      await tx.insert(schema.accounts).values({ id: 'outer' });
      await expect(
        transaction(db, async (inner) => {
          await inner.insert(schema.accounts).values({ id: 'inner' });
          afterCommit(inner, () => ran.push('inner'));
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await transaction(db, async (inner) => {
        await inner.insert(schema.accounts).values({ id: 'inner-kept' });
        afterCommit(inner, () => ran.push('kept'));
      });
      expect(homeOf(tx)).toBe(homeOf(db));
    });
    expect(ran).toEqual(['kept']);
    const ids = await accountIds();
    expect(ids).toEqual(expect.arrayContaining(['outer', 'inner-kept']));
    expect(ids).not.toContain('inner');
  });

  it('write a row asked for inside a transaction that rolls back once it has ended, in a transaction of its own', async () => {
    let afterRow: Promise<void> | undefined;
    await expect(
      transaction(db, async (tx) => {
        await tx.insert(schema.accounts).values({ id: 'doomed' });
        afterRow = transactionAfter(tx, async (own) => {
          await own.insert(schema.accounts).values({ id: 'refusal-row' });
        });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await afterRow;
    const ids = await accountIds();
    expect(ids).toContain('refusal-row');
    expect(ids).not.toContain('doomed');
  });
});

describe('queries kept by prepareOnce on PostgreSQL', () => {
  const insertAccount = (tx: Db) =>
    prepareOnce(tx, 'test.insert-account', (d) =>
      d
        .insert(schema.accounts)
        .values({ id: sql.placeholder('id'), name: 'Kept' })
        .prepare(),
    );

  it('run inside the transaction open on their connection: rolled back with it, kept by its commit, reused by the next', async () => {
    const kept: unknown[] = [];
    await expect(
      transaction(db, async (tx) => {
        const query = insertAccount(tx);
        kept.push(query);
        await query.execute({ id: 'kept-rolled-back' });
        expect(await accountIds(tx)).toContain('kept-rolled-back');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await accountIds()).not.toContain('kept-rolled-back');
    // Three connections: enough transactions one after the other to come back to the first one's connection.
    for (let i = 0; i < 4; i++) {
      await transaction(db, async (tx) => {
        const query = insertAccount(tx);
        kept.push(query);
        await query.execute({ id: `kept-${i}` });
      });
    }
    expect(await accountIds()).toEqual(expect.arrayContaining(['kept-0', 'kept-1', 'kept-2', 'kept-3']));
    // Built once per connection, not once per transaction.
    expect(new Set(kept).size).toBeLessThan(kept.length);
  });

  it('never cross from one connection’s transaction into another’s', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = transaction(db, async (tx) => {
      await insertAccount(tx).execute({ id: 'kept-first' });
      await held;
      throw new Error('roll back the first');
    });
    await transaction(db, async (tx) => {
      await insertAccount(tx).execute({ id: 'kept-second' });
      expect(await accountIds(tx)).not.toContain('kept-first');
    });
    release();
    await expect(first).rejects.toThrow('roll back the first');
    const ids = await accountIds();
    expect(ids).toContain('kept-second');
    expect(ids).not.toContain('kept-first');
  });
});
