#!/usr/bin/env node
/**
 * A tiny static server for the examples, on its own origin (default http://127.0.0.1:8790), so the widget is
 * embedded cross-origin exactly as on a real portal. No dependencies: node:http only.
 *
 * It also stands in for the portal's backend: `GET /portal/secure-inbox-token?as=<demo user>` answers a widget
 * token as text. A real portal mints that token itself from its own session (see host-login/); here the
 * examples borrow the demo server's `POST /demo/token`, server to server, so they need no secret of their own.
 *
 *   SECURE_INBOX_URL   the Secure Inbox server (`pnpm start`), default http://127.0.0.1:8787
 *   EXAMPLES_PORT      default 8790
 *   EXAMPLES_HOST      default 127.0.0.1
 *
 * The Secure Inbox server must allow this origin: SECURE_INBOX_ALLOWED_ORIGINS=http://127.0.0.1:8790.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const port = Number(process.env.EXAMPLES_PORT ?? 8790);
const host = process.env.EXAMPLES_HOST ?? '127.0.0.1';
const apiBase = new URL(process.env.SECURE_INBOX_URL ?? 'http://127.0.0.1:8787').origin;

/** Demo users an example page may act as (the demo's customers and staff). */
const USER_ID = /^[a-z]+\.[a-z]+$/;

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** No inline script or style anywhere: the pages run under this policy, with the widget's server allowed. */
const csp = [
  "default-src 'self'",
  `script-src 'self' ${apiBase}`,
  "style-src 'self'",
  "img-src 'self' data:",
  `connect-src 'self' ${apiBase}`,
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

/** A file under `base` for a URL path, or undefined (never outside `base`). */
function fileUnder(base, pathname) {
  let path = decodeURIComponent(pathname);
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(base, path));
  if (file !== base && !file.startsWith(base + sep)) return undefined;
  if (!existsSync(file)) return undefined;
  const stat = statSync(file);
  if (stat.isDirectory()) return existsSync(join(file, 'index.html')) ? join(file, 'index.html') : undefined;
  return file;
}

async function token(res, userId) {
  if (!userId || !USER_ID.test(userId)) return send(res, 400, 'text/plain; charset=utf-8', 'Name a demo user: ?as=maria.lopez');
  try {
    const answer = await fetch(`${apiBase}/demo/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    });
    if (!answer.ok)
      return send(res, answer.status === 404 ? 404 : 502, 'text/plain; charset=utf-8', `The demo server refused a token for ${userId} (${answer.status}).`);
    const { token: jwt } = await answer.json();
    return send(res, 200, 'text/plain; charset=utf-8', jwt);
  } catch {
    return send(res, 502, 'text/plain; charset=utf-8', `The Secure Inbox demo is not reachable at ${apiBase}: run \`pnpm start\` first.`);
  }
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed', { Allow: 'GET, HEAD' });
  if (url.pathname === '/portal/secure-inbox-token') return void token(res, url.searchParams.get('as'));
  if (url.pathname === '/config.json') return send(res, 200, types['.json'], JSON.stringify({ apiBase }));

  // The framework apps are built by Vite into dist/ (`pnpm --filter @secure-inbox/examples build`).
  const built = /^\/(react|vue|assets)(\/|$)/.test(url.pathname);
  if (built && !existsSync(dist)) {
    return send(res, 404, 'text/plain; charset=utf-8', 'Build the framework examples first: pnpm --filter @secure-inbox/examples build');
  }
  const file = fileUnder(built ? dist : here, url.pathname);
  const type = file && types[extname(file)];
  // Only the pages and their assets: not this server, its package or node_modules.
  const published = built || url.pathname === '/' || url.pathname === '/index.html' || /^\/(shared|branded-portal)\//.test(url.pathname);
  if (!file || !type || !published) {
    return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${url.pathname}`);
  }
  res.writeHead(200, {
    'Content-Type': type,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...(type.startsWith('text/html') ? { 'Content-Security-Policy': csp } : {}),
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
});

server.listen(port, host, () => {
  const address = server.address();
  const origin = `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
  console.log(`Secure Inbox examples on ${origin}/ (widget server: ${apiBase})`);
  console.log(`The widget server must allow this origin: SECURE_INBOX_ALLOWED_ORIGINS=${origin}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
