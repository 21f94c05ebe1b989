import { fileURLToPath } from 'node:url';
import type { Plugin, UserConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Collapses whitespace in the elements' `css` tagged templates (the minifier leaves template text alone). */
function minifyCssTemplates(): Plugin {
  const source = /[\\/]packages[\\/]elements[\\/]src[\\/].*\.ts$/;
  return {
    name: 'secure-inbox:minify-css-templates',
    transform(code, id) {
      if (!source.test(id) || !code.includes('css`')) return null;
      const minified = code.replace(/\bcss`([^`]*)`/g, (_whole, text: string) => {
        const css = text
          .replace(/\/\*[^]*?\*\//g, '')
          .replace(/\s+/g, ' ')
          .replace(/\s*([{};])\s*/g, '$1')
          .replace(/;}/g, '}')
          .trim();
        return `css\`${css}\``;
      });
      return { code: minified, map: null };
    },
  };
}

/**
 * The widget bundle: one ES module with Lit and DOMPurify included (no externals), served by the BFF at
 * `/secure-inbox.js`. `pnpm build` runs this, then the size budget check.
 * (A plain object: vite is a dependency of packages/elements, not of the root, so nothing is imported from it at runtime.)
 */
const config: UserConfig = {
  plugins: [minifyCssTemplates()],
  publicDir: false,
  logLevel: 'warn',
  build: {
    target: 'es2022',
    outDir: here('packages/elements/dist'),
    emptyOutDir: true,
    minify: true,
    sourcemap: false,
    reportCompressedSize: false,
    // Library mode keeps whitespace in ES output by default; this file is an end product, so minify it fully.
    rolldownOptions: { output: { minify: true } },
    lib: {
      entry: here('packages/elements/src/index.ts'),
      formats: ['es'],
      fileName: () => 'secure-inbox.js',
    },
  },
};

export default config;
