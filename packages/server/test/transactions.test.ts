/**
 * The SQLite store's async transactions (src/store/sqlite/client.ts `transaction`, store/types.ts):
 * one at a time, committed or rolled back as a whole, savepoints inside, work after the commit only
 * after it, and reads outside a transaction that never see its rows before the commit.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { afterCommit, closeLane, openDb, transaction, type Db } from '../src/store/sqlite/client.js';
import { accounts } from '../src/store/sqlite/schema.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { audit } from '../src/domain/audit.js';
import { SECRET } from './helpers.js';

const opened: Db[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) {
    closeLane(db);
    db.$client.close();
  }
});

function fileDb(): Db {
  const db = openDb(join(mkdtempSync(join(tmpdir(), 'secure-inbox-tx-')), 'test.db'));
  opened.push(db);
  return db;
}

const names = (db: Db) =>
  db
    .select({ id: accounts.id })
    .from(accounts)
    .orderBy(accounts.id)
    .all()
    .map((r) => r.id);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('async transactions on SQLite', () => {
  it('a read outside an open transaction never sees its rows, neither before the commit nor when it rolls back', async () => {
    const db = fileDb();
    const seen: string[][] = [];
    const failing = transaction(db, async (tx) => {
      await tx.insert(accounts).values({ id: 'rolled-back' });
      // Another request reads while this transaction is open across a wait.
      await pause(20);
      seen.push(names(db));
      throw new Error('refused');
    });
    seen.push(names(db));
    await expect(failing).rejects.toThrow('refused');
    seen.push(names(db));

    const kept = transaction(db, async (tx) => {
      await tx.insert(accounts).values({ id: 'kept' });
      await pause(20);
      seen.push(names(db));
      return 'done';
    });
    seen.push(names(db));
    await expect(kept).resolves.toBe('done');
    seen.push(names(db));
    expect(seen).toEqual([[], [], [], [], [], ['kept']]);
  });

  it('runs transactions one at a time, in order of arrival: read-modify-write across a wait loses nothing', async () => {
    const db = fileDb();
    db.insert(accounts).values({ id: 'counter', name: '0' }).run();
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        transaction(db, async (tx) => {
          const [row] = await tx.select({ name: accounts.name }).from(accounts).where(eq(accounts.id, 'counter'));
          await pause(5);
          await tx
            .update(accounts)
            .set({ name: String(Number(row!.name) + 1) })
            .where(eq(accounts.id, 'counter'));
          order.push(n);
        }),
      ),
    );
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(db.select({ name: accounts.name }).from(accounts).where(eq(accounts.id, 'counter')).get()?.name).toBe('5');
  });

  it('a body that does not await commits before the call returns', () => {
    const db = fileDb();
    void transaction(db, (tx) => tx.insert(accounts).values({ id: 'at-once' }).run());
    expect(names(db)).toEqual(['at-once']);
  });

  it('nests as savepoints: a nested transaction that fails is rolled back alone, with its work after commit', async () => {
    const db = fileDb();
    const after: string[] = [];
    await transaction(
      db,
      async (tx) => {
        await tx.insert(accounts).values({ id: 'outer' });
        afterCommit(tx, () => after.push('outer hook'));
        await expect(
          transaction(
            db,
            async (inner) => {
              await inner.insert(accounts).values({ id: 'inner-failed' });
              afterCommit(inner, () => after.push('failed hook'));
              throw new Error('inner');
            },
            { afterCommit: () => after.push('failed option') },
          ),
        ).rejects.toThrow('inner');
        await transaction(tx, (inner) => inner.insert(accounts).values({ id: 'inner-kept' }).run(), { afterCommit: () => after.push('kept option') });
        // A body that does not await nests the same way.
        await transaction(tx, (inner) => inner.insert(accounts).values({ id: 'sync-kept' }).run());
        expect(after).toEqual([]);
      },
      { afterCommit: () => after.push('outer option') },
    );
    expect(names(db)).toEqual(['inner-kept', 'outer', 'sync-kept']);
    expect(after).toEqual(['outer hook', 'kept option', 'outer option']);
  });

  it('runs afterCommit after the commit, never after a rollback', async () => {
    const db = fileDb();
    const after: string[][] = [];
    await transaction(db, (tx) => tx.insert(accounts).values({ id: 'a' }).run(), { afterCommit: () => after.push(names(db)) });
    await expect(
      transaction(
        db,
        async (tx) => {
          await tx.insert(accounts).values({ id: 'b' });
          throw new Error('no');
        },
        { afterCommit: () => after.push(['rolled back']) },
      ),
    ).rejects.toThrow('no');
    // A failure at the commit itself (a deferred constraint here) is a rollback too.
    await expect(
      transaction(
        db,
        (tx) => {
          tx.run(sql`PRAGMA defer_foreign_keys = ON`);
          tx.run(sql`INSERT INTO topics (id, account_id, name) VALUES ('t', 'missing', 'x')`);
        },
        { afterCommit: () => after.push(['commit failed']) },
      ),
    ).rejects.toThrow(/FOREIGN KEY/);
    expect(after).toEqual([['a']]);
    expect(names(db)).toEqual(['a']);
    // The lane is free again.
    await transaction(db, (tx) => tx.insert(accounts).values({ id: 'c' }).run());
    expect(names(db)).toEqual(['a', 'c']);
  });

  it('is the store seam: Store.transaction settles after the commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-tx-'));
    const config = loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_DB: join(dir, 'test.db'), SECURE_INBOX_DATA_DIR: dir });
    const store = openSqliteStore(config, { writerThread: false });
    try {
      const id = await store.transaction(async (tx) => {
        await tx.insert(accounts).values({ id: 'seam' });
        return 'seam';
      });
      expect(id).toBe('seam');
      expect(names(store.db)).toEqual(['seam']);
    } finally {
      await store.close();
    }
  });

  it("writes a refusal's audit row once the transaction it was met in has rolled back, and only then", async () => {
    const db = fileDb();
    const deniedRows = () =>
      db.all<{ target_id: string }>(sql`SELECT target_id FROM audit_events WHERE outcome = 'denied' ORDER BY id`).map((r) => r.target_id);
    const seenInside: string[][] = [];
    const failing = transaction(db, async (tx) => {
      audit(tx, { actorId: 'bob', action: 'conversation.read', outcome: 'denied', targetType: 'conversation', targetId: 'c_tx' });
      // Met with the connection serving reads, inside the transaction's async work: not a savepoint of it either.
      audit(db, { actorId: 'bob', action: 'conversation.read', outcome: 'denied', targetType: 'conversation', targetId: 'c_home' });
      await pause(20);
      seenInside.push(deniedRows());
      throw new Error('refused');
    });
    await expect(failing).rejects.toThrow('refused');
    await transaction(db, () => undefined);
    expect(seenInside).toEqual([[]]);
    expect(deniedRows()).toEqual(['c_tx', 'c_home']);
  });
});
