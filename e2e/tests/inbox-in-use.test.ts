/**
 * What people met using the demo, end to end (real server, real bundle, Chromium): the "Unread only" choice, the
 * layout at common widths, who a question went to, writing about a host record, the support flag, and leaving.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

const stamp = Date.now().toString(36);
const inbox = (page: Page) => page.locator('secure-inbox');
const rows = (page: Page) => inbox(page).locator('[part~="row"]');
const row = (page: Page, subject: string) => rows(page).filter({ has: page.locator('[part~="subject"]', { hasText: subject }) });
const messages = (page: Page) => inbox(page).locator('[part~="thread"] [part~="message"]');
const folder = (page: Page, name: string) => inbox(page).locator('[part~="folder"]', { hasText: name });
const toggle = (page: Page) => inbox(page).locator('[part~="unread-toggle"]');

async function newPage(width = 1400, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  contexts.push(context);
  return context.newPage();
}

/** Opens the demo portal as `userId` (the demo login's own link), optionally on one conversation. */
async function visit(page: Page, userId: string, conversation?: string): Promise<void> {
  await page.goto(`${server.url}/?as=${userId}${conversation ? `&conversation=${conversation}` : ''}`);
  await inbox(page).locator('[part~="nav"]').waitFor();
}

/** A customer asks a question through compose; returns the new conversation's id. */
async function ask(page: Page, subject: string, body: string, topic?: string): Promise<string> {
  await inbox(page).locator('[part~="compose-button"]').click();
  const dialog = inbox(page).locator('[part~="compose"]');
  if (topic) await dialog.locator('select[name="topicId"]').selectOption({ label: topic });
  await dialog.locator('#subject').fill(subject);
  await dialog.locator('[part~="editor"]').fill(body);
  await dialog.locator('[part~="send"]').click();
  await messages(page).filter({ hasText: body }).waitFor();
  await expect.poll(() => inbox(page).getAttribute('conversation')).toMatch(/\S/);
  return (await inbox(page).getAttribute('conversation'))!;
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('"Unread only"', () => {
  it('stays as the person set it when they come back to the Inbox', async () => {
    const page = await newPage();
    await visit(page, 'maria.lopez');
    await expect.poll(() => toggle(page).isChecked()).toBe(true);
    await rows(page).first().waitFor();
    const unread = await rows(page).count();
    await toggle(page).uncheck();
    await expect.poll(() => rows(page).count()).toBeGreaterThan(unread);
    const all = await rows(page).count();

    await folder(page, 'Sent').click();
    await expect.poll(() => inbox(page).getAttribute('folder')).toBe('sent');
    await folder(page, 'Status').click();
    await folder(page, 'Inbox').click();
    await expect.poll(() => inbox(page).getAttribute('folder')).toBe('inbox');
    expect(await toggle(page).isChecked()).toBe(false);
    await expect.poll(() => rows(page).count()).toBe(all);

    // Switched back on, it stays on too.
    await toggle(page).check();
    await folder(page, 'Trash').click();
    await folder(page, 'Inbox').click();
    expect(await toggle(page).isChecked()).toBe(true);
    await expect.poll(() => rows(page).count()).toBe(unread);
  });
});
