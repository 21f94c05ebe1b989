/**
 * A web team embedding the widget for the first time, in Chromium against the real server: each way of getting
 * the set-up wrong shows its own sentence to the person and one console line naming what to set. And the demo
 * itself: page loads send no request before the token, log no error, and lock no one out.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;
let host: Server;
let hostPort: number;
let token: string;

/** A host portal page on another origin: the bundle from the server, and whatever `script` sets up. */
function hostPage(apiBase: string, script: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title><link rel="icon" href="data:,">
<script type="module" src="${server.url}/secure-inbox.js"></script></head>
<body><main><h1>Portal</h1><secure-inbox api-base="${apiBase}"></secure-inbox></main>
<script type="module">${script}</script></body></html>`;
}

const pages: Partial<Record<string, () => string>> = {
  '/none': () => hostPage(server.url, ''),
  '/throws': () =>
    hostPage(server.url, `document.querySelector('secure-inbox').tokenProvider = async () => { throw new Error('the portal session has ended'); };`),
  '/good': () => hostPage(server.url, `document.querySelector('secure-inbox').tokenProvider = async () => ${JSON.stringify(token)};`),
  '/stopped': () => hostPage(`http://127.0.0.1:${stoppedPort}`, `document.querySelector('secure-inbox').tokenProvider = async () => ${JSON.stringify(token)};`),
};
let stoppedPort: number;

interface Visit {
  page: Page;
  errors: string[];
  apiRequests: string[];
  statuses: number[];
}

async function visit(url: string, options: { bypassCSP?: boolean } = {}): Promise<Visit> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const visited: Visit = { page, errors: [], apiRequests: [], statuses: [] };
  page.on('console', (message) => message.type() === 'error' && visited.errors.push(message.text()));
  page.on('request', (request) => request.url().includes('/api/v1/') && visited.apiRequests.push(`${request.method()} ${request.url()}`));
  page.on('response', (response) => response.url().includes('/api/v1/') && visited.statuses.push(response.status()));
  await page.goto(url);
  return visited;
}

/** The sentence the message centre shows. */
async function sentence(page: Page): Promise<string> {
  const error = page.locator('secure-inbox [part~="error"]').first();
  await error.waitFor();
  expect(await error.getAttribute('role')).toBe('alert');
  return (await error.textContent())!.replace(/\s+/g, ' ').trim();
}

/** Waits for the one console line of the widget and returns it. */
async function explained(visited: Visit): Promise<string> {
  await expect.poll(() => visited.errors.filter((line) => line.startsWith('Secure Inbox:')).length).toBe(1);
  return visited.errors.find((line) => line.startsWith('Secure Inbox:'))!;
}

beforeAll(async () => {
  hostPort = await freePort();
  stoppedPort = await freePort();
  server = await startServer({
    env: { SECURE_INBOX_ALLOWED_ORIGINS: `http://127.0.0.1:${hostPort}`, SECURE_INBOX_AUTH_FAILURES_PER_MINUTE: '10' },
  });
  const minted = await fetch(`${server.url}/demo/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'maria.lopez' }),
  });
  token = ((await minted.json()) as { token: string }).token;
  host = createServer((request, response) => {
    const make = pages[new URL(request.url!, 'http://x').pathname];
    response.writeHead(make ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(make ? make() : 'not found');
  });
  await new Promise<void>((resolve) => host.listen(hostPort, '127.0.0.1', resolve));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => host?.close(resolve));
  await server?.stop();
});

describe('when the set-up is wrong', () => {
  it('works when it is right (the cases below differ from this one in one thing)', async () => {
    const { page, errors } = await visit(`http://127.0.0.1:${hostPort}/good`);
    await page.locator('secure-inbox [part~="row"]').first().waitFor();
    expect(errors).toEqual([]);
  });

  it('no token source: says the page has not set up the message centre, and sends no API request', async () => {
    const visited = await visit(`http://127.0.0.1:${hostPort}/none`);
    expect(await sentence(visited.page)).toContain('This page has not set up the message centre.');
    expect(await explained(visited)).toMatch(/no token source: set tokenProvider \(or token\).*docs\/embedding\.md#when-it-does-not-work/);
    expect(visited.apiRequests).toEqual([]);
  });

  it('a tokenProvider that throws: says this page could not sign the person in, and names the provider', async () => {
    const visited = await visit(`http://127.0.0.1:${hostPort}/throws`);
    expect(await sentence(visited.page)).toContain('This page could not sign you in.');
    expect(await explained(visited)).toContain('tokenProvider failed: the portal session has ended');
    expect(visited.apiRequests).toEqual([]);
  });

  it('a page whose origin the server does not allow: says so, not that the server is down, and names the variable', async () => {
    const visited = await visit(`http://localhost:${hostPort}/good`);
    expect(await sentence(visited.page)).toContain('The message server does not accept this site.');
    expect(await explained(visited)).toContain(`add http://localhost:${hostPort} to SECURE_INBOX_ALLOWED_ORIGINS`);
    // The server says so in its log too, naming the origin and the variable.
    await expect.poll(() => server.output()).toContain(`Refused a browser request from http://localhost:${hostPort}`);
  });

  it('a server that is not running: says it cannot be reached, and names api-base', async () => {
    const visited = await visit(`http://127.0.0.1:${hostPort}/stopped`);
    expect(await sentence(visited.page)).toContain('The message server cannot be reached right now.');
    expect(await explained(visited)).toContain(`no answer from http://127.0.0.1:${stoppedPort}: check api-base`);
  });
});

describe('the demo', () => {
  it('sends no request before the token, logs no error, and twelve reloads lock no one out', async () => {
    const visited = await visit(`${server.url}/?as=maria.lopez`);
    const { page } = visited;
    await page.locator('secure-inbox [part~="row"]').first().waitFor();
    for (let i = 0; i < 12; i++) {
      await page.reload();
      await page.locator('secure-inbox [part~="row"]').first().waitFor();
    }
    // The badge on the same page works as well: the address was never locked (429) or refused (401).
    await expect.poll(async () => (await page.locator('secure-unread-badge [part~="count"]').textContent())?.trim()).toMatch(/\d/);
    expect(visited.statuses.filter((status) => status === 401 || status === 429)).toEqual([]);
    expect(visited.errors).toEqual([]);
  });

  it('has a login picker that passes axe', async () => {
    // The demo's CSP allows its own scripts only; axe is injected from the test, as an extension would.
    const { page } = await visit(`${server.url}/`, { bypassCSP: true });
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => {
      const result = await (window as unknown as { axe: { run: () => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe.run();
      return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations).toEqual([]);
  });
});
