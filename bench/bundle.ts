/**
 * Bundle size of the widget (packages/elements/dist/secure-inbox.js and the modules it loads on demand from
 * dist/secure-inbox/, built by `pnpm build`): each file gzip at the default level (the budget's figure) and at -9,
 * brotli at 11, then a customer's first load (the entry and what it imports statically) and everything together,
 * beside deep-chat's bundle measured from its npm package in the same run.
 * Budgets: a customer's first load ≤ 30 KB gzip; everything, the staff console included, ≤ 45 KB.
 *
 *   pnpm bench:bundle
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { rootDir } from './lib/paths.js';
import { machine, printChecks, saveResults, type Check } from './lib/report.js';

const BUDGET_GZIP = 45 * 1024;
const BUDGET_FIRST_LOAD = 30 * 1024;

export interface BundleSize {
  name: string;
  file: string;
  raw: number;
  /** gzip at its default level (6), as most servers send it. */
  gzip: number;
  gzip9: number;
  brotli: number;
}

export function sizeOf(name: string, file: string): BundleSize {
  const bytes = readFileSync(file);
  return {
    name,
    file,
    raw: bytes.length,
    gzip: gzipSync(bytes).length,
    gzip9: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length,
  };
}

/** deep-chat's single-file bundle, from its package.json's entry points. */
export function deepChatBundle(): { file: string; version: string } {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('deep-chat/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string };
  const file = join(dirname(pkgFile), 'dist/deepChat.bundle.js');
  if (!existsSync(file)) throw new Error(`deep-chat ${pkg.version} has no dist/deepChat.bundle.js; look for its bundle in ${dirname(pkgFile)}/dist`);
  return { file, version: pkg.version };
}

export const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

/** The modules a built module imports statically (`import … from "./x.js"`, `import "./x.js"`), not `import("./x.js")`. */
function staticImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["'](\.{1,2}\/[^"']+)["']/g)].map((match) => join(dirname(file), match[1]!));
}

const sum = (rows: BundleSize[], name: string): BundleSize => ({
  name,
  file: '',
  raw: rows.reduce((total, row) => total + row.raw, 0),
  gzip: rows.reduce((total, row) => total + row.gzip, 0),
  gzip9: rows.reduce((total, row) => total + row.gzip9, 0),
  brotli: rows.reduce((total, row) => total + row.brotli, 0),
});

export function bundleBenchmark() {
  const rows: BundleSize[] = [];
  const ours = join(rootDir, 'packages/elements/dist/secure-inbox.js');
  const chunkDir = join(rootDir, 'packages/elements/dist/secure-inbox');
  const checks: Check[] = [];
  const deepChat = deepChatBundle();
  const theirs = sizeOf(`deep-chat ${deepChat.version} (deepChat.bundle.js)`, deepChat.file);
  if (existsSync(ours)) {
    const chunks = existsSync(chunkDir)
      ? readdirSync(chunkDir)
          .filter((name) => name.endsWith('.js'))
          .map((name) => join(chunkDir, name))
      : [];
    const firstLoad = new Set<string>();
    const visit = (file: string) => {
      if (firstLoad.has(file)) return;
      firstLoad.add(file);
      staticImports(file).forEach(visit);
    };
    visit(ours);
    const files = [ours, ...chunks].map((file) => sizeOf(file === ours ? 'secure-inbox.js' : `secure-inbox/${file.slice(chunkDir.length + 1)}`, file));
    rows.push(...files);
    const first = sum(
      files.filter((row) => firstLoad.has(row.file)),
      'first load (entry and its static imports)',
    );
    const all = sum(files, 'everything (entry and on-demand modules)');
    rows.push(first, all);
    checks.push({ what: "a customer's first load, gzip", figure: kb(first.gzip), budget: '≤ 30 KB', ok: first.gzip <= BUDGET_FIRST_LOAD });
    checks.push({
      what: 'everything, gzip',
      figure: `${kb(all.gzip)} (${(all.gzip / theirs.gzip).toFixed(2)} × deep-chat's ${kb(theirs.gzip)})`,
      budget: '≤ 45 KB',
      ok: all.gzip <= BUDGET_GZIP,
    });
    checks.push({ what: 'everything, brotli', figure: kb(all.brotli), budget: 'none', ok: null });
  } else {
    console.log(`${ours} is missing: run \`pnpm build\` first. Skipping the widget's own size.`);
    checks.push({ what: 'everything, gzip', figure: 'not built', budget: '≤ 45 KB', ok: null });
  }
  rows.push(theirs);

  console.log('\nBundle sizes');
  console.log(`${''.padEnd(48)}${'raw'.padStart(12)}${'gzip'.padStart(12)}${'gzip -9'.padStart(12)}${'brotli 11'.padStart(12)}`);
  for (const r of rows)
    console.log(`${r.name.padEnd(48)}${kb(r.raw).padStart(12)}${kb(r.gzip).padStart(12)}${kb(r.gzip9).padStart(12)}${kb(r.brotli).padStart(12)}`);
  return { rows, checks };
}

if (process.argv[1] && /bundle\.ts$/.test(process.argv[1])) {
  console.log(`Bundle benchmark on ${machine()}`);
  const { rows, checks } = bundleBenchmark();
  printChecks(checks);
  saveResults('bundle', { rows, checks });
}
