import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Suites whose sends and sign-ins are also run written on the writer thread, as the server on a
 * database file writes them (src/store/sqlite/writer-thread.ts; test/helpers.ts `makeTestApp`).
 */
const writerThreadSuites = [
  'routes',
  'events',
  'leaks',
  'list-cache',
  'list-cache-other-writers',
  'authz-matrix',
  'security',
  'security-audit',
  'flow',
  'fuzz',
  'notify',
  'reply-times',
  'mentions',
  'typing',
].map((name) => `test/${name}.test.ts`);

/**
 * Suites also run with every app on a fresh PostgreSQL database instead of a SQLite file (test/helpers.ts
 * `makeTestApp`): every suite of the domain and the API, the operations routes (ops), the demo's seed, page and
 * login (demo: its store opened as `pnpm start` opens SECURE_INBOX_DATABASE_URL) and SIGTERM's drain on the real
 * server process (shutdown: started with SECURE_INBOX_DATABASE_URL). Not here:
 * - those that test SQLite by nature: the cases about files on disk, the single writer's wait and another program
 *   writing the file (attachments-disk, ratings-single-writer, list-cache-other-writers), the SQLite store's own
 *   machinery (writer thread, group commit, checkpointer, faults, migrations, crash, transactions, after-commit) and
 *   its FTS5 search (search-match, search-terms); PostgreSQL's own counterparts live in test/postgres/;
 * - those that touch no store: api-headers, attachments-names, ids, sanitizer, validate;
 * - doctor, which checks each store's configuration in cases of its own (a PostgreSQL URL among them).
 */
const postgresSuites = [
  'api-headers-node',
  'attachments',
  'attachments-node',
  'auth',
  'auth-cache',
  'authz-matrix',
  'demo',
  'events',
  'flow',
  'fuzz',
  'json-body-node',
  'key-rotation',
  'leaks',
  'linear-input',
  'list-cache',
  'list-truth',
  'mentions',
  'notify',
  'openapi',
  'ops',
  'queues',
  'rate-limits',
  'ratings',
  'reply-times',
  'routes',
  'saved-replies',
  'search-plan',
  'security',
  'security-audit',
  'seen',
  'shutdown',
  'typing',
  'visibility',
].map((name) => `test/${name}.test.ts`);

export default defineConfig({
  test: {
    pool: 'forks',
    // The JSON report lets `pnpm test` name the failed tests in its summary (scripts/test.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: 'node_modules/.cache/vitest/results.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'server', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/postgres/**'] } },
      { extends: true, test: { name: 'writer thread', include: writerThreadSuites, env: { SECURE_INBOX_TEST_WRITER_THREAD: '1' } } },
      { extends: true, test: { name: 'server on PostgreSQL', include: postgresSuites, env: { SECURE_INBOX_TEST_STORE: 'postgres' } } },
      // The PostgreSQL store's own tests, on a database of their own per file (test/postgres/database.ts).
      // `gc()` lets the attachment test measure what stays in memory while 20 MB stream through.
      { extends: true, test: { name: 'postgres', include: ['test/postgres/**/*.test.ts'], execArgv: ['--expose-gc'] } },
    ],
  },
});
