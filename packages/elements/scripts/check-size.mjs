#!/usr/bin/env node
// The size of the widget bundle, gzip level 9, beside the product's two budgets (docs/performance.md, "Bundle"); the
// build fails above either. A customer's first load — the entry, secure-inbox.js, and the modules it imports
// statically — at most 30 KB (30,720 bytes). Everything — the entry and the modules it loads on demand
// (secure-inbox/*.js: the conversation parts and the staff console; translations aside) — at most 45 KB (46,080 bytes).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const firstLoadBudget = 30720;
const totalBudget = 46080;
const dist = new URL('../dist/', import.meta.url);
const entry = new URL('secure-inbox.js', dist);
if (!existsSync(entry)) {
  console.error(`No bundle at ${entry.pathname}: run the build first.`);
  process.exit(1);
}
const chunkDir = new URL('secure-inbox/', dist);
const chunks = existsSync(chunkDir)
  ? readdirSync(chunkDir)
      .filter((name) => name.endsWith('.js'))
      .map((name) => new URL(name, chunkDir))
  : [];

/** The modules a module imports statically (`import … from "./x.js"`, `import "./x.js"`), not `import("./x.js")`. */
const staticImports = (file, source) =>
  [...source.matchAll(/\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["'](\.{1,2}\/[^"']+)["']/g)].map((match) => new URL(match[1], file));

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const sizes = new Map();
const sizeOf = (file) => {
  if (!sizes.has(file.href)) {
    const source = readFileSync(file);
    sizes.set(file.href, { source: source.toString(), raw: source.length, gzip: gzipSync(source, { level: 9 }).length });
  }
  return sizes.get(file.href);
};

// The first load: the entry and, transitively, what it imports statically.
const firstLoad = new Set();
const visit = (file) => {
  if (firstLoad.has(file.href)) return;
  if (!existsSync(file)) {
    console.error(`${file.pathname} is imported but was not built.`);
    process.exit(1);
  }
  firstLoad.add(file.href);
  for (const next of staticImports(file, sizeOf(file).source)) visit(next);
};
visit(entry);

const files = [entry, ...chunks];
for (const file of files) {
  const { raw, gzip } = sizeOf(file);
  const name = file.href.slice(dist.href.length);
  console.log(`${name}: ${kb(raw)} minified, ${kb(gzip)} gzip (${gzip} bytes)${firstLoad.has(file.href) ? ', first load' : ', on demand'}`);
}
const sum = (hrefs) => [...hrefs].reduce((total, href) => total + sizes.get(href).gzip, 0);
const first = sum(firstLoad);
const total = sum(files.map((file) => file.href));
console.log(`A customer's first load: ${kb(first)} gzip (${first} bytes; budget ${firstLoadBudget} bytes)`);
console.log(`Everything: ${kb(total)} gzip (${total} bytes; budget ${totalBudget} bytes)`);

if (files.some((file) => /\bzod\b|ZodError/.test(sizeOf(file).source))) {
  console.error('zod is in the bundle: import protocol types with `import type`, and runtime values from zod-free modules.');
  process.exit(1);
}
let over = false;
if (first > firstLoadBudget) {
  console.error(
    `A customer's first load is ${first - firstLoadBudget} bytes over its budget: secure-inbox.js and what it imports statically may not be larger than ${firstLoadBudget} bytes gzip. Load more on demand.`,
  );
  over = true;
}
if (total > totalBudget) {
  console.error(
    `Over the budget by ${total - totalBudget} bytes: the bundle and its on-demand modules may not be larger than ${totalBudget} bytes gzip together.`,
  );
  over = true;
}
if (over) process.exit(1);

// The bundle names its own version to tell a server of another release (src/internal/version.ts): it must be the package's.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const named = /bundleVersion = '([^']+)'/.exec(readFileSync(new URL('../src/internal/version.ts', import.meta.url), 'utf8'))?.[1];
if (named !== version) {
  console.error(`src/internal/version.ts names ${named}, but package.json is at ${version}: set bundleVersion to ${version}.`);
  process.exit(1);
}
