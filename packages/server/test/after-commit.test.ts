/**
 * Work after a commit (src/store/sqlite/client.ts `afterCommit`, `afterTransaction`): stream wake-ups
 * and change versions only once the data is committed and never for a rollback; refusals' audit rows
 * once the transaction is over, whatever its outcome.
 */
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { afterCommit, afterTransaction, openDb, transaction, type Db } from '../src/store/sqlite/client.js';
import { groupWrite } from '../src/store/sqlite/group-commit.js';

let db: Db;
afterEach(() => db?.$client.close());

describe('work after a commit', () => {
  it('runs after the commit, outside the transaction, and not at all for a rollback', async () => {
    db = openDb(':memory:');
    const seen: string[] = [];
    const note = (what: string) => () => seen.push(`${what}${db.$client.inTransaction ? ' (inside)' : ''}`);
    await transaction(db, (tx) => {
      tx.run(sql`INSERT INTO accounts (id) VALUES ('a1')`);
      afterCommit(tx, note('committed'));
      afterTransaction(tx, note('ended'));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['committed', 'ended']);

    seen.length = 0;
    await expect(
      transaction(db, (tx) => {
        afterCommit(tx, note('committed'));
        afterTransaction(tx, note('ended'));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(seen).toEqual(['ended']);

    // Outside a transaction: at once.
    seen.length = 0;
    afterCommit(db, note('now'));
    expect(seen).toEqual(['now']);
  });

  it('drops what a savepoint rolled back registered, and keeps the rest', async () => {
    db = openDb(':memory:');
    const seen: string[] = [];
    await transaction(db, async (tx) => {
      afterCommit(tx, () => seen.push('outer'));
      await expect(
        transaction(tx, (inner) => {
          afterCommit(inner, () => seen.push('inner, rolled back'));
          afterTransaction(inner, () => seen.push('inner ended'));
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      await transaction(tx, (inner) => afterCommit(inner, () => seen.push('inner, kept')));
    });
    expect(seen).toEqual(['outer', 'inner, kept', 'inner ended']);
  });

  it('in a group commit: once the group committed, without the work of a job that failed', async () => {
    db = openDb(':memory:');
    const seen: string[] = [];
    const results = await Promise.allSettled([
      groupWrite(db, (tx) => afterCommit(tx, () => seen.push(`one${db.$client.inTransaction ? ' (inside)' : ''}`))),
      groupWrite(db, (tx) => {
        afterCommit(tx, () => seen.push('two'));
        throw new Error('two fails');
      }),
      groupWrite(db, (tx) => afterCommit(tx, () => seen.push('three'))),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(seen).toEqual(['one', 'three']);
  });
});
