// Element tests in Debian's Chromium (never a downloaded browser), with msw answering the API in a service worker.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';

const require = createRequire(import.meta.url);
const serviceWorker = readFileSync(require.resolve('msw/mockServiceWorker.js'));

/** A page as strict as a careful host: no inline script or style, nothing from elsewhere. */
const strictCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

export default {
  files: ['src/**/*.test.ts', '!src/**/*.csp.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'production'] },
  // One page at a time: a page in a background tab gets no animation frames or intersection callbacks.
  concurrency: 1,
  browserStartTimeout: 60000,
  testsFinishTimeout: 180000,
  testFramework: { config: { timeout: 8000 } },
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: chromiumPath,
        args: ['--headless=new', ...chromiumArgs],
      },
    }),
  ],
  plugins: [esbuildPlugin({ ts: true, tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) })],
  middleware: [
    function mockServiceWorker(context, next) {
      if (context.path !== '/mockServiceWorker.js') return next();
      context.type = 'application/javascript';
      context.set('Service-Worker-Allowed', '/');
      context.body = serviceWorker;
      return undefined;
    },
  ],
  groups: [
    {
      name: 'csp',
      files: 'src/**/*.csp.test.ts',
      testRunnerHtml: (testFramework) =>
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${strictCsp}"><title>Strict CSP</title></head><body><script type="module" src="${testFramework}"></script></body></html>`,
    },
  ],
};
