#!/usr/bin/env node
// The size of the widget bundle, everything included, gzip level 9: the build fails above the product's 45 KB
// (46,080 bytes) for everything. The staff console still ships in the one bundle, so a customer's first load is
// that size too, above the 30 KB a customer's first load may take (docs/performance.md, "Bundle").
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const budget = 46080;
const file = new URL('../dist/secure-inbox.js', import.meta.url);
let source;
try {
  source = readFileSync(file);
} catch {
  console.error(`No bundle at ${file.pathname}: run the build first.`);
  process.exit(1);
}
const gzip = gzipSync(source, { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`secure-inbox.js: ${kb(source.length)} minified, ${kb(gzip)} gzip (${gzip} bytes; budget ${budget} bytes)`);
if (/\bzod\b|ZodError/.test(source.toString())) {
  console.error('zod is in the bundle: import protocol types with `import type`, and runtime values from zod-free modules.');
  process.exit(1);
}
if (gzip > budget) {
  console.error(`Over the budget by ${gzip - budget} bytes: the bundle may not be larger than ${budget} bytes gzip.`);
  process.exit(1);
}

// The bundle names its own version to tell a server of another release (src/internal/version.ts): it must be the package's.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const named = /bundleVersion = '([^']+)'/.exec(readFileSync(new URL('../src/internal/version.ts', import.meta.url), 'utf8'))?.[1];
if (named !== version) {
  console.error(`src/internal/version.ts names ${named}, but package.json is at ${version}: set bundleVersion to ${version}.`);
  process.exit(1);
}
