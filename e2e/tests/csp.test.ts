/**
 * The widget under a strict Content Security Policy on the host page — no 'unsafe-inline', no
 * 'unsafe-eval', scripts and styles only from the widget's origin, connections only to the API —
 * still renders the inbox and a thread, opens a tip, the Status tab, the compose form and the badge,
 * receives a live event and sends a reply, without one policy violation. The page is on another origin than the
 * widget's server: the module the entry loads on demand (the thread, compose, the Status tab and the staff console)
 * comes from that server too (`/secure-inbox/…`, resolved against the entry's own address), after the list is drawn,
 * and works under the same policy.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type RunningServer } from '../harness.js';
import { api, mintToken, startApi, startHost, type Claims, type Host } from './security-host.js';

const maria: Claims = { sub: 'maria', name: 'Maria Lopez', role: 'customer', accounts: ['acme'] };
const dan: Claims = { sub: 'dan', name: 'Dan Reyes', role: 'staff', accounts: ['acme'] };

let host: Host;
let server: RunningServer & { dbFile: string };
let browser: Browser;
let conversation: string;

/** The recipe from docs/security.md, for a widget served from `api`. */
const policy = (api: string) =>
  [
    "default-src 'none'",
    `script-src ${api}`,
    `style-src ${api}`,
    `connect-src ${api}`,
    `img-src ${api}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');

beforeAll(async () => {
  host = await startHost();
  server = await startApi(host.origin);
  await api(server.url, maria, 'GET', '/me');
  await api(server.url, dan, 'GET', '/me');
  conversation = (
    await api(server.url, maria, 'POST', '/conversations', {
      accountId: 'acme',
      subject: 'Fence permit question',
      body: '<p>Is a <strong>fence</strong> permit needed?</p>',
    })
  ).json.conversation.id;
  await api(server.url, dan, 'POST', `/conversations/${conversation}/messages`, {
    body: '<p>Yes, above 1.2 m. See <a href="https://example.com/fences">the rules</a>.</p>',
    action: 'send_leave_open',
    tip: 'Measure from the lowest ground level.',
  });
  await api(server.url, dan, 'POST', `/conversations/${conversation}/messages`, { body: 'Office closed on Friday.', action: 'status_update' });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await host?.close();
});

interface Watch {
  violations: string[];
  consoleErrors: string[];
  /** Every address the page asked for. */
  requests: string[];
}

async function open(claims: Claims): Promise<{ page: Page; watch: Watch }> {
  const token = mintToken(claims);
  const csp = policy(server.url);
  host.page(
    `/csp-${claims.sub}`,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Strict portal</title>
<script type="module" src="${server.url}/secure-inbox.js"></script></head>
<body><secure-unread-badge api-base="${server.url}" token="${token}"></secure-unread-badge>
<secure-inbox api-base="${server.url}" token="${token}"></secure-inbox></body></html>`,
    { 'content-security-policy': csp },
  );
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
  const watch: Watch = { violations: [], consoleErrors: [], requests: [] };
  await context.exposeBinding('__cspViolation', (_source, text: string) => {
    watch.violations.push(text);
  });
  await context.addInitScript(() => {
    document.addEventListener(
      'securitypolicyviolation',
      (e) =>
        (window as unknown as { __cspViolation: (t: string) => void }).__cspViolation(
          `${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`,
        ),
      true,
    );
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy|Refused to/i.test(message.text())) watch.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => watch.consoleErrors.push(error.message));
  page.on('request', (request) => watch.requests.push(request.url()));
  const response = await page.goto(`${host.origin}/csp-${claims.sub}`);
  expect(response?.headers()['content-security-policy']).toBe(csp);
  return { page, watch };
}

describe('under a strict CSP on the host page', () => {
  it('the policy is enforced: something the recipe does not allow is reported', async () => {
    const { page, watch } = await open(dan);
    try {
      await page.evaluate(() => {
        const img = document.createElement('img');
        img.src = 'https://example.com/tracker.png';
        document.body.append(img);
      });
      await expect.poll(() => watch.violations.length).toBeGreaterThan(0);
      expect(watch.violations[0]).toMatch(/img-src/);
    } finally {
      await page.context().close();
    }
  });

  it(
    'renders the inbox and a thread, opens a tip, the Status tab, the compose form and the badge, receives a live event and sends a reply, with no violation',
    { timeout: 120_000 },
    async () => {
      const { page, watch } = await open(maria);
      try {
        const row = page.locator('secure-inbox [part~="row"]', { has: page.locator('[part~="subject"]', { hasText: 'Fence permit question' }) });
        await row.waitFor();
        // Styles apply (constructable stylesheets need no 'unsafe-inline'): the nav is laid out, not raw.
        const display = await page.locator('secure-inbox [part~="nav"]').evaluate((el) => getComputedStyle(el).display);
        expect(display).not.toBe('inline');

        await page.locator('secure-unread-badge [part~="badge-button"]').click();
        await page.locator('secure-unread-badge [part~="item"]').first().waitFor();
        await page.keyboard.press('Escape');

        await row.click();
        const messages = page.locator('secure-inbox [part~="thread"] [part~="message"]');
        await messages.filter({ hasText: 'above 1.2 m' }).waitFor();
        await page.locator('secure-inbox [part~="tip-button"]').first().click();
        await page.locator('secure-inbox [part~="tip"]').filter({ hasText: 'lowest ground level' }).waitFor({ state: 'visible' });
        await page.keyboard.press('Escape');

        // A live event over the event stream (fetch to the API, within connect-src): staff answer, the open thread shows it.
        await api(server.url, dan, 'POST', `/conversations/${conversation}/messages`, { body: 'Live answer from the office.' });
        await messages.filter({ hasText: 'Live answer from the office.' }).waitFor({ timeout: 20_000 });

        // A reply from the thread.
        const reply = page.locator('secure-inbox [part~="reply"]');
        await reply.locator('[part~="editor"]').fill('Thanks, we will keep it at 1.1 m.');
        await reply.locator('[part~="send"]').click();
        await messages.filter({ hasText: 'we will keep it at 1.1 m' }).waitFor();
        const thread = (await api(server.url, dan, 'GET', `/conversations/${conversation}`)).json;
        expect(thread.messages.map((m: { body: string }) => m.body).join(' ')).toContain('we will keep it at 1.1 m');

        await page.locator('secure-inbox [part~="folder"]', { hasText: /^\s*Status\s*$/ }).click();
        await page.locator('secure-inbox [part~="status-tab"] [part~="message"]', { hasText: 'Office closed on Friday.' }).waitFor();

        await page.locator('secure-inbox [part~="compose-button"]').click();
        await page.locator('secure-inbox [part~="compose"]').waitFor({ state: 'visible' });
        await page.keyboard.press('Escape');

        await page.waitForTimeout(300);
        expect(watch.violations, 'securitypolicyviolation events').toEqual([]);
        expect(watch.consoleErrors, 'console errors').toEqual([]);
        // The customer's visit loaded the entry, then, once the list had been asked for, the module of the other parts,
        // from the widget's server beside the entry: nothing else under /secure-inbox/.
        expect(watch.requests).toContain(`${server.url}/secure-inbox.js`);
        const parts = watch.requests.filter((url) => url.includes('/secure-inbox/'));
        expect(parts).toHaveLength(1);
        expect(new URL(parts[0]).origin).toBe(new URL(server.url).origin);
        expect(new URL(parts[0]).pathname).toMatch(/^\/secure-inbox\/parts-[\w-]+\.js$/);
        const list = watch.requests.findIndex((url) => url.startsWith(`${server.url}/api/v1/conversations?`));
        expect(list).toBeGreaterThanOrEqual(0);
        expect(list).toBeLessThan(watch.requests.indexOf(parts[0]));
        expect(await page.locator('secure-inbox secure-answer-panel, secure-inbox [part~="controls"], secure-inbox [part~="queues"]').count()).toBe(0);
      } finally {
        await page.context().close();
      }
    },
  );

  it(
    "loads the staff console on demand from the widget's server for a staff member, who answers with it, with no violation",
    { timeout: 120_000 },
    async () => {
      const { page, watch } = await open(dan);
      try {
        // The queue filters and the notification centre come with the staff console.
        await page.locator('secure-inbox [part~="queues"] [part~="queue-status"]').waitFor();
        await page.locator('secure-inbox [part~="notifications-button"]').waitFor();
        const row = page.locator('secure-inbox [part~="row"]', { has: page.locator('[part~="subject"]', { hasText: 'Fence permit question' }) });
        await row.click();
        const messages = page.locator('secure-inbox [part~="thread"] [part~="message"]');
        await messages.filter({ hasText: 'above 1.2 m' }).first().waitFor();

        // Assignee and status controls, and the answer panel in place of the plain Send button.
        await page.locator('secure-inbox [part~="controls"] [part~="status-select"]').waitFor();
        expect(await page.locator('secure-inbox [part~="reply"] [part~="send"]').count()).toBe(0);
        const reply = page.locator('secure-inbox [part~="reply"]');
        await reply.locator('[part~="editor"]').fill('Answered from the staff console.');
        await reply.locator('[part~="answer-button"]', { hasText: /^\s*Send & leave open\s*$/ }).click();
        await messages.filter({ hasText: 'Answered from the staff console.' }).waitFor();
        const thread = (await api(server.url, maria, 'GET', `/conversations/${conversation}`)).json;
        expect(thread.messages.map((m: { body: string }) => m.body).join(' ')).toContain('Answered from the staff console.');

        // The module came from the widget's server, beside the entry, not from the host page's origin.
        const chunks = watch.requests.filter((url) => url.includes('/secure-inbox/'));
        expect(chunks.length).toBeGreaterThan(0);
        for (const url of chunks) {
          expect(new URL(url).origin).toBe(new URL(server.url).origin);
          expect(new URL(url).pathname).toMatch(/^\/secure-inbox\/parts-[\w-]+\.js$/);
        }
        expect(watch.requests.some((url) => url.startsWith(`${host.origin}/secure-inbox`))).toBe(false);

        await page.waitForTimeout(300);
        expect(watch.violations, 'securitypolicyviolation events').toEqual([]);
        expect(watch.consoleErrors, 'console errors').toEqual([]);
      } finally {
        await page.context().close();
      }
    },
  );
});
