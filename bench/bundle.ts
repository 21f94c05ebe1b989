/**
 * Bundle size of the widget (packages/elements/dist/secure-inbox.js, built by `pnpm build`): gzip at
 * the default level (the budget's figure) and at -9, brotli at 11, beside deep-chat's bundle measured from its npm package in the
 * same run. Budget: ≤ 45 KB gzip for everything (a customer's first load ≤ 30 KB, not met while the staff console ships in the one bundle).
 *
 *   pnpm bench:bundle
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { rootDir } from './lib/paths.js';
import { machine, printChecks, saveResults, type Check } from './lib/report.js';

const BUDGET_GZIP = 45 * 1024;

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

export function bundleBenchmark() {
  const rows: BundleSize[] = [];
  const ours = join(rootDir, 'packages/elements/dist/secure-inbox.js');
  const checks: Check[] = [];
  if (existsSync(ours)) rows.push(sizeOf('secure-inbox.js', ours));
  else console.log(`${ours} is missing: run \`pnpm build\` first. Skipping the widget's own size.`);
  const deepChat = deepChatBundle();
  rows.push(sizeOf(`deep-chat ${deepChat.version} (deepChat.bundle.js)`, deepChat.file));

  console.log('\nBundle sizes');
  console.log(`${''.padEnd(40)}${'raw'.padStart(12)}${'gzip'.padStart(12)}${'gzip -9'.padStart(12)}${'brotli 11'.padStart(12)}`);
  for (const r of rows) console.log(`${r.name.padEnd(40)}${kb(r.raw).padStart(12)}${kb(r.gzip).padStart(12)}${kb(r.gzip9).padStart(12)}${kb(r.brotli).padStart(12)}`);
  const own = rows.find((r) => r.name === 'secure-inbox.js');
  const dc = rows[rows.length - 1]!;
  if (own) {
    checks.push({ what: 'secure-inbox.js gzip', figure: `${kb(own.gzip)} (${(own.gzip / dc.gzip).toFixed(2)} × deep-chat's ${kb(dc.gzip)})`, budget: '≤ 45 KB', ok: own.gzip <= BUDGET_GZIP });
    checks.push({ what: 'secure-inbox.js brotli', figure: kb(own.brotli), budget: 'none', ok: null });
  } else {
    checks.push({ what: 'secure-inbox.js gzip', figure: 'not built', budget: '≤ 45 KB', ok: null });
  }
  return { rows, checks };
}

if (process.argv[1] && /bundle\.ts$/.test(process.argv[1])) {
  console.log(`Bundle benchmark on ${machine()}`);
  const { rows, checks } = bundleBenchmark();
  printChecks(checks);
  saveResults('bundle', { rows, checks });
}
