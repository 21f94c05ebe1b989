/**
 * Issue #22's widget end to end (real server, real bundle, Chromium): a customer's question is acknowledged with the
 * account's reply time, seen by the team, answered, rated and solved; staff see the rating and the account's summary.
 * A screenshot pasted into a reply uploads and shows as a preview to the other side.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoApi, launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

const permit = 'permit-bp-2026-0142';
const stamp = Date.now().toString(36);
const inbox = (page: Page) => page.locator('secure-inbox');
const part = (page: Page, name: string) => inbox(page).locator(`[part~="${name}"]`);
const inThread = (page: Page, name: string) => part(page, 'thread').locator(`[part~="${name}"]`);

const api = <T>(userId: string, method: string, path: string, body?: unknown) => demoApi<T>(server, userId, method, path, body);

async function visit(userId: string, conversation?: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${server.url}/?as=${userId}${conversation ? `&conversation=${conversation}` : ''}`);
  await part(page, 'nav').waitFor();
  return page;
}

/** A customer asks a question through compose; returns the new conversation's id. */
async function ask(page: Page, subject: string, body: string): Promise<string> {
  await part(page, 'compose-button').click();
  const dialog = part(page, 'compose');
  await dialog.locator('#subject').fill(subject);
  await dialog.locator('[part~="editor"]').fill(body);
  await dialog.locator('[part~="send"]').click();
  await part(page, 'message').filter({ hasText: body }).waitFor();
  await expect.poll(() => inbox(page).getAttribute('conversation')).toMatch(/\S/);
  return (await inbox(page).getAttribute('conversation'))!;
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('solving, rating, reply times and "seen"', () => {
  it('a customer hears when they will be answered, sees the team read it, rates and solves it; staff see the rating', async () => {
    expect((await api('dan.reyes', 'PUT', '/reply-times', { accountId: permit, replyTime: { amount: 2, unit: 'working_days' } })).status).toBe(200);
    const maria = await visit('maria.lopez');
    await part(maria, 'compose-button').click();
    await expect.poll(() => part(maria, 'compose').locator('[part~="expected-reply"]').textContent()).toBe('We usually answer within 2 working days.');
    await part(maria, 'compose').locator('[part~="close"]').click();
    const subject = `Fence height ${stamp}`;
    const id = await ask(maria, subject, 'How high may the garden fence be?');
    await expect.poll(() => part(maria, 'acknowledgement').textContent()).toMatch(/^Your question went to .+\. We usually answer within 2 working days\.$/);
    await expect.poll(() => inThread(maria, 'expected-reply').textContent()).toBe('We usually answer within 2 working days.');

    // The team reads it: the customer sees so (once the thread is read again).
    expect((await api('dan.reyes', 'POST', `/conversations/${id}/read`)).status).toBe(204);
    await maria.reload();
    await expect.poll(() => part(maria, 'seen').textContent()).toMatch(/^\s*Seen by the .+ team, /);

    // Answered: the rating form appears live.
    await api('dan.reyes', 'POST', `/conversations/${id}/messages`, { body: '<p>Up to 1.8 m.</p>', action: 'send' });
    const form = part(maria, 'rating-form');
    await form.waitFor();
    await form.locator('input[value="4"]').check();
    await form.locator('textarea').fill('Quick and clear.');
    await form.getByRole('button', { name: 'Send rating' }).click();
    await expect.poll(() => part(maria, 'rating').textContent()).toContain('You rated this conversation 4 of 5.');
    await part(maria, 'solve').click();
    await expect.poll(() => inThread(maria, 'status').textContent()).toBe('Resolved');

    const dan = await visit('dan.reyes', id);
    await expect.poll(() => part(dan, 'rating').textContent()).toBe('Maria López rated it 4 of 5. Quick and clear.');
    await expect(part(dan, 'rating-form').count()).resolves.toBe(0);
    const summary = await api<{ count: number; mean: number; counts: Record<string, number> }>('dan.reyes', 'GET', `/ratings?accountId=${permit}`);
    expect(summary.status).toBe(200);
    expect(summary.json.count).toBeGreaterThanOrEqual(1);
    expect(summary.json.counts['4']).toBeGreaterThanOrEqual(1);
  });
});

describe('the acknowledgement in the list', () => {
  it("is worded in the reader's language, as the thread words it", async () => {
    expect((await api('dan.reyes', 'PUT', '/reply-times', { accountId: permit, replyTime: { amount: 3, unit: 'days' } })).status).toBe(200);
    const subject = `Shed on the lawn ${stamp}`;
    expect((await api('maria.lopez', 'POST', '/conversations', { accountId: permit, subject, body: '<p>May the shed stand here?</p>' })).status).toBe(201);
    const maria = await visit('maria.lopez');
    await inbox(maria).evaluate((element: HTMLElement & { locale?: string }) => (element.locale = 'de'));
    await part(maria, 'unread-toggle').uncheck();
    const preview = part(maria, 'row').filter({ hasText: subject }).locator('[part~="preview"]');
    await expect
      .poll(() => preview.textContent().then((text) => text?.trim()))
      .toMatch(/^Ihre Frage ging an .+\. Wir antworten in der Regel innerhalb von 3 Tagen\.$/);
  });
});

describe('files', () => {
  it('a screenshot pasted into a reply uploads with its progress and is previewed for the other side', async () => {
    const maria = await visit('maria.lopez');
    const id = await ask(maria, `Crack in the wall ${stamp}`, 'See the picture.');
    const editor = part(maria, 'thread').locator('secure-rich-editor [part~="editor"]');
    await editor.click();
    await editor.evaluate(async (node) => {
      const canvas = new OffscreenCanvas(64, 48);
      const context = canvas.getContext('2d')!;
      context.fillStyle = '#c00';
      context.fillRect(0, 0, 64, 48);
      const files = new DataTransfer();
      files.items.add(new File([await canvas.convertToBlob({ type: 'image/png' })], 'image.png', { type: 'image/png' }));
      node.dispatchEvent(new ClipboardEvent('paste', { clipboardData: files, bubbles: true, cancelable: true, composed: true }));
    });
    await part(maria, 'attachment-chip').filter({ hasText: 'image.png' }).waitFor();
    await expect.poll(() => part(maria, 'progress').count()).toBe(0);
    await editor.fill('The crack, photographed.');
    await part(maria, 'thread').locator('[part~="send"]').click();
    await part(maria, 'message').filter({ hasText: 'The crack, photographed.' }).waitFor();

    const dan = await visit('dan.reyes', id);
    const preview = part(dan, 'attachment-preview');
    await preview.waitFor();
    expect(await preview.evaluate((canvas: HTMLCanvasElement) => [canvas.width, canvas.height, canvas.getAttribute('aria-label')])).toEqual([
      64,
      48,
      'image.png',
    ]);
  });
});
