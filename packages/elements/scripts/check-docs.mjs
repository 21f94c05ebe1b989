#!/usr/bin/env node
// Every part, slot, CSS property and event in the custom-elements manifest must be documented in
// docs/theming.md or docs/embedding.md (as `name`), so the docs cannot drift from the elements.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(join(here, '../dist/custom-elements.json'), 'utf8'));
const docs = ['theming.md', 'embedding.md'].map((f) => readFileSync(join(here, '../../../docs', f), 'utf8')).join('\n');

const missing = [];
for (const module of manifest.modules) {
  for (const element of module.declarations ?? []) {
    if (!element.tagName) continue;
    if (!docs.includes(`<${element.tagName}>`) && !docs.includes(`\`${element.tagName}\``)) missing.push(`element <${element.tagName}>`);
    const named = (kind, items = []) =>
      items
        .map((item) => item.name)
        .filter((name) => name && !/[,…]/.test(name))
        .forEach((name) => {
          if (!docs.includes(`\`${name}\``)) missing.push(`${kind} \`${name}\` of <${element.tagName}>`);
        });
    named('part', element.cssParts);
    named('slot', element.slots);
    named('CSS property', element.cssProperties);
    named('event', element.events);
  }
}
if (missing.length > 0) {
  console.error(`docs/theming.md and docs/embedding.md do not document:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log('docs cover every element, part, slot, CSS property and event in custom-elements.json');
