/**
 * `pnpm bench`: every benchmark, one after the other, each in a process of its own:
 * bundle size, API (with sends), search, rendering in Chromium, event-stream latency and what a send
 * costs where it is written, the no-stall run (one customer's attacks beside a bystander) and real traffic (many
 * users in random order, writes mixed in, measured with wrk).
 * Arguments are passed on (`pnpm bench --sizes 10k,100k`). Takes about half an hour at all sizes
 * (the first run also generates the databases: a few minutes for 1,000,000 messages).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from './lib/paths.js';

const passOn = process.argv.slice(2);
const steps: [string, string, string[]][] = [
  ['bundle size', 'bundle.ts', []],
  ['API', 'api.ts', passOn],
  ['search', 'search.ts', passOn],
  ['rendering', 'render.ts', []],
  ['event stream latency', 'sse-latency.ts', []],
  ['a send where it is written', 'send-pages.ts', []],
  ['one user cannot stall the others', 'no-stall.ts', []],
  ['real traffic, measured with wrk', 'traffic.ts', []],
];

const summary: string[] = [];
for (const [name, script, args] of steps) {
  if (!existsSync(join(benchDir, script))) {
    summary.push(`skip ${name} (${script} is not there)`);
    continue;
  }
  console.log(`\n=== ${name}: ${script} ${args.join(' ')}`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: benchDir, stdio: 'inherit' });
  summary.push(`${run.status === 0 ? 'done' : 'FAIL'} ${name} (${Math.round((Date.now() - started) / 1000)} s)`);
}
console.log(`\n=== summary\n${summary.join('\n')}\nFigures are saved under bench/.data/results/.`);
process.exit(summary.some((line) => line.startsWith('FAIL')) ? 1 : 0);
