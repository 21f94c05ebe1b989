#!/usr/bin/env node
// The custom-elements manifest must hold everything the elements' sources use, and the docs must name it:
//  - sources → manifest: every attribute and property (the base classes' too), every part (`part="…"`), every
//    `secure-*` event dispatched, every `--secure-*` custom property and global token is listed on its element; every
//    event has its detail type (`SecureEventDetails` in src/events.ts); every listed part exists in the sources;
//  - manifest → docs: every element, attribute, property, part, slot, CSS property and event is documented in
//    docs/theming.md or docs/embedding.md (as `name`).
// Run by `pnpm build` after `cem analyze`, so a gap fails the build (and `pnpm test`, which builds).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classChain, componentFiles, customProperties, exportedParts, firedEvents, globalTokens, helperParts, ownParts, packageDir } from './source-scan.mjs';

const manifest = JSON.parse(readFileSync(join(packageDir, 'dist/custom-elements.json'), 'utf8'));
const docs = ['theming.md', 'embedding.md'].map((f) => readFileSync(join(packageDir, '../../docs', f), 'utf8')).join('\n');
const documented = (name) => docs.includes(`\`${name}\``);

const elements = manifest.modules.flatMap((module) => (module.declarations ?? []).filter((d) => d.tagName).map((element) => ({ module, element })));
const tags = new Set(elements.map(({ element }) => element.tagName));
const tokens = globalTokens().map((t) => t.name);

const unlisted = [];
const undocumented = [];

for (const { module, element } of elements) {
  const tag = `<${element.tagName}>`;
  const names = (items = []) => new Set(items.map((item) => item.name));
  const parts = names(element.cssParts);
  const events = names(element.events);
  const cssProperties = names(element.cssProperties);
  const attributes = names(element.attributes);
  const members = names((element.members ?? []).filter((m) => !m.privacy || m.privacy === 'public'));

  // Sources → manifest.
  const { file, beside } = componentFiles(module.path);
  const text = readFileSync(file, 'utf8');
  const all = [text, ...beside.map((f) => readFileSync(f, 'utf8'))].join('\n');
  const exported = new Set(exportedParts(text).flatMap((e) => e.parts));
  const own = new Set([...ownParts(text), ...helperParts(file)]);
  for (const part of own) {
    const listed = part.endsWith('*') ? [...parts].some((p) => p.startsWith(part.slice(0, -1))) : parts.has(part);
    if (!listed) unlisted.push(`part \`${part}\` of ${tag} (used in ${module.path})`);
  }
  for (const part of parts) {
    if (!/^[a-z][a-z0-9-]*$/.test(part)) unlisted.push(`part \`${part}\` of ${tag} is not a part name (one @csspart per part)`);
    else if (!own.has(part) && !exported.has(part) && ![...own].some((p) => p.endsWith('*') && part.startsWith(p.slice(0, -1)))) {
      unlisted.push(`part \`${part}\` of ${tag} is listed but not in its template`);
    }
  }
  for (const event of firedEvents(all, tags)) if (!events.has(event)) unlisted.push(`event \`${event}\` of ${tag} (dispatched in ${module.path})`);
  for (const event of element.events ?? []) {
    if (!/^secure-[a-z-]+$/.test(event.name)) unlisted.push(`event \`${event.name}\` of ${tag} is not a secure-* event name`);
    else if (!event.type?.text?.startsWith('CustomEvent<'))
      unlisted.push(`the detail type of \`${event.name}\` (${tag}): add it to SecureEventDetails in src/events.ts`);
  }
  for (const property of [...customProperties(all), ...tokens]) {
    if (!cssProperties.has(property)) unlisted.push(`CSS property \`${property}\` of ${tag}`);
  }
  for (const property of classChain(file).properties) {
    if (property.state || property.internal) continue;
    if (!members.has(property.name)) unlisted.push(`property \`${property.name}\` of ${tag}`);
    if (property.attribute && !attributes.has(property.attribute)) unlisted.push(`attribute \`${property.attribute}\` of ${tag}`);
    // Manifest → docs, for properties and attributes (the rest below).
    if (!documented(property.name) && !(property.attribute && documented(property.attribute))) undocumented.push(`property \`${property.name}\` of ${tag}`);
    if (property.attribute && !documented(property.attribute)) undocumented.push(`attribute \`${property.attribute}\` of ${tag}`);
  }

  // Manifest → docs.
  if (!docs.includes(tag) && !documented(element.tagName)) undocumented.push(`element ${tag}`);
  const named = (kind, items = []) => {
    for (const { name } of items) if (name && !documented(name)) undocumented.push(`${kind} \`${name}\` of ${tag}`);
  };
  named('part', element.cssParts);
  named('slot', element.slots);
  named('CSS property', element.cssProperties);
  named('event', element.events);
}

if (unlisted.length > 0) {
  console.error(
    `dist/custom-elements.json (from the elements' JSDoc, see custom-elements-manifest.config.mjs) lacks:\n  ${[...new Set(unlisted)].join('\n  ')}`,
  );
}
if (undocumented.length > 0) {
  console.error(`docs/theming.md and docs/embedding.md do not document:\n  ${[...new Set(undocumented)].join('\n  ')}`);
}
if (unlisted.length > 0 || undocumented.length > 0) process.exit(1);
console.log('the manifest lists every attribute, property, part, event and CSS property the sources use, and the docs cover them all');
