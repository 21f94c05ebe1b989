import { fileURLToPath } from 'node:url';
import type { Plugin, UserConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

/** Collapses whitespace in the static text of `html` and `css` tagged templates (the minifier keeps template text as is). */
function minifyTemplates(): Plugin {
  const source = /[\\/]packages[\\/]elements[\\/]src[\\/].*\.ts$/;
  const squeeze = (tag: string, text: string) => {
    if (tag === 'css') {
      return (
        text
          .replace(/\/\*[^]*?\*\//g, '')
          .replace(/\s+/g, ' ')
          .replace(/\s*([{};])\s*/g, '$1')
          // `: ` and `, ` only: a space before `:` or `,` can be a descendant combinator (`.a :focus`).
          .replace(/([:,]) /g, '$1')
          .replace(/;}/g, '}')
          // `0.875em` → `.875em`: the same number.
          .replace(/([\s:(,])0\.(\d)/g, '$1.$2')
      );
    }
    // HTML: whitespace runs become one space, which renders the same (no <pre> or <textarea> in our templates);
    // whitespace before the `>` that ends a tag goes (`<label\n  >` → `<label>`), which is not text at all.
    return text.replace(/\s+/g, ' ').replace(/(<\/?[a-zA-Z][^<>]*?) >/g, '$1>');
  };
  return {
    name: 'secure-inbox:minify-templates',
    enforce: 'post',
    transform(code, id) {
      if (!source.test(id) || !/\b(html|css)`/.test(code)) return null;
      const edits: { start: number; end: number; text: string }[] = [];
      const visit = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        if (Array.isArray(node)) return node.forEach(visit);
        const n = node as Node;
        if (n.type === 'TaggedTemplateExpression') {
          const tag = n.tag as Node & { name?: string };
          if (tag.type === 'Identifier' && (tag.name === 'html' || tag.name === 'css')) {
            for (const quasi of (n.quasi as { quasis: (Node & { value: { raw: string } })[] }).quasis) {
              const raw = quasi.value.raw;
              const text = squeeze(tag.name, raw);
              if (text !== raw) {
                // The quasi's span covers its raw text (ESTree positions exclude the backtick and `${`).
                const start = code.indexOf(raw, quasi.start);
                if (start >= 0 && start <= quasi.start + 2) edits.push({ start, end: start + raw.length, text });
              }
            }
          }
        }
        for (const key of Object.keys(n)) if (key !== 'type' && key !== 'start' && key !== 'end') visit(n[key]);
      };
      visit(this.parse(code));
      if (!edits.length) return null;
      let out = code;
      for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
      return { code: out, map: null };
    },
  };
}

/**
 * The translations (packages/elements/src/locales/<lang>.ts) are imported on demand, so each becomes its own file,
 * named for the BFF's `/secure-inbox/locales/<lang>.js` (a fixed name: the server serves only names it knows).
 */
const localeChunk = (chunk: { facadeModuleId: string | null }) =>
  /[\\/]packages[\\/]elements[\\/]src[\\/]locales[\\/]\w+\.ts$/.test(chunk.facadeModuleId ?? '');

/**
 * The widget bundle: an ES module with Lit included (no externals), served by the BFF at
 * `/secure-inbox.js`, and the modules it loads on demand, served under `/secure-inbox/`. `pnpm build` runs this, then the size budget check.
 * (A plain object: vite is a dependency of packages/elements, not of the root, so nothing is imported from it at runtime.)
 */
const config: UserConfig = {
  plugins: [minifyTemplates()],
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
    // Only Lit's licence notices stay (`@license`); every other comment goes.
    // The modules loaded on demand (the staff console) go beside the entry, under `secure-inbox/`, named by their
    // content's hash: the entry imports them by a relative address, so they come from the server the entry came from.
    // The entry may export more than its own names (what the chunks share with it), so the code they share stays in
    // the entry instead of a third module every first load would fetch too.
    rolldownOptions: {
      preserveEntrySignatures: 'allow-extension',
      output: {
        minify: true,
        comments: { legal: true, annotation: false, jsdoc: false },
        // Translations keep fixed names (the server serves only the languages it knows), under `secure-inbox/locales/`.
        chunkFileNames: (chunk) => (localeChunk(chunk) ? 'secure-inbox/locales/[name].js' : 'secure-inbox/[name]-[hash].js'),
      },
    },
    lib: {
      entry: here('packages/elements/src/bundle.ts'),
      formats: ['es'],
      fileName: () => 'secure-inbox.js',
    },
  },
};

export default config;
