import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchScopeTokens } from '../../packages/server/src/store/sqlite/search.js';
import { newId } from '../../packages/server/src/domain/ids.js';

export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const rootDir = resolve(benchDir, '..');
export const serverDir = join(rootDir, 'packages/server');
export const dataDir = join(benchDir, '.data');
export const resultsDir = join(dataDir, 'results');

/** The three sizes of the issue, by name. */
export const SIZES = { '10k': 10_000, '100k': 100_000, '1m': 1_000_000 } as const;
export type SizeName = keyof typeof SIZES;

export function parseSize(raw: string): { name: string; messages: number } {
  const key = raw.toLowerCase() as SizeName;
  if (key in SIZES) return { name: key, messages: SIZES[key] };
  const match = /^(\d+)(k|m)?$/i.exec(raw);
  if (!match) throw new Error(`Unknown size "${raw}": use 10k, 100k, 1m or a number of messages.`);
  const n = Number(match[1]) * (match[2]?.toLowerCase() === 'm' ? 1_000_000 : match[2] ? 1_000 : 1);
  if (n < 2_000 || n > 5_000_000) throw new Error(`Size ${raw} is out of range: from 2,000 to 5,000,000 messages.`);
  return { name: raw.toLowerCase(), messages: n };
}

/** Sizes named on the command line (`--sizes 10k,100k`), or the default. */
export function sizesFromArgs(argv: string[], fallback: string[]): string[] {
  const i = argv.indexOf('--sizes');
  const raw = i >= 0 ? argv[i + 1] : process.env.BENCH_SIZES;
  return raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : fallback;
}

/**
 * A fingerprint of everything a generated file depends on: the generator, the migrations, the
 * server's text functions, the scope tokens it stores and the shape of public ids (their order is the
 * order of the id indexes). A change to any of them makes a new file.
 */
export function generatorFingerprint(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(benchDir, 'generate.ts')));
  const migrations = join(serverDir, 'drizzle');
  for (const file of readdirSync(migrations)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash.update(file);
    hash.update(readFileSync(join(migrations, file)));
  }
  hash.update(readFileSync(join(serverDir, 'src/domain/text.ts')));
  for (const hidden of [false, true]) hash.update(searchScopeTokens({ id: 'c_x', accountId: 'a_x' }, { hidden }));
  hash.update(newId('m', 0).slice(0, -16));
  return hash.digest('hex').slice(0, 10);
}
