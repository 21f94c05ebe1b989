/**
 * Staff talk among themselves, then add a customer from the thread view: the add-recipients panel says that the
 * customer will see messages from then on, and the customer's widget shows only what was written after they joined.
 * Real server, real bundle, Chromium.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;
let contexts: BrowserContext[] = [];

const stamp = Date.now().toString(36);
const subject = `Inspection plan for 12 Elm Street (${stamp})`;
const secrets = [`Owner was difficult on the phone, zorblatt${stamp}`, `Agreed, bring a second inspector quillifax${stamp}`];
const welcome = `Hello Maria, we have added you to plan your inspection (${stamp}).`;

const inbox = (page: Page) => page.locator('secure-inbox');
const messages = (page: Page) => inbox(page).locator('[part~="thread"] [part~="message"]');

async function visit(page: Page, userId: string, conversation?: string): Promise<void> {
  await page.goto(`${server.url}/?as=${userId}${conversation ? `&conversation=${conversation}` : ''}`);
  await inbox(page).locator('[part~="nav"]').waitFor();
}

async function tokenFor(userId: string): Promise<string> {
  const response = await fetch(`${server.url}/demo/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

async function api<T>(token: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Everything the page shows inside the widget, shadow roots included. */
const widgetText = (page: Page) =>
  page.evaluate(() => {
    const parts: string[] = [];
    const walk = (node: Node) => {
      if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent ?? '');
      if (node instanceof Element && node.shadowRoot) walk(node.shadowRoot);
      for (const child of node.childNodes) walk(child);
    };
    walk(document.querySelector('secure-inbox')!);
    return parts.join(' ');
  });

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  contexts = [await browser.newContext({ viewport: { width: 1400, height: 1000 } }), await browser.newContext({ viewport: { width: 1400, height: 1000 } })];
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('a customer added to a staff-only conversation', () => {
  it('sees none of the earlier staff-only messages in the widget, only what follows', async () => {
    const dan = await tokenFor('dan.reyes');
    const ines = await tokenFor('ines.kowalski');
    const { conversation } = await api<{ conversation: { id: string } }>(dan, '/conversations', {
      accountId: 'permit-bp-2026-0142',
      subject,
      body: `<p>${secrets[0]}</p>`,
      recipientIds: ['ines.kowalski'],
    });
    const id = conversation.id;
    await api(ines, `/conversations/${id}/messages`, { body: `<p>${secrets[1]}</p>` });

    // Dan adds Maria from the thread view; the panel tells him what she will see before he confirms.
    const staff = await contexts[1]!.newPage();
    await visit(staff, 'dan.reyes', id);
    await messages(staff).filter({ hasText: secrets[1] }).waitFor();
    await inbox(staff).locator('[part~="thread-actions"] button', { hasText: 'Add recipients' }).click();
    const panel = inbox(staff).locator('form[part~="panel"]');
    await panel.locator('label', { hasText: 'Maria López' }).waitFor();
    expect(await panel.locator('[part~="panel-hint"]').textContent()).toBe(
      'Customers you add will see messages from now on, not the earlier staff-only messages.',
    );
    await panel.locator('label', { hasText: 'Maria López' }).locator('input').check();
    await panel.locator('button[type="submit"]').click();
    await inbox(staff).locator('[part~="participants"]', { hasText: 'Maria López' }).waitFor();
    await api(dan, `/conversations/${id}/messages`, { body: `<p>${welcome}</p>` });

    // Maria's Inbox lists the conversation with the welcome as its preview, and nothing from before.
    const customer = await contexts[0]!.newPage();
    await visit(customer, 'maria.lopez');
    const row = inbox(customer).locator('[part~="row"]', { hasText: subject });
    await row.waitFor();
    expect(await row.textContent()).toContain(welcome.slice(0, 40));
    for (const secret of secrets) expect(await widgetText(customer)).not.toContain(secret);

    // She opens it: only the welcome.
    await row.click();
    await messages(customer).filter({ hasText: welcome }).waitFor();
    expect(await messages(customer).count()).toBe(1);
    const thread = await widgetText(customer);
    for (const secret of secrets) expect(thread).not.toContain(secret);

    // Searching her messages finds the welcome, not the staff words.
    await visit(customer, 'maria.lopez');
    await inbox(customer).locator('[part~="unread-toggle"]').uncheck();
    const search = async (q: string) => {
      await inbox(customer).locator('[part~="search-input"]').fill(q);
      await inbox(customer).locator('[part~="search-button"]').click();
    };
    await search(`${stamp}%`);
    await row.waitFor();
    await search(`zorblatt${stamp}`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);
    await search(`quillifax${stamp}`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);

    // Staff still read the whole conversation.
    await visit(staff, 'dan.reyes', id);
    await messages(staff).filter({ hasText: welcome }).waitFor();
    expect(await messages(staff).count()).toBe(3);
  });
});
