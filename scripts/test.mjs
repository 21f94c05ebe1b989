#!/usr/bin/env node
// `pnpm test`: lint, type check every package, build the bundle, then the server, element and end-to-end suites.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chromiumPath } from './chromium.mjs';
import { postgresAnswers, testDatabaseUrl } from './postgres.mjs';

const chrome = chromiumPath;
if (!existsSync(chrome)) {
  console.error(
    `Chromium is needed for the element and end-to-end tests and was not found at ${chrome}.\n` +
      'Install it with `sudo apt-get install -y chromium` (Debian/Ubuntu), or point CHROME_PATH at a Chrome or Chromium binary.',
  );
  process.exit(1);
}

if (spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status !== 0) {
  console.error(
    'HAProxy is needed for the end-to-end test of the cluster example (examples/cluster) and was not found on the PATH: ' +
      'install it with `sudo apt-get install -y haproxy` (Debian/Ubuntu); its own service can stay stopped.',
  );
  process.exit(1);
}

if (!(await postgresAnswers())) {
  const { host } = new URL(testDatabaseUrl);
  console.error(
    `PostgreSQL is needed for the server tests and none answers at ${host}: install one with ` +
      '`sudo apt-get install -y postgresql` and start it with `sudo pg_ctlcluster <version> main start` ' +
      '(the version is the folder under /etc/postgresql), or point SECURE_INBOX_TEST_DATABASE_URL at one.',
  );
  process.exit(1);
}

const hasTests = (dir) => existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.test.ts'));

// The vitest suites write a JSON report (their vitest.config.ts), so the summary can name what failed.
const steps = [
  ['lint (ESLint, Prettier, merge conflict markers)', ['lint']],
  ['type check', ['-r', 'typecheck']],
  ['bundle build and size budget', ['build']],
  ['server tests', ['test:server'], 'packages/server'],
  ['element tests (Chromium)', ['test:elements']],
  ...(hasTests('e2e/tests') ? [['end-to-end tests (Chromium)', ['test:e2e'], 'e2e']] : []),
];

/** The failed tests of a vitest report, one line each: file, test and the first line of its error. */
function failedTests(dir) {
  const file = `${dir}/node_modules/.cache/vitest/results.json`;
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8'));
  return report.testResults.flatMap((suite) =>
    suite.assertionResults
      .filter((test) => test.status === 'failed')
      .map((test) => `  ${suite.name.slice(process.cwd().length + 1)} › ${test.fullName}: ${String(test.failureMessages?.[0] ?? '').split('\n')[0]}`),
  );
}

const results = [];
for (const [name, args, vitestDir] of steps) {
  console.log(`\n=== ${name}: pnpm ${args.join(' ')}`);
  if (vitestDir) rmSync(`${vitestDir}/node_modules/.cache/vitest/results.json`, { force: true });
  const started = Date.now();
  const run = spawnSync('pnpm', args, { stdio: 'inherit', env: { ...process.env, CHROME_PATH: chrome } });
  const ok = run.status === 0;
  results.push({ name, ok, seconds: Math.round((Date.now() - started) / 1000), failed: ok || !vitestDir ? [] : failedTests(vitestDir) });
  if (!ok) break;
}
console.log('\n=== summary');
for (const r of results) {
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds} s)`);
  for (const line of r.failed) console.log(line);
}
const failed = results.some((r) => !r.ok) || results.length < steps.length;
process.exit(failed ? 1 : 0);
