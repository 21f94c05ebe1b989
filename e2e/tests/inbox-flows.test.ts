/**
 * What customers and staff met in use, end to end on the demo (real server, real bundle, Chromium): a reply
 * to a trashed conversation, empty states, assigning to oneself, refused attachments, topics per account,
 * the Status tab, and the badge opening a thread from it.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

const stamp = Date.now().toString(36);
const inbox = (page: Page) => page.locator('secure-inbox');
const rows = (page: Page) => inbox(page).locator('[part~="row"]');
const row = (page: Page, subject: string) => rows(page).filter({ has: page.locator('[part~="subject"]', { hasText: subject }) });
const folder = (page: Page, name: string) => inbox(page).locator('[part~="folder"]', { hasText: name });
const messages = (page: Page) => inbox(page).locator('[part~="thread"] [part~="message"]');
/** What is on screen: text in a slot's fallback that is not rendered does not count. */
const shown = (locator: Locator) => locator.filter({ visible: true });
const threadTitle = (page: Page) => inbox(page).locator('[part~="thread"] h2');

async function tokenFor(userId: string): Promise<string> {
  const response = await fetch(`${server.url}/demo/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

/** Calls the API as `userId`, as another person's browser would. */
async function api<T>(userId: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${await tokenFor(userId)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as T };
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  contexts.push(context);
  return context.newPage();
}

async function visit(page: Page, userId: string, conversation?: string): Promise<void> {
  await page.goto(`${server.url}/?as=${userId}${conversation ? `&conversation=${conversation}` : ''}`);
  await inbox(page).locator('[part~="nav"]').waitFor();
}

const inboxCount = async (page: Page) =>
  Number(
    (await folder(page, 'Inbox')
      .locator('[part~="count"] [aria-hidden]')
      .textContent()
      .catch(() => '0')) || 0,
  );
const badgeCount = async (page: Page) => Number((await page.locator('secure-unread-badge [part~="count"] [aria-hidden]').textContent()) || 0);

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('a reply to a conversation the customer moved to Trash', () => {
  it('brings it back to their Inbox, unread, in the open widget and on the badge', async () => {
    const subject = `Fence height question (${stamp})`;
    const created = await api<{ conversation: { id: string } }>('maria.lopez', 'POST', '/conversations', {
      accountId: 'permit-bp-2026-0142',
      subject,
      body: '<p>How high may the fence be?</p>',
    });
    expect(created.status).toBe(201);
    const id = created.json.conversation.id;

    const customer = await newPage();
    await visit(customer, 'maria.lopez', id);
    await messages(customer).first().waitFor();
    await inbox(customer).locator('[part~="thread-actions"] button', { hasText: 'Move to trash' }).click();
    await folder(customer, 'Trash').click();
    await row(customer, subject).waitFor();
    await folder(customer, 'Inbox').click();
    await inbox(customer).locator('[part~="unread-toggle"]').uncheck();
    await rows(customer).first().waitFor();
    expect(await row(customer, subject).count()).toBe(0);
    const before = await badgeCount(customer);

    const answer = `Up to 1.2 m along the street (${stamp}).`;
    expect((await api('dan.reyes', 'POST', `/conversations/${id}/messages`, { body: `<p>${answer}</p>` })).status).toBe(201);

    // Live: the open Inbox lists it again, unread, and the counts go up without a reload.
    await row(customer, subject).and(customer.locator('[part~="row-unread"]')).waitFor();
    await expect.poll(() => badgeCount(customer)).toBe(before + 1);
    await expect.poll(() => inboxCount(customer)).toBe(before + 1);
    await folder(customer, 'Trash').click();
    await shown(inbox(customer).getByText('No messages here.')).or(rows(customer).first()).first().waitFor();
    expect(await row(customer, subject).count()).toBe(0);

    // And after a reload too (the kept pages followed).
    await visit(customer, 'maria.lopez');
    await row(customer, subject).and(customer.locator('[part~="row-unread"]')).waitFor();
    await row(customer, subject).click();
    await messages(customer).filter({ hasText: answer }).waitFor();
  });
});

describe('empty states', () => {
  it('says when "Unread only" finds nothing, and turns it off with the button it offers', async () => {
    const page = await newPage();
    // Everything Grace has is read: nothing unread is left.
    const unread = await api<{ items: { id: string }[] }>('grace.okafor', 'GET', '/conversations?unread=true');
    for (const { id } of unread.json.items) expect((await api('grace.okafor', 'POST', `/conversations/${id}/read`)).status).toBe(204);
    await visit(page, 'grace.okafor');
    const text = inbox(page).getByText('No unread messages. Turn off “Unread only” to see all messages.');
    await shown(text).waitFor();
    const button = inbox(page).getByRole('button', { name: 'Turn off “Unread only”' });
    await button.focus();
    await page.keyboard.press('Enter');
    await rows(page).first().waitFor();
    expect(await inbox(page).locator('[part~="unread-toggle"]').isChecked()).toBe(false);
    expect(
      await inbox(page)
        .locator('[part~="unread-toggle"]')
        .evaluate((el) => el.matches(':focus')),
    ).toBe(true);
  });

  it('names a search with no hits and clears it', async () => {
    const page = await newPage();
    await visit(page, 'tom.hartley');
    await inbox(page).locator('[part~="unread-toggle"]').uncheck();
    await rows(page).first().waitFor();
    const all = await rows(page).count();
    await inbox(page).locator('[part~="search-input"]').fill('zeppelin');
    await inbox(page).locator('[part~="search-input"]').press('Enter');
    await inbox(page).getByText('No messages match “zeppelin”.').waitFor({ state: 'visible' });
    await inbox(page).getByRole('button', { name: 'Clear search' }).click();
    await expect.poll(() => rows(page).count()).toBe(all);
    expect(await inbox(page).locator('[part~="search-input"]').inputValue()).toBe('');
  });

  it('shows "No messages here." in an empty folder when the page does not fill the slot', async () => {
    const page = await newPage();
    await visit(page, 'grace.okafor');
    await folder(page, 'Trash').click();
    await shown(inbox(page).getByText('No messages here.')).waitFor();
  });
});

describe('assigning a conversation to oneself', () => {
  it('offers staff their own name and "Assign to me", and shows their name afterwards', async () => {
    const subject = `Skylight over the porch (${stamp})`;
    const created = await api<{ conversation: { id: string } }>('maria.lopez', 'POST', '/conversations', {
      accountId: 'permit-bp-2026-0142',
      subject,
      body: '<p>Does a skylight need a permit?</p>',
    });
    const id = created.json.conversation.id;
    const page = await newPage();
    await visit(page, 'ines.kowalski', id);
    const controls = inbox(page).locator('[part~="controls"]');
    await controls.locator('[part~="assignee"] option', { hasText: 'Ines Kowalski' }).waitFor({ state: 'attached' });
    await controls.locator('[part~="assign-me"]').click();
    await controls.locator('[part~="result"]', { hasText: 'Assignee: Ines Kowalski. Saved.' }).waitFor();
    const saved = await api<{ conversation: { assigneeId: string } }>('ines.kowalski', 'GET', `/conversations/${id}`);
    expect(saved.json.conversation.assigneeId).toBe('ines.kowalski');
    expect(await controls.locator('[part~="assign-me"]').count()).toBe(0);

    // Seen again later: her name, not her id.
    await visit(page, 'ines.kowalski', id);
    await controls.locator('[part~="assignee"] option', { hasText: 'Ines Kowalski' }).waitFor({ state: 'attached' });
    await expect.poll(() => controls.locator('[part~="assignee"]').evaluate((s) => (s as HTMLSelectElement).selectedOptions[0]?.text)).toBe('Ines Kowalski');
    expect(await controls.locator('[part~="assignee"] option', { hasText: 'ines.kowalski' }).count()).toBe(0);
  });
});

describe('a refused attachment', () => {
  const svg = { name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') };
  const pdf = (name: string) => ({ name, mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n') });

  it('holds a reply until the refused file is removed, then sends the rest', async () => {
    const subject = `Gutter drawings (${stamp})`;
    const created = await api<{ conversation: { id: string } }>('maria.lopez', 'POST', '/conversations', {
      accountId: 'permit-bp-2026-0142',
      subject,
      body: '<p>Where do the gutter drawings go?</p>',
    });
    const id = created.json.conversation.id;
    const page = await newPage();
    await visit(page, 'maria.lopez', id);
    await messages(page).first().waitFor();
    const reply = inbox(page).locator('[part~="reply"]');
    const text = `Drawings attached (${stamp}).`;
    await reply.locator('[part~="editor"]').fill(text);
    await reply.locator('input[type="file"]').setInputFiles([pdf('gutters.pdf'), svg]);
    await reply.locator('[part~="attachment-chip"]', { hasText: 'logo.svg' }).locator('[part~="error"]').waitFor();
    await reply.locator('[part~="attachment-chip"]', { hasText: 'gutters.pdf' }).locator('[part~="remove-attachment"]').waitFor();

    await reply.locator('[part~="send"]').click();
    await reply.getByRole('alert').filter({ hasText: 'Remove or replace the refused file.' }).waitFor();
    const thread = await api<{ messages: unknown[] }>('maria.lopez', 'GET', `/conversations/${id}`);
    expect(thread.json.messages).toHaveLength(1);
    expect(await reply.locator('[part~="editor"]').textContent()).toContain(text);

    await reply.locator('[part~="attachment-chip"]', { hasText: 'logo.svg' }).locator('[part~="remove-attachment"]').click();
    await reply.locator('[part~="send"]').click();
    const sent = messages(page).filter({ hasText: text });
    await sent.waitFor();
    expect(await sent.locator('[part~="attachment"]').allTextContents()).toEqual([expect.stringContaining('gutters.pdf')]);
  });

  it('holds a new question too', async () => {
    const page = await newPage();
    await visit(page, 'maria.lopez');
    await inbox(page).locator('[part~="compose-button"]').click();
    const dialog = inbox(page).locator('[part~="compose"]');
    await dialog.locator('#subject').fill(`Logo (${stamp})`);
    await dialog.locator('[part~="editor"]').fill('Our logo.');
    await dialog.locator('input[type="file"]').setInputFiles(svg);
    await dialog.locator('[part~="attachment-chip"] [part~="error"]').waitFor();
    await dialog.locator('[part~="send"]').click();
    await dialog.getByRole('alert').filter({ hasText: 'Remove or replace the refused file.' }).waitFor();
    expect(await dialog.evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
    const list = await api<{ items: { subject: string }[] }>('maria.lopez', 'GET', '/conversations?folder=sent');
    expect(list.json.items.map((i) => i.subject)).not.toContain(`Logo (${stamp})`);
  });
});

describe('topics per account', () => {
  it("offers a permit applicant only the permit account's topics and those of every account", async () => {
    const page = await newPage();
    await visit(page, 'maria.lopez');
    await inbox(page).locator('[part~="compose-button"]').click();
    const topic = inbox(page).locator('[part~="compose"] select[name="topicId"]');
    await topic.locator('option', { hasText: 'Inspections' }).waitFor({ state: 'attached' });
    const offered = await topic.locator('option').allTextContents();
    expect(offered.map((o) => o.trim())).toEqual(['No topic', 'Plans and permit review', 'Inspections', 'Documents and signatures', 'Help with this portal']);
    // The server refuses another account's topic, whatever a client sends.
    const refused = await api<{ error: { code: string; details: { field: string }[] } }>('maria.lopez', 'POST', '/conversations', {
      accountId: 'permit-bp-2026-0142',
      subject: 'VAT?',
      body: '<p>x</p>',
      topicId: 'tax-payroll',
    });
    expect(refused.status).toBe(422);
    expect(refused.json.error.details.map((d) => d.field)).toEqual(['topicId']);
  });

  it('offers staff with several accounts the topics of the account they pick', async () => {
    const page = await newPage();
    await visit(page, 'jo.park');
    await inbox(page).locator('[part~="compose-button"]').click();
    const dialog = inbox(page).locator('[part~="compose"]');
    const topic = dialog.locator('select[name="topicId"]');
    await dialog.locator('select[name="accountId"]').selectOption({ label: 'Hartley & Sons Bakery (accounting)' });
    await topic.locator('option', { hasText: 'Tax, VAT and payroll' }).waitFor({ state: 'attached' });
    expect((await topic.locator('option').allTextContents()).map((o) => o.trim())).toEqual([
      'No topic',
      'Tax, VAT and payroll',
      'Documents and signatures',
      'Help with this portal',
    ]);
  });
});

describe('the badge and the Status tab', () => {
  it('shows a new status update live and opens its conversation', async () => {
    const page = await newPage();
    await visit(page, 'maria.lopez');
    await inbox(page).locator('[part~="folder"]', { hasText: 'Status' }).click();
    const tab = inbox(page).locator('[part~="status-tab"]');
    await tab.locator('[part~="message"]').first().waitFor();
    const rows = await api<{ items: { id: string; subject: string }[] }>('maria.lopez', 'GET', '/conversations?q=%25');
    const target = rows.json.items.find((i) => i.subject.includes('Framing inspection'))!;
    const update = `Framing inspection moved to Friday (${stamp}).`;
    expect((await api('ines.kowalski', 'POST', `/conversations/${target.id}/messages`, { body: `<p>${update}</p>`, action: 'status_update' })).status).toBe(
      201,
    );

    // Without a reload.
    const entry = tab.locator('[part~="message"]', { hasText: update });
    await entry.waitFor();
    await entry.locator('[part~="open-conversation"]').click();
    await threadTitle(page).filter({ hasText: 'Framing inspection' }).waitFor();
    await messages(page).filter({ hasText: update }).waitFor();
    await expect.poll(() => page.url()).toContain(`conversation=${target.id}`);
  });

  it('opens the thread of a badge item while the Status tab is shown', async () => {
    const subject = `Site visit on Monday (${stamp})`;
    const started = await api('ines.kowalski', 'POST', '/conversations', {
      accountId: 'permit-bp-2026-0142',
      subject,
      body: '<p>We will come by on Monday.</p>',
      recipientIds: ['maria.lopez'],
    });
    expect(started.status).toBe(201);
    const page = await newPage();
    await visit(page, 'maria.lopez');
    await inbox(page).locator('[part~="folder"]', { hasText: 'Status' }).click();
    await inbox(page).locator('[part~="status-tab"]').waitFor();
    await page.locator('secure-unread-badge [part~="badge-button"]').click();
    const item = page.locator('secure-unread-badge [part~="item"]', { hasText: subject });
    await item.click();
    await expect.poll(() => page.url()).toContain('conversation=');
    await threadTitle(page).filter({ hasText: subject }).waitFor();
    expect(await inbox(page).locator('[part~="status-tab"]').count()).toBe(0);
  });
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
});
