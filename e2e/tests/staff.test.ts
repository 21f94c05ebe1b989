/**
 * The staff console end to end: a customer asks from the demo page, a staff member answers with each answer-panel
 * action in turn, and the customer sees exactly the visible ones, with the status and unread count to match.
 * Real server, real bundle, Chromium; pages are reloaded between steps rather than relying on live updates.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;
let contexts: BrowserContext[] = [];
let customer: Page;
let staff: Page;

const stamp = Date.now().toString(36);
const subject = `Can the fence stay at 1.2 m? (${stamp})`;
const texts = {
  question: `The fence along the street is 1.2 m high (${stamp}).`,
  leaveOpen: `We are checking the bylaw and will come back to you (${stamp}).`,
  internal: `Neighbour complained last year, check the file (${stamp}).`,
  update: `Your fence question is with the zoning team (${stamp}).`,
  resolve: `Closed after a phone call, nothing to send (${stamp}).`,
  send: `Yes, 1.2 m is allowed on your street (${stamp}).`,
};
const tip = `Measure from the lowest ground level (${stamp}).`;

const inbox = (page: Page) => page.locator('secure-inbox');
const row = (page: Page) =>
  inbox(page)
    .locator('[part~="row"]')
    .filter({ has: page.locator('[part~="subject"]', { hasText: subject }) });
const messages = (page: Page) => inbox(page).locator('[part~="thread"] [part~="message"]');
const threadStatus = (page: Page) => inbox(page).locator('[part~="thread-header"] [part~="status"]');
const answerButton = (page: Page, label: string) =>
  inbox(page).locator('[part~="answer-button"]', { hasText: new RegExp(`^\\s*${label.replace(/[&]/g, '\\$&')}\\s*$`) });

async function visit(page: Page, userId: string, conversation?: string): Promise<void> {
  await page.goto(`${server.url}/?as=${userId}${conversation ? `&conversation=${conversation}` : ''}`);
  await inbox(page).locator('[part~="nav"]').waitFor();
}

/** Writes `text` in the staff reply box and chooses an answer button; the message appears in the thread. */
async function answer(label: string, text: string): Promise<void> {
  await inbox(staff).locator('[part~="reply"] [part~="editor"]').fill(text);
  await answerButton(staff, label).first().click();
  await messages(staff).filter({ hasText: text }).waitFor();
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  contexts = [await browser.newContext({ viewport: { width: 1400, height: 1000 } }), await browser.newContext({ viewport: { width: 1400, height: 1000 } })];
  customer = await contexts[0].newPage();
  staff = await contexts[1].newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the staff console', () => {
  let id = '';

  it('lets a customer ask a question from the demo page', async () => {
    await visit(customer, 'maria.lopez');
    await inbox(customer).locator('[part~="compose-button"]').click();
    const dialog = inbox(customer).locator('[part~="compose"]');
    await dialog.locator('#subject').fill(subject);
    await dialog.locator('[part~="editor"]').fill(texts.question);
    await dialog.locator('[part~="send"]').click();
    await messages(customer).filter({ hasText: texts.question }).waitFor();
    await expect.poll(() => inbox(customer).getAttribute('conversation')).toMatch(/\S/);
    id = (await inbox(customer).getAttribute('conversation'))!;
    expect(await threadStatus(customer).textContent()).toBe('Open');
  });

  it('shows staff the question in their queue, with counts and the sender type in words', async () => {
    // The customer leaves the thread (an open thread is read as answers arrive).
    await visit(customer, 'maria.lopez');
    await visit(staff, 'dan.reyes');
    const queues = inbox(staff).locator('[part~="queues"]');
    await expect.poll(async () => (await queues.locator('[part~="queue-status"] option[value="open"]').textContent()) ?? '').toMatch(/^Open \(\d+\)$/);
    await queues.locator('[part~="queue-status"]').selectOption('open');
    await queues.locator('[part~="queue-assignee"]').selectOption('none');
    await row(staff).waitFor();
    expect(await row(staff).locator('[part~="flag"]').textContent()).toBe('Customer');
    await row(staff).click();
    await messages(staff).filter({ hasText: texts.question }).waitFor();
  });

  it('assigns the conversation and answers with each action in turn', async () => {
    const controls = inbox(staff).locator('[part~="controls"]');
    await controls.locator('[part~="assignee"] option', { hasText: 'Ines Kowalski' }).waitFor({ state: 'attached' });
    await controls.locator('[part~="assignee"]').selectOption({ label: 'Ines Kowalski' });
    await controls.locator('[part~="result"]', { hasText: 'Assignee: Ines Kowalski. Saved.' }).waitFor();

    await answer('Send & leave open', texts.leaveOpen);
    expect(await threadStatus(staff).textContent()).toBe('Open');

    await answer('Internal note', texts.internal);
    await inbox(staff).locator('[part~="message-internal"]', { hasText: texts.internal }).waitFor();

    // A tip travels with the status update and shows as a light bulb on it.
    await inbox(staff).locator('[part~="answer-panel"] button', { hasText: 'Add tip' }).click();
    await inbox(staff).locator('[part~="tip-field"]').fill(tip);
    await answer('Post as status update', texts.update);

    // Resolve asks first; Escape cancels without sending, then it is confirmed.
    await inbox(staff).locator('[part~="reply"] [part~="editor"]').fill(texts.resolve);
    await answerButton(staff, 'Resolve').click();
    const confirm = inbox(staff).locator('[part~="confirm"]');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('Internal — not shown to the customer');
    await staff.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    await answerButton(staff, 'Resolve').click();
    await confirm.locator('[part~="answer-button"]').click();
    await inbox(staff).locator('[part~="message-internal"]', { hasText: texts.resolve }).waitFor();
    await expect.poll(() => threadStatus(staff).textContent()).toBe('Resolved');

    await answer('Send', texts.send);
    await expect.poll(() => threadStatus(staff).textContent()).toBe('Answered');

    // Notify administrators on the existing conversation.
    await controls.locator('[part~="notify-admins"]').click();
    await controls.locator('[part~="result"]', { hasText: /administrators? notified/ }).waitFor();
  });

  it('shows the customer exactly the visible answers, the status and the unread count', async () => {
    await visit(customer, 'maria.lopez');
    await inbox(customer).locator('[part~="unread-toggle"]').uncheck();
    await row(customer).waitFor();
    // Three visible messages arrived: Send & leave open, the status update and Send; the hidden notes do not count.
    expect(await row(customer).locator('[part~="unread-marker"]').textContent()).toBe('3 unread');
    expect(await row(customer).locator('[part~="status"]').textContent()).toBe('Answered');
    expect(await row(customer).locator('[part~="flag"]').textContent()).toBe('Staff');

    await visit(customer, 'maria.lopez', id);
    await messages(customer).filter({ hasText: texts.send }).waitFor();
    const shown = await messages(customer).locator('[part~="message-body"]').allTextContents();
    expect(shown.map((text) => text.trim())).toEqual([texts.question, texts.leaveOpen, texts.update, texts.send]);
    const thread = (await inbox(customer).locator('[part~="thread"]').textContent()) ?? '';
    expect(thread).not.toContain(texts.internal);
    expect(thread).not.toContain(texts.resolve);
    expect(await inbox(customer).locator('[part~="message-internal"]').count()).toBe(0);
    expect(await inbox(customer).locator('secure-answer-panel, [part~="controls"]').count()).toBe(0);
    expect(await threadStatus(customer).textContent()).toBe('Answered');

    // The tip is on the status update; the status update is also on the Status tab.
    await messages(customer).filter({ hasText: texts.update }).locator('[part~="tip-button"]').click();
    await inbox(customer).locator('[part~="tip"]', { hasText: tip }).waitFor({ state: 'visible' });
    await customer.keyboard.press('Escape');
    await inbox(customer).locator('[part~="folder"]', { hasText: 'Status' }).click();
    await inbox(customer).locator('[part~="status-tab"]', { hasText: texts.update }).waitFor();
    expect(await inbox(customer).locator('[part~="status-tab"]').textContent()).not.toContain(texts.send);
  });

  it("shows staff the customer's next question as open again", async () => {
    await visit(customer, 'maria.lopez', id);
    const more = `One more question about the gate (${stamp}).`;
    await inbox(customer).locator('[part~="reply"] [part~="editor"]').fill(more);
    await inbox(customer).locator('[part~="reply"] [part~="send"]').click();
    await messages(customer).filter({ hasText: more }).waitFor();

    await visit(staff, 'ines.kowalski');
    const queues = inbox(staff).locator('[part~="queues"]');
    await queues.locator('[part~="queue-assignee"]').selectOption('me');
    await row(staff).waitFor();
    expect(await row(staff).locator('[part~="status"]').textContent()).toBe('Open');
    expect(await row(staff).locator('[part~="unread-marker"]').count()).toBe(1);
  });
});
