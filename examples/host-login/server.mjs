#!/usr/bin/env node
/**
 * A minimal host site: the portal that already has its own login, and embeds Secure Inbox.
 *
 * - The host's login is the host's business: a form, a password check, an HttpOnly session cookie on the
 *   host's own origin. The widget never sees that cookie.
 * - The host's backend mints the widget's short-lived JWT (`GET /portal/secure-inbox-token` → text) from the
 *   session, signed with the secret it shares with the Secure Inbox server (SECURE_INBOX_JWT_SECRET).
 * - The page loads `/secure-inbox.js` from the Secure Inbox server and gives `<secure-inbox>` a `tokenProvider`
 *   that calls that route; the widget calls it again whenever the server answers 401 (expired token).
 *
 *   SECURE_INBOX_JWT_SECRET   the shared secret, the same value `pnpm serve` runs with (≥ 32 bytes)
 *   SECURE_INBOX_URL          the Secure Inbox server, default http://127.0.0.1:8787
 *   SECURE_INBOX_JWT_AUDIENCE default secure-inbox (as the server expects)
 *   SECURE_INBOX_JWT_ISSUER   optional; set it on both sides
 *   HOST_LOGIN_PORT, HOST_LOGIN_HOST   where this site listens, default 127.0.0.1:8791
 *   HOST_TOKEN_SECONDS        widget token lifetime, default 300
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;

const secret = env.SECURE_INBOX_JWT_SECRET ?? '';
if (Buffer.byteLength(secret, 'utf8') < 32) {
  console.error(
    'Set SECURE_INBOX_JWT_SECRET to the same secret of at least 32 bytes that the Secure Inbox server runs with ' +
      '(for example: export SECURE_INBOX_JWT_SECRET="$(openssl rand -base64 48)").',
  );
  process.exit(1);
}
const key = new TextEncoder().encode(secret);
const apiBase = new URL(env.SECURE_INBOX_URL ?? 'http://127.0.0.1:8787').origin;
const audience = env.SECURE_INBOX_JWT_AUDIENCE?.trim() || 'secure-inbox';
const issuer = env.SECURE_INBOX_JWT_ISSUER?.trim() || undefined;
const tokenSeconds = Number(env.HOST_TOKEN_SECONDS ?? 300);
const port = Number(env.HOST_LOGIN_PORT ?? 8791);
const host = env.HOST_LOGIN_HOST ?? '127.0.0.1';

/**
 * The host's own user store (a database in real life). The claims the widget needs come from here:
 * `sub`, `name`, `email`, `role` and the `accounts` (client account / matter / case file) the user acts in.
 */
const users = [
  {
    login: 'maria',
    password: 'maria-demo',
    sub: 'maria.lopez',
    name: 'Maria López',
    email: 'maria.lopez@example.com',
    role: 'customer',
    accounts: ['permit-bp-2026-0142'],
  },
  {
    login: 'dan',
    password: 'dan-demo',
    sub: 'dan.reyes',
    name: 'Dan Reyes',
    email: 'dan.reyes@city.example.gov',
    role: 'staff',
    accounts: ['permit-bp-2026-0142'],
  },
  {
    login: 'tom',
    password: 'tom-demo',
    sub: 'tom.hartley',
    name: 'Tom Hartley',
    email: 'tom@hartleybakery.example',
    role: 'customer',
    accounts: ['acct-hartley'],
  },
  {
    login: 'sarah',
    password: 'sarah-demo',
    sub: 'sarah.chen',
    name: 'Sarah Chen',
    email: 'sarah.chen@chenpatel.example',
    role: 'staff',
    accounts: ['acct-hartley'],
  },
];

/** Session id → user. In memory: restarting the host signs everyone out, which is fine for an example. */
const sessions = new Map();
const SESSION_COOKIE = 'host_session';

const sameText = (a, b) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function sessionOf(req) {
  const cookie = req.headers.cookie ?? '';
  const id = cookie
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === SESSION_COOKIE)?.[1];
  return id ? sessions.get(id) : undefined;
}

/** The widget's token: short-lived, with exactly the claims the Secure Inbox server requires. */
async function mintWidgetToken(user) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ name: user.name, email: user.email, role: user.role, accounts: user.accounts })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.sub)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + tokenSeconds)
    .setJti(randomBytes(12).toString('base64url'));
  if (issuer) jwt.setIssuer(issuer);
  return jwt.sign(key);
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const csp = [
  "default-src 'self'",
  `script-src 'self' ${apiBase}`,
  "style-src 'self'",
  "img-src 'self' data:",
  `connect-src 'self' ${apiBase}`,
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function page(res, status, title, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': csp,
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<link rel="stylesheet" href="/host.css">
${body.head ?? ''}</head>
<body>
<header class="bar"><a class="brand" href="/">Riverton Services</a>${body.nav ?? ''}</header>
<main>
${body.main}
</main>
</body>
</html>`);
}

function loginPage(res, error) {
  const rows = users
    .map((u) => `<tr><td><code>${u.login}</code></td><td><code>${u.password}</code></td><td>${escape(u.name)}</td><td>${u.role}</td></tr>`)
    .join('\n');
  page(res, error ? 401 : 200, 'Sign in — Riverton Services', {
    main: `<h1>Sign in</h1>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/login" class="login">
  <label>User name <input name="login" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
<h2>Example users</h2>
<table><thead><tr><th>user name</th><th>password</th><th>who</th><th>role</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="hint">Staff see a customer's question once they have opened the portal at least once (the server learns account members from their tokens).</p>`,
  });
}

function portalPage(res, user) {
  page(res, 200, 'Messages — Riverton Services', {
    // The glue runs first so the elements have their token provider before they upgrade and make their first request.
    head: `<script type="module" src="/portal.js"></script>
<script type="module" src="${apiBase}/secure-inbox.js"></script>
`,
    nav: `<nav class="who"><secure-unread-badge api-base="${apiBase}" href="/portal"></secure-unread-badge><span>${escape(user.name)}</span>
<form method="post" action="/logout"><button type="submit">Sign out</button></form></nav>`,
    main: `<h1>Messages</h1>
<secure-inbox api-base="${apiBase}"></secure-inbox>`,
  });
}

const assets = {
  '/portal.js': ['text/javascript; charset=utf-8', readFileSync(join(here, 'portal.js'))],
  '/host.css': ['text/css; charset=utf-8', readFileSync(join(here, 'host.css'))],
};

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) break;
  }
  return new URLSearchParams(body);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://host.invalid');
  const user = sessionOf(req);

  if (req.method === 'GET' && assets[url.pathname]) {
    const [type, body] = assets[url.pathname];
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    return res.end(body);
  }
  if (req.method === 'GET' && url.pathname === '/') {
    if (user) return res.writeHead(303, { Location: '/portal' }).end();
    return loginPage(res);
  }
  if (req.method === 'POST' && url.pathname === '/login') {
    const form = await readForm(req);
    const match = users.find((u) => u.login === form.get('login') && sameText(u.password, form.get('password') ?? ''));
    if (!match) return loginPage(res, 'That user name and password do not match.');
    const id = randomBytes(32).toString('base64url');
    sessions.set(id, match);
    // The host's own session: HttpOnly, SameSite, on the host's origin. Add `Secure` when served over HTTPS.
    return res.writeHead(303, { Location: '/portal', 'Set-Cookie': `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Lax; Path=/` }).end();
  }
  if (req.method === 'POST' && url.pathname === '/logout') {
    const id = (req.headers.cookie ?? '').match(new RegExp(`${SESSION_COOKIE}=([^;]+)`))?.[1];
    if (id) sessions.delete(id);
    return res.writeHead(303, { Location: '/', 'Set-Cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0` }).end();
  }
  if (req.method === 'GET' && url.pathname === '/portal') {
    if (!user) return res.writeHead(303, { Location: '/' }).end();
    return portalPage(res, user);
  }
  if (req.method === 'GET' && url.pathname === '/portal/secure-inbox-token') {
    // Same-origin only: the session cookie is SameSite and no CORS header is sent, so other sites cannot read it.
    if (!user) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      return res.end('Not signed in.');
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    return res.end(await mintWidgetToken(user));
  }
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Not found.');
});

server.listen(port, host, () => {
  const address = server.address();
  const origin = `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
  console.log(`Host site on ${origin}/ (widget server: ${apiBase})`);
  console.log(`The widget server must allow this origin: SECURE_INBOX_ALLOWED_ORIGINS=${origin}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
