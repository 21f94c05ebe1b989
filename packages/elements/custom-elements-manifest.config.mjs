/**
 * Builds dist/custom-elements.json from the JSDoc of each element (`@summary`, `@slot`, `@csspart`,
 * `@cssprop`, `@fires`). Tag names come from the `Class.define('secure-…')` call beside each class,
 * so the manifest cannot disagree with what the bundle registers.
 */
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

export default {
  globs: ['src/components/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/*.styles.ts'],
  outdir: 'dist',
  litelement: true,
  plugins: [defineCalls(), staticProperties()],
};
