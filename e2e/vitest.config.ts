import { defineConfig } from 'vitest/config';

/** The suites also run with the server storing everything in PostgreSQL (harness.ts `onPostgres`). */
const postgresSuites = [
  'demo',
  'inbox-flows',
  'inbox-in-use',
  'folders',
  'staff',
  'staff-only-history',
  'live-attachments',
  'peer-features',
  'peer-staff',
  'email-link',
  'csp',
].map((name) => `tests/${name}.test.ts`);

/** Several instances on one PostgreSQL (cluster.ts): PostgreSQL only, so it runs once, with the suites above. */
const clusterSuite = 'tests/cluster.test.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    // The JSON report lets `pnpm test` name the failed tests in its summary (scripts/test.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: 'node_modules/.cache/vitest/results.json' },
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'e2e', include: ['tests/**/*.test.ts'], exclude: [clusterSuite] } },
      {
        extends: true,
        test: { name: 'e2e on PostgreSQL', include: [...postgresSuites, clusterSuite], env: { SECURE_INBOX_E2E_STORE: 'postgres' } },
      },
    ],
  },
});
