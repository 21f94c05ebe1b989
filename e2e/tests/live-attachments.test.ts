/**
 * Live updates and attachments through the real server, the real bundle and Chromium: an answer reaches the
 * customer's open thread without a reload, a file attached by the customer is downloaded by staff, and the
 * customer's next question is counted in the staff notification centre as it arrives.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;
let customer: Page;
let staff: Page;

const stamp = Date.now().toString(36);
const messages = (page: Page) => page.locator('secure-inbox [part~="message"]');
const row = (page: Page, subject: string) =>
  page.locator('secure-inbox [part~="row"]').filter({ has: page.locator('[part~="subject"]', { hasText: subject }) });

async function open(page: Page, userId: string, conversation?: string): Promise<void> {
  await page.goto(`${server.url}/?as=${userId}${conversation ? `&conversation=${conversation}` : ''}`);
  await page.locator('secure-inbox [part~="nav"]').waitFor();
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  customer = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true })).newPage();
  staff = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('live updates and attachments', () => {
  let conversation = '';

  it("shows staff's answer in the customer's open thread without a reload", async () => {
    await open(staff, 'ines.kowalski');
    // Staff see every conversation of their Inbox (not only unread ones) by default.
    await row(staff, 'Framing inspection on Thursday').click();
    await expect.poll(() => new URL(staff.url()).searchParams.get('conversation')).toMatch(/\S/);
    conversation = new URL(staff.url()).searchParams.get('conversation')!;

    await open(customer, 'maria.lopez', conversation);
    await customer.locator('secure-inbox [part~="connection"]', { hasText: 'Live' }).waitFor();
    await messages(customer).first().waitFor();
    const before = await messages(customer).count();

    const answer = `Confirmed for 8 am (${stamp}).`;
    const form = staff.locator('secure-inbox [part~="reply"]');
    await form.locator('[part~="editor"]').fill(answer);
    await form.locator('[part~="answer-button"]', { hasText: /^\s*Send\s*$/ }).click();
    await messages(staff).filter({ hasText: answer }).waitFor();

    // No navigation on the customer's page: the event stream brings the answer in.
    await messages(customer).filter({ hasText: answer }).waitFor({ timeout: 10_000 });
    expect(await messages(customer).count()).toBe(before + 1);
  });

  it('uploads a file from the reply box, sends it, and staff download it by its name', async () => {
    const reply = customer.locator('secure-inbox [part~="reply"]');
    const name = `site-plan-${stamp}.pdf`;
    await reply.locator('input[type="file"]').setInputFiles({
      name,
      mimeType: 'application/pdf',
      buffer: Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`),
    });
    // The chip shows at once with a progress bar; Remove replaces Cancel when the upload has finished.
    await reply.locator('[part~="attachment-chip"]', { hasText: name }).locator('[part~="remove-attachment"]').waitFor();
    await reply.locator('[part~="editor"]').fill(`The revised plan (${stamp}).`);
    await reply.locator('[part~="send"]').click();
    await messages(customer).filter({ hasText: name }).waitFor();

    await open(staff, 'ines.kowalski', conversation);
    const attachment = messages(staff).filter({ hasText: name }).locator('[part~="attachment-download"]');
    const [download] = await Promise.all([staff.waitForEvent('download'), attachment.click()]);
    expect(download.suggestedFilename()).toBe(name);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path).toString('latin1')).toMatch(/^%PDF-1\.4/);
  });

  it("counts the customer's next question in the staff notification centre without a reload", async () => {
    await staff.locator('secure-inbox [part~="connection"]', { hasText: 'Live' }).waitFor();
    const count = staff.locator('secure-inbox [part~="notifications-count"]');
    const unread = async () => Number(await count.textContent());
    await expect.poll(unread).not.toBeNaN();
    const before = await unread();
    const question = `Can the inspector also look at the deck (${stamp})?`;
    const reply = customer.locator('secure-inbox [part~="reply"]');
    await reply.locator('[part~="editor"]').fill(question);
    await reply.locator('[part~="send"]').click();
    await messages(customer).filter({ hasText: question }).waitFor();
    // The assignee's notice arrives as notification.created on their open stream.
    await expect.poll(unread, { timeout: 10_000 }).toBe(before + 1);
    await staff.locator('secure-inbox [part~="notifications-button"]').click();
    await staff.locator('secure-inbox [part~="notification-unread"]', { hasText: 'Framing inspection' }).first().waitFor();
  });

  it('refuses an SVG and says why', async () => {
    const reply = customer.locator('secure-inbox [part~="reply"]');
    await reply.locator('input[type="file"]').setInputFiles({
      name: 'logo.svg',
      mimeType: 'image/svg+xml',
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    });
    const refusal = reply.locator('[part~="error"]', { hasText: /svg|not allowed|type/i });
    await refusal.first().waitFor();
    expect(await refusal.first().isVisible()).toBe(true);
    // The refused file stays listed with its reason (never uploaded, so nothing of it is sent).
    const chip = reply.locator('[part~="attachment-chip"]', { hasText: 'logo.svg' });
    expect(await chip.locator('[part~="progress"]').count()).toBe(0);
    expect(await chip.textContent()).toMatch(/svg|not allowed|type/i);
  });
});
