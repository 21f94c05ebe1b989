#!/usr/bin/env node
// Where the widget bundle's bytes go: builds it as `pnpm build` does (nothing is written) and prints, for every module
// in each output file, its minified size and its size gzip -9 on its own, largest first. A module's own gzip size
// overstates what it adds to its file (gzip shares repeats across modules), so a change is judged by check-size.mjs's
// totals; this says where to look. `pnpm -C packages/elements bundle:modules` (docs/performance.md, "Bundle").
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const rows = [];
const measure = {
  name: 'secure-inbox:bundle-modules',
  enforce: 'post',
  generateBundle(_, bundle) {
    for (const [file, chunk] of Object.entries(bundle)) {
      if (chunk.type !== 'chunk' || file.includes('/locales/')) continue;
      for (const [id, module] of Object.entries(chunk.modules)) {
        const code = module.code ?? '';
        const name = id.replace(/.*[\\/]node_modules[\\/]\.pnpm[\\/][^\\/]+[\\/]node_modules[\\/]/, '').replace(/.*[\\/]packages[\\/]/, '');
        rows.push({ file: file.replace(/-[\w-]{8}\.js$/, '-<hash>.js'), name, raw: code.length, gzip: gzipSync(code, { level: 9 }).length });
      }
    }
  },
};
await build({
  configFile: fileURLToPath(new URL('../../../vite.config.ts', import.meta.url)),
  plugins: [measure],
  build: { write: false },
  logLevel: 'error',
});
rows.sort((a, b) => b.gzip - a.gzip);
for (const { file, name, raw, gzip } of rows) console.log(`${String(gzip).padStart(6)} ${String(raw).padStart(7)}  ${file}  ${name}`);
