#!/usr/bin/env node
// The size budget of the widget bundle: ≤ 40 KB (40,960 bytes) gzip, everything included.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const budget = 40960;
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
if (/\bzod\b|ZodError/.test(source.toString())) console.warn('warning: zod appears in the bundle; import protocol types with `import type`.');
if (gzip > budget) {
  console.error(`Over budget by ${gzip - budget} bytes.`);
  process.exit(1);
}
