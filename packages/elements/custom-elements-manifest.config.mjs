/**
 * Builds dist/custom-elements.json from the JSDoc of each element (`@summary`, `@slot`, `@csspart`,
 * `@cssprop`, `@fires`). Tag names come from the `Class.define('secure-…')` call beside each class,
 * so the manifest cannot disagree with what the bundle registers. The base classes are read too, so that
 * `theme`, `locale`, `strings`, `api-base`, `token` and `tokenProvider` appear on every element that has them.
 * What the sources already say is taken from them: the parts passed on with `exportparts`, the global
 * `--secure-*` tokens (src/themes/tokens.ts) and each event's detail type (`SecureEventDetails` in src/events.ts).
 * scripts/check-docs.mjs then compares the manifest with the sources and the docs.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { exportedParts, globalTokens, sessionField } from './scripts/source-scan.mjs';

function defineCalls() {
  return {
    name: 'secure-define-calls',
    analyzePhase({ ts, node, moduleDoc }) {
      if (!ts.isCallExpression(node)) return;
      const callee = node.expression;
      if (!ts.isPropertyAccessExpression(callee) || callee.name.getText() !== 'define') return;
      const [tag] = node.arguments;
      if (!tag || !ts.isStringLiteral(tag)) return;
      const className = callee.expression.getText();
      const declaration = moduleDoc.declarations?.find((d) => d.name === className);
      if (!declaration) return;
      declaration.tagName = tag.text;
      declaration.customElement = true;
      moduleDoc.exports ??= [];
      moduleDoc.exports.push({ kind: 'custom-element-definition', name: tag.text, declaration: { name: className, module: moduleDoc.path } });
    },
  };
}

/**
 * Reactive properties are declared in `static properties`. The analyzer reads an attribute for every entry; entries
 * with `state: true` (internal state) or `attribute: false` have none, so those attributes are taken out again, and
 * the static `sessionField` (plumbing between elements) is not listed as a member.
 */
function staticProperties() {
  const withoutAttribute = new Map();
  return {
    name: 'secure-static-properties',
    analyzePhase({ ts, node }) {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      const names = new Set();
      for (const member of node.members) {
        const isStatic = member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
        if (!isStatic || !ts.isPropertyDeclaration(member) || member.name.getText() !== 'properties') continue;
        if (!member.initializer || !ts.isObjectLiteralExpression(member.initializer)) continue;
        for (const entry of member.initializer.properties) {
          if (!ts.isPropertyAssignment(entry) || !ts.isObjectLiteralExpression(entry.initializer)) continue;
          const options = Object.fromEntries(
            entry.initializer.properties.filter(ts.isPropertyAssignment).map((option) => [option.name.getText(), option.initializer.getText()]),
          );
          if (options.state === 'true' || options.attribute === 'false') names.add(entry.name.getText());
        }
      }
      withoutAttribute.set(node.name.getText(), names);
    },
    moduleLinkPhase({ moduleDoc }) {
      for (const declaration of moduleDoc.declarations ?? []) {
        const names = withoutAttribute.get(declaration.name);
        if (declaration.attributes && names) declaration.attributes = declaration.attributes.filter((a) => !names.has(a.fieldName));
        if (declaration.members) {
          declaration.members = declaration.members.filter((m) => !(m.static && m.name === 'sessionField'));
          for (const member of declaration.members) if (names?.has(member.name)) delete member.attribute;
        }
      }
    },
  };
}

/**
 * Plumbing is not listed as API: the field named by a class's static `sessionField` (an enclosing element fills it in)
 * and fields tagged `@internal` (the analyzer drops those, but not the member it makes from `static properties`).
 */
function plumbing() {
  const fields = new Map();
  return {
    name: 'secure-plumbing',
    analyzePhase({ ts, node }) {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      const names = new Set([sessionField(node, ts)]);
      for (const member of node.members) {
        if (ts.isPropertyDeclaration(member) && ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'internal')) names.add(member.name.getText());
      }
      fields.set(node.name.getText(), names);
    },
    moduleLinkPhase({ moduleDoc }) {
      for (const declaration of moduleDoc.declarations ?? []) {
        const names = fields.get(declaration.name);
        if (names && declaration.members) declaration.members = declaration.members.filter((m) => !names.has(m.name));
      }
    },
  };
}

/** Parts passed on from inner elements with `exportparts="…"` become parts of the outer element, one entry each. */
function exportParts() {
  const byClass = new Map();
  return {
    name: 'secure-export-parts',
    analyzePhase({ ts, node }) {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      const found = exportedParts(node.getSourceFile().getFullText());
      if (found.length > 0) byClass.set(node.name.getText(), found);
    },
    moduleLinkPhase({ moduleDoc }) {
      for (const declaration of moduleDoc.declarations ?? []) {
        const found = byClass.get(declaration.name);
        if (!found) continue;
        const from = new Map();
        for (const { tag, parts } of found) for (const part of parts) from.set(part, [...new Set([...(from.get(part) ?? []), tag])]);
        declaration.cssParts ??= [];
        for (const [name, tags] of from) {
          if (declaration.cssParts.some((p) => p.name === name)) continue;
          declaration.cssParts.push({ name, description: `Exported from ${tags.map((t) => `\`<${t}>\``).join(', ')}.` });
        }
      }
    },
  };
}

/** The global design tokens, on the base class and so on every element. */
function globalTokenProperties() {
  return {
    name: 'secure-global-tokens',
    moduleLinkPhase({ moduleDoc }) {
      const base = moduleDoc.declarations?.find((d) => d.name === 'SecureElement');
      if (!base) return;
      base.cssProperties = globalTokens().map(({ name, light, dark, value }) => ({
        name,
        description:
          value !== undefined
            ? `Global token, read by every element (set it on the element or any ancestor). Default \`${value}\`.`
            : `Global token, read by every element (set it on the element or any ancestor). Default \`${light}\`; \`${dark}\` with \`theme="dark"\`.`,
        ...(value !== undefined ? { default: value } : { default: light }),
      }));
    },
  };
}

/** Each event's type: `CustomEvent<…>` with the detail declared in `SecureEventDetails` (src/events.ts). */
function eventTypes() {
  const file = new URL('./src/events.ts', import.meta.url);
  const source = ts.createSourceFile('events.ts', readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const details = new Map();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'SecureEventDetails') return;
    for (const member of node.members) {
      if (ts.isPropertySignature(member) && member.type) details.set(member.name.text, member.type.getText().replace(/\s+/g, ' '));
    }
  });
  return {
    name: 'secure-event-types',
    packageLinkPhase({ customElementsManifest }) {
      for (const module of customElementsManifest.modules) {
        for (const declaration of module.declarations ?? []) {
          // The context request between the elements is plumbing; the events a host hears are named `secure-*`.
          if (declaration.events) declaration.events = declaration.events.filter((event) => event.name?.startsWith('secure-'));
          for (const event of declaration.events ?? []) {
            const detail = details.get(event.name);
            if (detail) event.type = { text: detail === 'undefined' ? 'CustomEvent<undefined>' : `CustomEvent<${detail}>` };
          }
        }
      }
    },
  };
}

export default {
  globs: ['src/components/**/*.ts', 'src/internal/secure-element.ts', 'src/internal/session-root.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/*.styles.ts'],
  outdir: 'dist',
  litelement: true,
  plugins: [defineCalls(), staticProperties(), plumbing(), exportParts(), globalTokenProperties(), eventTypes()],
};
