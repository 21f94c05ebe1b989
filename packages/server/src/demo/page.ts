/**
 * The demo portal: a login picker that mints tokens for the seeded users on the server, and a page
 * that embeds `<secure-inbox>` the way a host site would. Mounted only by the demo's entry point.
 *
 * The page carries no inline script or style, so it runs under a strict Content-Security-Policy.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { jsonBody } from '../validate.js';
import { conversationLink } from '../notify/outbox.js';
import { mintDemoToken } from './token.js';
import { accountNamesOf, demoUserList, findDemoUser, type DemoUser } from './users.js';

export const DEMO_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const assetsDir = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const asset = (name: string) => readFileSync(join(assetsDir, name), 'utf8');
const assets = {
  js: asset('demo.js'),
  css: asset('demo.css'),
};

const TokenRequest = z.strictObject({ userId: z.string().trim().min(1).max(200) });

const roleLabels: Record<DemoUser['role'], string> = { customer: 'Customer', staff: 'Staff', admin: 'Admin' };
const roleLabel = (u: DemoUser) => (u.staffKind === 'support' ? 'Support' : roleLabels[u.role]);

const initials = (name: string) =>
  name
    .split(/\s+/)
    .map((part) => part[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase();

/**
 * A notice e-mail's link in the demo: the public URL with `conversation=<id>` and `as=<recipient>`, so the demo page
 * opens the recipient's thread at once instead of asking who they are (a real portal knows from its own sign-in).
 */
export function demoNoticeLink(publicUrl: string, conversationId: string, recipient: { id: string }): string {
  const url = new URL(conversationLink(publicUrl, conversationId));
  url.searchParams.set('as', recipient.id);
  return url.toString();
}

/** `/?as=<user>` keeping the deep link, if any. */
function pickHref(userId: string | null, conversation: string | null): string {
  const params = new URLSearchParams();
  if (userId) params.set('as', userId);
  if (conversation) params.set('conversation', conversation);
  const query = params.toString();
  return query ? `/?${query}` : '/';
}

function layout(title: string, body: unknown, user?: DemoUser) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo.css">
${user ? html`<script type="module" src="/secure-inbox.js"></script>\n<script type="module" src="/demo.js"></script>\n` : ''}</head>
<body${user ? html` data-user="${user.id}"` : ''}>
${body}
</body>
</html>`;
}

const brand = html`<a class="brand" href="/"><span class="brand-mark" aria-hidden="true">✉</span><span>Northfield Portal</span><span class="brand-tag">Secure Inbox demo</span></a>`;

function picker(conversation: string | null, unknownUser: string | null) {
  const groups: { title: string; hint: string; role: DemoUser['role'] }[] = [
    { title: 'Customers', hint: 'See only their own conversations, never internal notes.', role: 'customer' },
    { title: 'Staff', hint: 'Answer the accounts they work on: resolve, internal notes, status updates, tips.', role: 'staff' },
    { title: 'Administrators', hint: 'See every account.', role: 'admin' },
  ];
  const card = (u: DemoUser) => html`<li>
  <a class="user-card" href="${pickHref(u.id, conversation)}">
    <span class="avatar avatar-${u.role}" aria-hidden="true">${initials(u.name)}</span>
    <span class="user-text">
      <span class="user-name">${u.name} <span class="role role-${u.role}">${roleLabel(u)}</span></span>
      <span class="user-title">${u.title}</span>
      <span class="user-accounts">${accountNamesOf(u).join(' · ')}</span>
    </span>
  </a>
</li>`;
  return html`<header class="topbar">${brand}</header>
<main class="picker" id="main">
  <h1>Sign in as a demo user</h1>
  <p class="lead">This page plays the part of a host portal that already knows who you are. Pick a person: the server mints a
  short-lived token with their claims, and the embedded <code>&lt;secure-inbox&gt;</code> shows exactly what they may see.</p>
  ${unknownUser !== null ? html`<p class="notice" role="alert">There is no demo user “${unknownUser}”. Pick one below.</p>` : ''}
  ${conversation !== null ? html`<p class="notice">You followed a link to a conversation. Pick who you are to open it.</p>` : ''}
  ${groups.map(
    (g) => html`<section class="group" aria-labelledby="group-${g.role}">
  <h2 id="group-${g.role}">${g.title}</h2>
  <p class="hint">${g.hint}</p>
  <ul class="users">${demoUserList.filter((u) => u.role === g.role).map(card)}</ul>
</section>`,
  )}
  <p class="fineprint">Demo mode only: <code>pnpm serve</code> has no login picker and accepts only tokens signed by your own site.</p>
</main>`;
}

function inbox(user: DemoUser, conversation: string | null) {
  return html`<header class="topbar">
  ${brand}
  <nav class="session" aria-label="Account">
    <secure-unread-badge></secure-unread-badge>
    <span class="who"><span class="avatar avatar-${user.role}" aria-hidden="true">${initials(user.name)}</span>
      <span class="who-text"><strong>${user.name}</strong><span class="who-title">${user.title}</span></span></span>
    <a class="button" href="${pickHref(null, null)}">Switch user</a>
  </nav>
</header>
<main class="workspace" id="main">
  <section class="inbox-panel" aria-label="Messages">
    <h1 class="visually-hidden">Messages of ${user.name}</h1>
    <p class="notice bundle-missing" role="alert" hidden>The widget bundle has not been built yet: run <code>pnpm build</code>, then reload this page.</p>
    ${conversation !== null ? html`<secure-inbox conversation="${conversation}"></secure-inbox>` : html`<secure-inbox></secure-inbox>`}
  </section>
  <aside class="explain" aria-labelledby="explain-title">
    <h2 id="explain-title">What you are looking at</h2>
    <p>You are <strong>${user.name}</strong> (${roleLabel(user).toLowerCase()}), acting in:</p>
    <ul>${accountNamesOf(user).map((name) => html`<li>${name}</li>`)}</ul>
    <p>The message centre is one <code>&lt;secure-inbox&gt;</code> element loaded from <code>/secure-inbox.js</code>. Its
    <code>tokenProvider</code> asks this demo server for a 15-minute token; a real portal mints it on its own backend.</p>
    ${
      user.role === 'customer'
        ? html`<p>Customers never see internal notes or hidden resolve notes. Sign in as staff on the same account to compare.</p>`
        : html`<p>Staff see internal notes and can answer with Send, Send &amp; leave open, Resolve (a note hidden from the customer), internal notes, status updates and tips.</p>`
    }
    <p><a href="${pickHref(null, null)}">Pick another user</a></p>
  </aside>
</main>`;
}

function page(c: Context<AppEnv>, body: ReturnType<typeof html>, status: 200 | 404 = 200) {
  c.header('Content-Security-Policy', DEMO_CSP);
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return c.html(body, status);
}

/** GET `/`, `/demo.js`, `/demo.css` and POST `/demo/token`. */
export function demoRoutes() {
  return new Hono<AppEnv>()
    .get('/', (c) => {
      const as = c.req.query('as')?.trim() || null;
      const rawConversation = c.req.query('conversation')?.trim() || null;
      const conversation = rawConversation && rawConversation.length <= 200 ? rawConversation : null;
      const user = as ? findDemoUser(as) : undefined;
      if (!user) {
        return page(c, layout('Secure Inbox demo — sign in', picker(conversation, as)), as ? 404 : 200);
      }
      return page(c, layout(`Messages — ${user.name} — Secure Inbox demo`, inbox(user, conversation), user));
    })
    .get('/demo.js', (c) => {
      c.header('Content-Type', 'text/javascript; charset=utf-8');
      c.header('Cache-Control', 'no-cache');
      return c.body(assets.js);
    })
    .get('/demo.css', (c) => {
      c.header('Content-Type', 'text/css; charset=utf-8');
      c.header('Cache-Control', 'no-cache');
      return c.body(assets.css);
    })
    .post('/demo/token', jsonBody(TokenRequest), async (c) => {
      const { userId } = c.req.valid('json');
      const user = findDemoUser(userId);
      if (!user) throw new ApiError(404, 'not_found', `No such demo user: ${userId}.`);
      c.header('Cache-Control', 'no-store');
      return c.json(await mintDemoToken(c.get('deps').config, user));
    });
}
