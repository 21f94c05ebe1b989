import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    // The JSON report lets `pnpm test` name the failed tests in its summary (scripts/test.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: 'node_modules/.cache/vitest/results.json' },
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
