/**
 * What a send costs where it is written: the server's write jobs run in this process, on a copy of a
 * generated database, the way the writer thread runs them (group commits, `--in-flight` sends waiting
 * at once). No HTTP, no second thread: CPU time per send is the writer thread's share of a send.
 *
 * Prints sends/s and CPU µs per send beside a yardstick run the same way on the same copy (each
 * send's message row alone, inserted into a table without indexes), and the WAL pages a send appends,
 * per table and index: every page a commit touches is written to the WAL once per commit and copied
 * back by a checkpoint, so pages per send is what the disk side of a send costs. The pages are counted
 * after the timed sends, over half as many more with checkpoints off.
 *
 *   cd bench && node --import tsx send-pages.ts [--size 1m] [--sends 20000] [--in-flight 16]
 */
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../packages/server/src/config.js';
import { openDb, type Db } from '../packages/server/src/store/sqlite/client.js';
import { BACKSTOP_PAGES } from '../packages/server/src/store/sqlite/checkpointer.js';
import { groupWrite, ownConnection } from '../packages/server/src/store/sqlite/group-commit.js';
import { prepareRichText } from '../packages/server/src/domain/rich-text.js';
import { writeJobs } from '../packages/server/src/domain/write-jobs.js';
import { notifyEffects } from '../packages/server/src/notify/effects.js';
import { ensureDb } from './generate.js';
import { machine, saveResults } from './lib/report.js';
import { SECRET } from './lib/server.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const size = arg('size', '1m');
const sends = Number(arg('sends', '20000'));
const inFlight = Number(arg('in-flight', '16'));

const { file: source, meta } = ensureDb(size);
const dir = mkdtempSync(join(tmpdir(), 'secure-inbox-send-pages-'));
const file = join(dir, 'inbox.db');
const body = prepareRichText('<p>Thanks, we received the signed form and will review it this week.</p>');
const senders = meta.senders.map((s) => ({
  viewer: { id: s.user.sub, name: s.user.name, email: s.user.email ?? null, role: s.user.role, accounts: s.user.accounts },
  conversationId: s.conversationId,
}));

/** Runs `count` writes, `inFlight` waiting at any time; returns wall and CPU time. */
async function drive(count: number, write: (i: number) => Promise<unknown>) {
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const lane = async () => {
    while (next < count) await write(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuUs: used.user + used.system };
}

/** A fresh copy of the generated database, read once so that the page cache holds it like a running server's. */
function freshCopy(): Db {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  copyFileSync(source, file);
  const fd = openSync(file, 'r');
  const chunk = Buffer.alloc(1 << 20);
  for (let position = 0; readSync(fd, chunk, 0, chunk.length, position) > 0; position += chunk.length);
  closeSync(fd);
  const db = openDb(file, { migrate: false });
  // The writer thread's connection: its group commits run on it directly.
  ownConnection(db);
  return db;
}

/** Pages appended to the WAL since it was last empty, by the table or index they belong to. */
function walPages(db: Db): Map<string, number> {
  const wal = readFileSync(`${file}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const names = new Map((db.$client.prepare('SELECT pageno, name FROM dbstat').raw().all() as [number, string][]).map(([page, name]) => [page, name]));
  const pages = new Map<string, number>();
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    const name = names.get(wal.readUInt32BE(offset)) ?? '(freed)';
    pages.set(name, (pages.get(name) ?? 0) + 1);
  }
  return pages;
}

const config = loadConfig({ SECURE_INBOX_JWT_SECRET: SECRET, SECURE_INBOX_DB: file, SECURE_INBOX_DATA_DIR: dir });
console.log(
  `Writer cost of a send, ${size} (${meta.messages.toLocaleString('en')} messages), ${sends.toLocaleString('en')} sends, ${inFlight} in flight; ${machine()}`,
);

// The yardstick: each send's message row alone, in group commits of the same size, on the same copy.
let db = freshCopy();
db.$client.exec('CREATE TABLE bare_messages (conversation_id TEXT, author_id TEXT, body TEXT, text TEXT, created_at TEXT)');
const bareInsert = db.$client.prepare('INSERT INTO bare_messages VALUES (?, ?, ?, ?, ?)');
const bare = (i: number) => {
  const s = senders[i % senders.length]!;
  return groupWrite(db, () => bareInsert.run(s.conversationId, s.viewer.id, body.body, body.text, new Date().toISOString()));
};
await drive(sends, bare);
const yardstick = await drive(sends, bare);
db.$client.close();

// Sends, after as many again to warm up, with the writer's own checkpoint threshold.
db = freshCopy();
db.$client.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
const jobs = writeJobs(db, notifyEffects(config));
const send = (i: number) => {
  const s = senders[i % senders.length]!;
  return jobs.postMessage(s.viewer, s.conversationId, { body: body.body }, body);
};
await drive(sends, send);
const measured = await drive(sends, send);

// The pages: the same database after an empty checkpoint, checkpoints off, so that the WAL keeps every
// page written. (A long WAL makes every read look through it: the CPU figure comes from the run before.)
db.$client.pragma('wal_checkpoint(TRUNCATE)');
db.$client.pragma('wal_autocheckpoint = 0');
const counted = Math.max(2_000, Math.round(sends / 2));
await drive(counted, send);
const pages = walPages(db);
const walBytes = statSync(`${file}-wal`).size;
db.$client.close();
rmSync(dir, { recursive: true, force: true });

const perSecond = (run: { ms: number }) => (sends / run.ms) * 1000;
const cpuPerSend = (run: { cpuUs: number }) => run.cpuUs / sends;
const totalPages = [...pages.values()].reduce((a, b) => a + b, 0);
const written = counted;
console.log(`\n${'run'.padEnd(34)}${'sends/s'.padStart(10)}${'CPU µs/send'.padStart(13)}`);
console.log(`${'message row alone (yardstick)'.padEnd(34)}${perSecond(yardstick).toFixed(0).padStart(10)}${cpuPerSend(yardstick).toFixed(0).padStart(13)}`);
console.log(`${'send (staff reply)'.padEnd(34)}${perSecond(measured).toFixed(0).padStart(10)}${cpuPerSend(measured).toFixed(0).padStart(13)}`);
console.log(
  `ratio send / yardstick: CPU ${(cpuPerSend(measured) / cpuPerSend(yardstick)).toFixed(1)} ×, sends/s ${(perSecond(measured) / perSecond(yardstick)).toFixed(2)} ×`,
);
console.log(
  `\nWAL pages per send: ${(totalPages / written).toFixed(2)} (${(walBytes / written / 1024).toFixed(1)} KB; counted over ${written.toLocaleString('en')} sends)`,
);
const rows = [...pages].sort((a, b) => b[1] - a[1]);
for (const [name, count] of rows) if (count / written >= 0.01) console.log(`  ${name.padEnd(40)}${(count / written).toFixed(2).padStart(6)}`);

saveResults('send-pages', {
  size,
  sends,
  inFlight,
  yardstick: { perSecond: perSecond(yardstick), cpuUsPerSend: cpuPerSend(yardstick) },
  send: { perSecond: perSecond(measured), cpuUsPerSend: cpuPerSend(measured) },
  walPagesPerSend: totalPages / written,
  walPagesPerSendBy: Object.fromEntries(rows.map(([name, count]) => [name, count / written])),
});
