/**
 * The demo's main paths from both sides, through the real server, the real bundle and Chromium:
 * a customer reads, replies, searches, trashes and restores; staff answer; the customer sees the answer.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;
let customerContext: BrowserContext;
let staffContext: BrowserContext;
let customer: Page;
let staff: Page;

const stamp = Date.now().toString(36);
const replyText = `Yes, I will be there on Thursday morning (${stamp}).`;
const answerText = `Thank you, see you at 8 am (${stamp}).`;
const internalText = `Gate code is 4411, do not share (${stamp}).`;

/** Signs in through the demo's login picker, as a person would. */
async function signIn(page: Page, userId: string): Promise<void> {
  await page.goto(`${server.url}/`);
  await page.locator(`a.user-card[href*="as=${userId}"]`).click();
  await page.waitForURL(`**/?as=${userId}*`);
  await page.locator('secure-inbox [part~="nav"]').waitFor();
}

const rows = (page: Page) => page.locator('secure-inbox [part~="row"]');
/** The row whose subject contains `subject`. */
const row = (page: Page, subject: string) => rows(page).filter({ has: page.locator('[part~="subject"]', { hasText: subject }) });
const messages = (page: Page) => page.locator('secure-inbox [part~="message"]');
const threadAction = (page: Page, name: string) => page.locator('secure-inbox [part~="thread-actions"] button', { hasText: name });

/** Replies as a customer, or answers with a staff answer-panel button (`Send`, `Internal note`, …). */
async function reply(page: Page, text: string, answer?: string): Promise<void> {
  const form = page.locator('secure-inbox [part~="reply"]');
  await form.locator('[part~="editor"]').fill(text);
  await (answer ? form.locator('[part~="answer-button"]', { hasText: new RegExp(`^\\s*${answer}\\s*$`) }) : form.locator('[part~="send"]')).click();
  await messages(page).filter({ hasText: text }).waitFor();
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  customerContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  staffContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  customer = await customerContext.newPage();
  staff = await staffContext.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the demo, customer and staff', () => {
  it('shows a customer their inbox with the unread count, opens a thread with a tip, and sends a reply', async () => {
    await signIn(customer, 'maria.lopez');

    const count = customer.locator('secure-inbox [part~="count"]');
    await expect.poll(async () => Number((await count.textContent())?.match(/\d+/)?.[0] ?? 0)).toBeGreaterThan(0);
    const unreadRow = row(customer, 'Framing inspection on Thursday').and(customer.locator('[part~="row-unread"]'));
    await unreadRow.waitFor();

    await unreadRow.click();
    const thread = customer.locator('secure-inbox [part~="thread"]');
    await thread.locator('h2', { hasText: 'Framing inspection on Thursday' }).waitFor();
    expect(await messages(customer).count()).toBeGreaterThanOrEqual(2);
    expect(await customer.locator('secure-inbox [part~="record-link"]').textContent()).toContain('BP-2026-0142');
    // Opening it marked it read: the unread marker is gone from its row.
    await expect.poll(() => unreadRow.count()).toBe(0);

    // The staff tip: a light bulb that opens the text and closes with Escape.
    const tip = customer.locator('secure-inbox [part~="tip"]').first();
    expect(await tip.isVisible()).toBe(false);
    await customer.locator('secure-inbox [part~="tip-button"]').first().click();
    await tip.waitFor({ state: 'visible' });
    expect(await tip.textContent()).toContain('stamped paper plan set');
    await customer.keyboard.press('Escape');
    await tip.waitFor({ state: 'hidden' });

    await reply(customer, replyText);
    expect(await messages(customer).last().textContent()).toContain(replyText);
    expect(await messages(customer).last().textContent()).toContain('Maria López');
  });

  it("lets staff open the customer's conversation and answer; the customer sees the answer, never the internal note", async () => {
    await signIn(staff, 'ines.kowalski');

    // Staff see the customer's reply in their inbox and open it.
    const staffRow = row(staff, 'Framing inspection on Thursday');
    // Staff see every conversation by default; the queue filters show once the page knows it is staff.
    await staff.locator('secure-inbox [part~="queues"]').waitFor();
    await staff.locator('secure-inbox [part~="unread-toggle"]').uncheck();
    await staffRow.click();
    await messages(staff).filter({ hasText: replyText }).waitFor();
    await expect.poll(() => new URL(staff.url()).searchParams.get('conversation')).toMatch(/\S/);

    // The answer panel: an internal note first (hidden from the customer), then the answer.
    await reply(staff, internalText, 'Internal note');
    expect(await staff.locator('secure-inbox [part~="message-internal"]', { hasText: internalText }).count()).toBe(1);
    await reply(staff, answerText, 'Send');

    // The customer opens the conversation (the deep link an e-mail carries) and reads the answer, not the note.
    const id = new URL(staff.url()).searchParams.get('conversation');
    await customer.goto(`${server.url}/?as=maria.lopez&conversation=${id}`);
    await messages(customer).filter({ hasText: answerText }).waitFor();
    const threadText = await customer.locator('secure-inbox [part~="thread"]').textContent();
    expect(threadText).toContain(replyText);
    expect(threadText).not.toContain(internalText);
    expect(await customer.locator('secure-inbox [part~="message-internal"]').count()).toBe(0);
  });

  it('finds conversations by keyword, moves one to trash and restores it', async () => {
    await customer.goto(`${server.url}/?as=maria.lopez`);
    await customer.locator('secure-inbox [part~="unread-toggle"]').uncheck();
    await row(customer, 'Framing inspection on Thursday').waitFor();

    const search = customer.locator('secure-inbox [part~="search-input"]');
    await search.fill('setback');
    await search.press('Enter');
    await expect.poll(async () => (await rows(customer).allTextContents()).join('|')).toContain('Revised site plan');
    expect(await row(customer, 'Framing inspection on Thursday').count()).toBe(0);

    // `%` lists everything again.
    await search.fill('%');
    await search.press('Enter');
    await row(customer, 'Framing inspection on Thursday').waitFor();
    expect(await row(customer, 'Revised site plan').count()).toBe(1);

    await row(customer, 'Revised site plan').click();
    await threadAction(customer, 'Move to trash').click();
    await expect.poll(() => row(customer, 'Revised site plan').count()).toBe(0);
    expect(await row(customer, 'Framing inspection on Thursday').count()).toBe(1);

    await customer.locator('secure-inbox [part~="folder"]', { hasText: 'Trash' }).click();
    await expect.poll(() => customer.locator('secure-inbox').getAttribute('folder')).toBe('trash');
    await customer
      .locator('secure-inbox [part~="unread-toggle"]')
      .uncheck()
      .catch(() => undefined);
    await row(customer, 'Revised site plan').click();
    await threadAction(customer, 'Restore').click();
    await expect.poll(() => row(customer, 'Revised site plan').count()).toBe(0);

    await customer.locator('secure-inbox [part~="folder"]', { hasText: 'Inbox' }).click();
    await customer.locator('secure-inbox [part~="unread-toggle"]').uncheck();
    await row(customer, 'Revised site plan').waitFor();
  });
});
