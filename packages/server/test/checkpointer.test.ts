/**
 * WAL checkpoints run on a thread of their own (src/store/sqlite/checkpointer.ts): committed writes reach the
 * database file without the writer copying them, and a clean stop leaves no WAL behind.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { startCheckpointer } from '../src/store/sqlite/checkpointer.js';
import { openDb } from '../src/store/sqlite/client.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-checkpoint-'));
  const file = join(dir, 'inbox.db');
  const db = openDb(file);
  db.$client.exec('CREATE TABLE probe (x TEXT)');
  /** Rows of `probe` in the database file alone, as a copy of only the `.db` file would hold them. */
  const rowsInFileAlone = () => {
    const copy = join(dir, `copy-${Math.random().toString(36).slice(2)}.db`);
    copyFileSync(file, copy);
    const reader = new Database(copy);
    try {
      const table = reader.prepare("SELECT 1 FROM sqlite_master WHERE name = 'probe'").get();
      return table ? (reader.prepare('SELECT count(*) AS n FROM probe').get() as { n: number }).n : 0;
    } finally {
      reader.close();
    }
  };
  const write = (n: number) => {
    const insert = db.$client.prepare('INSERT INTO probe VALUES (?)');
    for (let i = 0; i < n; i++) insert.run('x'.repeat(1000));
  };
  return { db, file, rowsInFileAlone, write };
}

describe('the checkpoint thread', () => {
  it('copies committed writes into the database file; without it they stay in the WAL', async () => {
    const without = setup();
    without.write(50);
    expect(without.rowsInFileAlone()).toBe(0);
    without.db.$client.close();

    const t = setup();
    const checkpointer = startCheckpointer(t.db, t.file, { intervalMs: 20 });
    t.write(50);
    await vi.waitFor(() => expect(t.rowsInFileAlone()).toBe(50), { timeout: 5_000, interval: 50 });
    t.write(25);
    await vi.waitFor(() => expect(t.rowsInFileAlone()).toBe(75), { timeout: 5_000, interval: 50 });
    await checkpointer.stop();
    t.db.$client.close();
  });

  it('stops cleanly: the writer then closes the database and no WAL is left', async () => {
    const t = setup();
    const checkpointer = startCheckpointer(t.db, t.file, { intervalMs: 20 });
    t.write(100);
    await checkpointer.stop();
    t.db.$client.close();
    expect(existsSync(`${t.file}-wal`)).toBe(false);
    const reader = new Database(t.file);
    expect((reader.prepare('SELECT count(*) AS n FROM probe').get() as { n: number }).n).toBe(100);
    reader.close();
  });
});
