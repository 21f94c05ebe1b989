#!/usr/bin/env node
// `pnpm test`: lint, type check every package, build the bundle, then the server, element and end-to-end suites.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
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

const steps = [
  ['lint (ESLint, Prettier)', ['lint']],
  ['type check', ['-r', 'typecheck']],
  ['bundle build and size budget', ['build']],
  ['server tests', ['test:server']],
  ['element tests (Chromium)', ['test:elements']],
  ...(hasTests('e2e/tests') ? [['end-to-end tests (Chromium)', ['test:e2e']]] : []),
];

const results = [];
for (const [name, args] of steps) {
  console.log(`\n=== ${name}: pnpm ${args.join(' ')}`);
  const started = Date.now();
  const run = spawnSync('pnpm', args, { stdio: 'inherit', env: { ...process.env, CHROME_PATH: chrome } });
  const ok = run.status === 0;
  results.push({ name, ok, seconds: Math.round((Date.now() - started) / 1000) });
  if (!ok) break;
}
console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds} s)`);
const failed = results.some((r) => !r.ok) || results.length < steps.length;
process.exit(failed ? 1 : 0);
