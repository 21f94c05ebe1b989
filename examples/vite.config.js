// Builds the framework examples (react/, vue/) into dist/, which serve.mjs publishes at /react/ and /vue/.
// No framework plugin: Vite compiles the React app's JSX itself (tsconfig.json: "jsx": "react-jsx"), and the Vue app
// uses Vue's h(), so there is no SFC to compile.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  logLevel: 'warn',
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    rollupOptions: {
      input: {
        react: resolve(here, 'react/index.html'),
        vue: resolve(here, 'vue/index.html'),
      },
    },
  },
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
});
