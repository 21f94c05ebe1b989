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

export default {
  globs: ['src/components/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/*.styles.ts'],
  outdir: 'dist',
  litelement: true,
  plugins: [defineCalls()],
};
