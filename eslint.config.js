// ESLint for the whole repository (`pnpm lint`): the recommended rules of ESLint and typescript-eslint everywhere,
// eslint-plugin-lit and eslint-plugin-lit-a11y on the elements' templates.
import js from '@eslint/js';
import lit from 'eslint-plugin-lit';
import litA11y from 'eslint-plugin-lit-a11y';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/coverage/',
    '**/test-results/',
    '**/.tmp/',
    '**/data/',
    'packages/server/drizzle/',
    // Generated from the OpenAPI document by packages/protocol/scripts/openapi-types.ts.
    'packages/protocol/src/openapi-types.ts',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a name left unused on purpose (`const { $id: _id, ...rest } = schema`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Declaration merging: `interface HTMLElementEventMap extends SecureEventMap {}` and React's `namespace JSX`
      // inside `declare module 'react'` are how a library adds its types to the platform's and React's.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
    },
  },
  {
    // Code that runs in the browser: the elements, the demo page's script, the examples.
    files: ['packages/elements/src/**', 'packages/react/src/**', 'packages/server/src/demo/assets/**', 'examples/**'],
    ignores: ['examples/serve.mjs', 'examples/host-login/server.mjs', 'examples/vite.config.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['packages/elements/src/**/*.ts'],
    extends: [lit.configs['flat/recommended'], litA11y.configs.recommended],
  },
  {
    // Tests, benchmarks and the end-to-end harness read JSON answers as `any`: the assertions that follow are the check.
    files: ['**/*.test.ts', '**/test/**', 'e2e/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Chai's property assertions (`expect(x).to.exist`) are expressions by design.
    files: ['packages/elements/src/**/*.test.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
