/**
 * Search benchmarks: GET /api/v1/conversations?q=… for rare, common, frequent and very common
 * terms, as a customer and as staff (and as an admin for reference), at each size, each beside a
 * bare Hono "hello" measured in the same run (throughput as a share of hello's). The budget: at
 * 1,000,000 messages, terms with at most 100k hits answer with p95 ≤ 10 ms.
 *
 *   pnpm bench:search [--sizes 10k,100k,1m]     BENCH_DURATION=8 BENCH_CONNECTIONS=16 BENCH_SAMPLES=300
 */
import { join } from 'node:path';
import { ensureDb, type Persona } from './generate.js';
import { fetchJson, measure, type Figures } from './lib/load.js';
import { dataDir, sizesFromArgs } from './lib/paths.js';
import { fmt, machine, printChecks, printTable, ratio, saveResults, type Check } from './lib/report.js';
import { startApiServer, startHelloServer, tokenFor, type Running } from './lib/server.js';

const BUDGET_HITS = 100_000;

export async function searchBenchmarks(size: string, hello: Running) {
  const { file, meta } = ensureDb(size);
  const server = await startApiServer(file, join(dataDir, 'run'));
  const rows: (Figures & { term: string; who: string; hits: number; items: number; vsHello: number })[] = [];
  const helloF = await measure('hello (bare Hono)', hello.url, [{ path: '/', headers: {} }]);
  console.log(`  ${helloF.name}: p50 ${fmt(helloF.p50)} ms, p95 ${fmt(helloF.p95)} ms, ${fmt(helloF.rps, 0)} req/s`);
  try {
    const auth = async (p: Persona) => ({ authorization: `Bearer ${await tokenFor(p)}` });
    const typical = await Promise.all(meta.customers.map(auth));
    const who: Record<string, Record<string, string> | Record<string, string>[]> = {
      'typical customers': typical,
      'heavy customer': await auth(meta.personas.customer),
      staff: await auth(meta.personas.staff),
      admin: await auth(meta.personas.admin),
    };
    const terms: [string, string, number][] = [
      ['rare', meta.terms.rare, meta.termHits[meta.terms.rare] ?? 0],
      ['common', meta.terms.common, meta.termHits[meta.terms.common] ?? 0],
      ['frequent', meta.terms.frequent, meta.termHits[meta.terms.frequent] ?? 0],
      ['very common', meta.terms.veryCommon, meta.termHits[meta.terms.veryCommon] ?? 0],
      ['prefix', `${meta.terms.common.slice(0, 5)}%`, (meta.termHits[meta.terms.common] ?? 0) + (meta.termHits[meta.terms.frequent] ?? 0)],
    ];
    for (const [label, term, hits] of terms) {
      for (const [name, headers] of Object.entries(who)) {
        if ((name === 'admin' || name === 'typical customers') && label === 'prefix') continue;
        const path = `/api/v1/conversations?q=${encodeURIComponent(term)}`;
        const list = Array.isArray(headers) ? headers : [headers];
        const first = await fetchJson(server.url, { path, headers: list[0]! });
        // Terms beyond the budget (hundreds of thousands of hits) get a short run.
        const heavy = label === 'very common';
        const f = await measure(
          `"${term}" (${hits.toLocaleString('en')} msgs), ${name}`,
          server.url,
          list.map((h) => ({ path, headers: h })),
          heavy ? { samples: 30, duration: 3, connections: 4 } : {},
        );
        const vsHello = ratio(f.rps, helloF.rps);
        rows.push({ ...f, term: label, who: name, hits, items: first.items.length, vsHello });
        console.log(
          `  ${f.name}: p50 ${fmt(f.p50)} ms, p95 ${fmt(f.p95)} ms, ${fmt(f.rps, 0)} req/s (${fmt(vsHello, 3)} × hello), ${first.items.length} on page 1`,
        );
      }
    }
  } finally {
    await server.stop();
  }
  return { meta, rows, hello: helloF };
}

async function main() {
  const sizes = sizesFromArgs(process.argv, ['10k', '100k', '1m']);
  console.log(`Search benchmarks on ${machine()}`);
  const all: Record<string, unknown> = {};
  const checks: Check[] = [];
  const helloServer = await startHelloServer();
  try {
    for (const size of sizes) {
      console.log(`\n== ${size}`);
      const { meta, rows, hello } = await searchBenchmarks(size, helloServer);
      printTable(`${size}: ${meta.messages.toLocaleString('en')} messages — search (q=…) as customer / staff / admin`, [hello, ...rows]);
      for (const r of rows) {
        if (r.who === 'admin') continue; // reference only: the budget is for what customers and staff search
        const inBudget = r.hits <= BUDGET_HITS * (meta.messages / 1_000_000);
        checks.push({
          what: `${size} search ${r.term} as ${r.who}`,
          figure: `p95 ${fmt(r.p95)} ms; ${fmt(r.vsHello, 3)} × hello (${fmt(r.rps, 0)} / ${fmt(hello.rps, 0)} req/s)`,
          budget: inBudget ? '≤ 10 ms at 1M' : 'none (more than 100k hits at 1M)',
          ok: size === '1m' && inBudget ? r.p95 <= 10 : null,
        });
      }
      all[size] = { hello, rows };
    }
  } finally {
    await helloServer.stop();
  }
  printChecks(checks);
  saveResults('search', { sizes: all, checks });
}

if (process.argv[1] && /search\.ts$/.test(process.argv[1])) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
