import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Figures } from './load.js';
import { resultsDir } from './paths.js';

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** Prints figures as a table: latency (sequential) and throughput (under load). */
export function printTable(title: string, rows: Figures[]) {
  console.log(`\n${title}`);
  const w = Math.max(30, ...rows.map((r) => r.name.length + 1));
  console.log(`${pad('', w)}${lpad('p50 ms', 9)}${lpad('p95 ms', 9)}${lpad('p99 ms', 9)}${lpad('req/s', 10)}${lpad('load p50', 10)}${lpad('load p99', 10)}`);
  for (const r of rows) {
    console.log(
      `${pad(r.name, w)}${lpad(fmt(r.p50), 9)}${lpad(fmt(r.p95), 9)}${lpad(fmt(r.p99), 9)}${lpad(fmt(r.rps, 0), 10)}${lpad(fmt(r.loadedP50, 0), 10)}${lpad(fmt(r.loadedP99, 0), 10)}`,
    );
  }
}

export interface Check {
  what: string;
  figure: string;
  budget: string;
  ok: boolean | null;
}

export function printChecks(checks: Check[]) {
  console.log('\nBudgets');
  for (const c of checks) console.log(`  ${c.ok === null ? 'info' : c.ok ? 'ok  ' : 'MISS'}  ${c.what}: ${c.figure} (budget ${c.budget})`);
}

/** Keeps a JSON copy of a run under bench/.data/results/ for docs/performance.md. */
export function saveResults(kind: string, data: unknown) {
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(resultsDir, `${kind}-${stamp}.json`);
  writeFileSync(file, JSON.stringify({ kind, at: new Date().toISOString(), machine: machine(), data }, null, 2));
  console.log(`\nSaved ${file}`);
}

export const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
export { fmt };
