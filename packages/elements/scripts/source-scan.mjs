/**
 * What an element's sources use, read from the sources themselves: its parts (`part="…"`), the parts it passes on
 * from the elements inside it (`exportparts="…"`), the `secure-*` events it dispatches, the `--secure-*` custom
 * properties its styles read, its reactive properties (its own and its base classes'), and the global tokens.
 * The manifest build takes the exported parts and the tokens from here; check-docs compares the rest with the manifest.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const read = (file) => readFileSync(file, 'utf8');

/** Module-level string constants (`const listParts = '…'` or a template of other constants), resolved. */
function stringConstants(text) {
  const raw = new Map();
  for (const m of text.matchAll(/^const (\w+)\s*=\s*(['`])([\s\S]*?)\2;/gm)) raw.set(m[1], m[3]);
  const resolved = new Map();
  const value = (name, seen = new Set()) => {
    if (resolved.has(name)) return resolved.get(name);
    if (!raw.has(name) || seen.has(name)) return undefined;
    seen.add(name);
    const v = raw.get(name).replace(/\$\{(\w+)\}/g, (whole, inner) => value(inner, seen) ?? whole);
    resolved.set(name, v);
    return v;
  };
  for (const name of raw.keys()) value(name);
  return resolved;
}

const words = (list) =>
  list
    .split(/[\s,]+/)
    .map((w) => w.trim())
    .filter(Boolean);

/** `exportparts="…"` on an inner `<secure-*>` element: `[{ tag, parts }]`, constants substituted. */
export function exportedParts(text) {
  const constants = stringConstants(text);
  const found = [];
  for (const m of text.matchAll(/exportparts="([^"]*)"/g)) {
    const before = text.slice(0, m.index);
    const tag = [...before.matchAll(/<(secure-[a-z-]+)/g)].pop()?.[1];
    const value = m[1].replace(/\$\{(\w+)\}/g, (whole, name) => constants.get(name) ?? whole);
    if (/\$\{/.test(value)) throw new Error(`exportparts on <${tag}> uses something other than a module constant: ${value}`);
    found.push({ tag, parts: words(value) });
  }
  return found;
}

/**
 * The element's own parts: every word in a `part` attribute, and the quoted words in a `part=${…}` binding or in the
 * `parts` variable such a binding names. A part made up at run time (`flag-${flag}`) counts as its prefix (`flag-*`).
 */
export function ownParts(text) {
  text = text.replace(/\/\*[\s\S]*?\*\//g, '');
  const parts = new Set();
  const add = (value) => {
    for (const word of value.split(/\s+/)) {
      if (!word) continue;
      const dynamic = word.match(/^([a-z-]+-)\$\{/);
      if (dynamic) parts.add(`${dynamic[1]}*`);
      else if (/^[a-z][a-z-]*[a-z]$/.test(word)) parts.add(word);
    }
  };
  const quoted = (code) => {
    // The branches of `view === 'status' ? 'a b' : 'a'`, not the value compared with.
    code = code.replace(/[!=]==?\s*(['`])[^'`]*\1/g, '');
    // Inside a template literal, the expressions first (`message${internal ? ' message-internal' : ''}`).
    for (const inner of code.matchAll(/\$\{([^}]*)\}/g)) quoted(inner[1]);
    code = code.replace(/\$\{[^}]*\}/g, ' ');
    for (const q of code.matchAll(/(['`])([^'`]*)\1/g)) add(q[2].replace(/\$\{[^}]*\}/g, ''));
  };
  for (const m of text.matchAll(/\bpart="([^"]*)"/g)) {
    // Quoted words inside `${cond ? 'a' : ''}` within the attribute count too.
    for (const inner of m[1].matchAll(/\$\{([^}]*)\}/g)) quoted(inner[1]);
    add(m[1].replace(/(^|\s)\$\{[^}]*\}/g, ' '));
  }
  for (const m of text.matchAll(/setAttribute\('part', '([^']*)'\)/g)) add(m[1]);
  for (const m of text.matchAll(/\bpart=\$\{([^}]*)\}/g)) {
    const expression = m[1].trim();
    if (/^\w+$/.test(expression)) {
      const declaration = text.match(new RegExp(`const ${expression}\\s*=\\s*([^;]*);`));
      if (declaration) quoted(declaration[1]);
    } else quoted(expression);
  }
  return parts;
}

/**
 * Parts drawn by the shared render helpers a component module calls (`renderError(…)` from internal/states.ts,
 * `bodyOf(…)` from internal/sanitize.ts): the parts in each imported function's body.
 */
export function helperParts(file) {
  const text = read(file);
  const parts = new Set();
  for (const m of text.matchAll(/^import \{([^}]*)\} from '(\.[^']+)'/gm)) {
    const helper = resolve(dirname(file), m[2].replace(/\.js$/, '.ts'));
    if (!existsSync(helper) || !helper.includes(`${join('src', 'internal')}`)) continue;
    const chunks = read(helper).split(/^(?=export function )/m);
    for (const name of words(m[1]).filter((n) => n !== 'type')) {
      const chunk = chunks.find((c) => c.startsWith(`export function ${name}(`));
      if (chunk && new RegExp(`\\b${name}\\(`).test(text)) for (const part of ownParts(chunk)) parts.add(part);
    }
  }
  return parts;
}

/** `secure-*` events the text dispatches: quoted event names that are not element tags, and `secure-error` from `reportError`. */
export function firedEvents(text, tags) {
  const events = new Set();
  for (const m of text.matchAll(/(['"`])(secure-[a-z-]+)\1/g)) if (!tags.has(m[2])) events.add(m[2]);
  if (/\breportError\(/.test(text)) events.add('secure-error');
  return events;
}

/** `--secure-*` custom properties named in the text. */
export function customProperties(text) {
  return new Set([...text.matchAll(/--secure-[a-z0-9-]+/g)].map((m) => m[0]));
}

/** The global design tokens of src/themes/tokens.ts: `[{ name, light, dark, value }]`. */
export function globalTokens() {
  const source = ts.createSourceFile('tokens.ts', read(join(packageDir, 'src/themes/tokens.ts')), ts.ScriptTarget.ES2022, true);
  let defaults;
  source.forEachChild((node) => {
    if (!ts.isVariableStatement(node)) return;
    for (const d of node.declarationList.declarations) if (d.name.getText() === 'tokenDefaults') defaults = d.initializer;
  });
  if (defaults && ts.isAsExpression(defaults)) defaults = defaults.expression;
  const groups = {};
  for (const group of defaults.properties) {
    groups[group.name.getText()] = Object.fromEntries(group.initializer.properties.map((p) => [p.name.text ?? p.name.getText(), p.initializer.text]));
  }
  const tokens = [];
  for (const name of Object.keys(groups.light)) tokens.push({ name: `--secure-${name}`, light: groups.light[name], dark: groups.dark[name] });
  for (const [name, value] of Object.entries(groups.common)) tokens.push({ name: `--secure-${name}`, value });
  return tokens;
}

/** The entries of `static properties = { … }` in a class: `[{ name, attribute (string | false), state }]`. */
function staticProperties(classNode) {
  const found = [];
  for (const member of classNode.members) {
    const isStatic = member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
    if (!isStatic || !ts.isPropertyDeclaration(member) || member.name.getText() !== 'properties') continue;
    for (const entry of member.initializer?.properties ?? []) {
      if (!ts.isPropertyAssignment(entry) || !ts.isObjectLiteralExpression(entry.initializer)) continue;
      const name = entry.name.getText();
      const options = Object.fromEntries(entry.initializer.properties.filter(ts.isPropertyAssignment).map((o) => [o.name.getText(), o.initializer]));
      const state = options.state?.kind === ts.SyntaxKind.TrueKeyword;
      const attribute =
        options.attribute?.kind === ts.SyntaxKind.FalseKeyword
          ? false
          : options.attribute && ts.isStringLiteral(options.attribute)
            ? options.attribute.text
            : name.toLowerCase();
      found.push({ name, attribute: state ? false : attribute, state });
    }
  }
  return found;
}

/**
 * The static `sessionField` of a class: the field an enclosing `<secure-inbox>` fills in (plumbing, not API).
 * `api` is the TypeScript that parsed `classNode` (the manifest analyzer brings its own).
 */
export function sessionField(classNode, api = ts) {
  for (const member of classNode.members) {
    const isStatic = member.modifiers?.some((m) => m.kind === api.SyntaxKind.StaticKeyword);
    if (
      isStatic &&
      api.isPropertyDeclaration(member) &&
      member.name.getText() === 'sessionField' &&
      member.initializer &&
      api.isStringLiteral(member.initializer)
    ) {
      return member.initializer.text;
    }
  }
  return undefined;
}

/** Whether a class's member is plumbing: tagged `@internal`, or its `sessionField`. */
function isInternal(classNode, name) {
  if (sessionField(classNode) === name) return true;
  const member = classNode.members.find((m) => !m.modifiers?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword) && m.name?.getText() === name);
  return Boolean(member && ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'internal'));
}

/**
 * The element class in a component module and the classes it extends (followed through relative imports):
 * `{ className, properties, files }` with every reactive property (public ones first declared nearest the element).
 */
export function classChain(file) {
  const properties = [];
  const files = [];
  let className;
  for (let current = file, wanted; current;) {
    const text = read(current);
    files.push(current);
    const source = ts.createSourceFile(current, text, ts.ScriptTarget.ES2022, true);
    let next;
    source.forEachChild((node) => {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      if (wanted && node.name.text !== wanted) return;
      className ??= node.name.text;
      for (const p of staticProperties(node)) if (!properties.some((q) => q.name === p.name)) properties.push({ ...p, internal: isInternal(node, p.name) });
      const base = node.heritageClauses?.[0]?.types[0]?.expression.getText();
      const from = base && text.match(new RegExp(`import \\{[^}]*\\b${base}\\b[^}]*\\} from '(\\.[^']+)'`))?.[1];
      if (from) next = { file: resolve(dirname(current), from.replace(/\.js$/, '.ts')), base };
    });
    current = next?.file;
    wanted = next?.base;
  }
  return { className, properties, files };
}

/** The source files of a component: its module and the other non-test modules beside it (styles, helpers). */
export function componentFiles(modulePath) {
  const file = join(packageDir, modulePath.replace(/^\//, '').replace(/\.js$/, '.ts'));
  const dir = dirname(file);
  const beside = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(dir, f))
    .filter((f) => f !== file && existsSync(f));
  return { file, beside };
}
