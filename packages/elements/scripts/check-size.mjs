#!/usr/bin/env node
// The size of the widget bundle, everything included, gzip level 9.
// - budget: the product's target, ≤ 40 KB (40,960 bytes); a bundle above it is reported loudly.
// - ceiling: the largest the bundle may be today; the build fails above it, so the bundle can only
//   shrink. It comes down as the size work lands and meets the budget when the bundle does.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const budget = 40960;
const ceiling = 46080;
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
if (gzip > ceiling) {
  console.error(`Larger than the ceiling of ${ceiling} bytes by ${gzip - ceiling} bytes: the bundle may not grow.`);
  process.exit(1);
}
if (gzip > budget) console.warn(`OVER BUDGET: ${gzip - budget} bytes above the ${budget}-byte budget (see docs/performance.md).`);
