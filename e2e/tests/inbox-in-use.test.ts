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

describe('the layout at common widths', () => {
  type Box = { x: number; y: number; width: number; height: number };
  const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

  for (const width of [1024, 1280, 1440]) {
    it(`keeps the staff filters out of the thread header at ${width} px`, async () => {
      const page = await newPage(width, 900);
      await visit(page, 'jo.park');
      await rows(page).first().click();
      const header = inbox(page).locator('[part~="thread-header"]');
      await header.locator('[part~="participants"]').waitFor();
      const account = inbox(page).locator('[part~="queue-account"]');
      const detail = (await inbox(page).locator('[part~="detail"]').boundingBox())!;
      if (await account.isVisible()) {
        const filter = (await account.boundingBox())!;
        const pane = (await inbox(page).locator('[part~="list-pane"]').boundingBox())!;
        expect(overlap(filter, (await header.boundingBox())!)).toBe(false);
        expect(overlap(filter, detail)).toBe(false);
        expect(filter.x + filter.width).toBeLessThanOrEqual(pane.x + pane.width);
      }
      // The thread gets the room it needs beside the list (or the whole width when the list steps aside).
      expect(detail.width).toBeGreaterThanOrEqual(width === 1280 ? 540 : 480);
      // Nothing in the header is drawn over the participants.
      const participants = (await header.locator('[part~="participants"]').boundingBox())!;
      const point = { x: participants.x + 4, y: participants.y + participants.height / 2 };
      const hit = await page.evaluate(({ x, y }) => {
        let element: Element | null = document.elementFromPoint(x, y);
        while (element?.shadowRoot?.elementFromPoint(x, y) && element.shadowRoot.elementFromPoint(x, y) !== element) {
          element = element.shadowRoot.elementFromPoint(x, y);
        }
        return element?.closest('[part~="participants"]') !== null;
      }, point);
      expect(hit).toBe(true);
    });
  }
});

describe('who answers', () => {
  it('shows the customer who their question went to, or the account team', async () => {
    const page = await newPage();
    await visit(page, 'maria.lopez');
    const answeredBy = inbox(page).locator('[part~="thread-header"] [part~="answered-by"]');
    await ask(page, `Balcony railing height (${stamp})`, `How high must the railing be? (${stamp})`, 'Plans and permit review');
    await expect.poll(() => answeredBy.textContent()).toMatch(/^\s*Who answers: Dan Reyes\s*$/);

    await ask(page, `Where do I pay the fee? (${stamp})`, `Which office takes the permit fee? (${stamp})`);
    await expect.poll(() => answeredBy.textContent()).toMatch(/^\s*Who answers: the Building permit BP-2026-0142 — 12 Elm Street team\s*$/);
  });
});

describe('writing about a record', () => {
  it('lets the host page open compose about a record; the thread then links to it', async () => {
    const page = await newPage();
    await visit(page, 'maria.lopez');
    const subject = `Question about permit BP-2026-0142 (${stamp})`;
    // What a host page's "Ask about this permit" button does.
    await page.evaluate(
      (subject) =>
        (document.querySelector('secure-inbox') as unknown as { openCompose(options: object): Promise<void> }).openCompose({
          context: { kind: 'permit', ref: 'BP-2026-0142', title: 'Rear addition, 12 Elm Street', url: 'https://permits.example.gov/records/BP-2026-0142' },
          subject,
          topicId: 'inspections',
        }),
      subject,
    );
    const dialog = inbox(page).locator('[part~="compose"]');
    await expect.poll(() => dialog.locator('#subject').inputValue()).toBe(subject);
    expect(await dialog.locator('select[name="topicId"] option:checked').textContent()).toBe('Inspections');
    const body = `When can the framing inspection be booked? (${stamp})`;
    await dialog.locator('[part~="editor"]').fill(body);
    await dialog.locator('[part~="send"]').click();
    await messages(page).filter({ hasText: body }).waitFor();

    const link = inbox(page).locator('[part~="thread-header"] [part~="record-link"]');
    expect(await link.textContent()).toBe('View permit: Rear addition, 12 Elm Street');
    expect(await link.getAttribute('href')).toBe('https://permits.example.gov/records/BP-2026-0142');
    expect(await inbox(page).locator('[part~="thread-header"] [part~="subject"]').textContent()).toBe(subject);

    // "New message" afterwards is about nothing in particular again.
    await ask(page, `Another question (${stamp})`, `Not about the permit (${stamp})`);
    expect(await link.count()).toBe(0);
  });
});

describe('sender types', () => {
  it('flags the portal’s support apart from staff and customers, in the list and the thread', async () => {
    const customer = await newPage();
    const support = await newPage();
    await visit(customer, 'maria.lopez');
    const subject = `The upload button does nothing (${stamp})`;
    const id = await ask(customer, subject, `I cannot upload my drawings (${stamp})`);
    const answer = `Please try again in another browser (${stamp})`;
    await visit(support, 'jo.park', id);
    await inbox(support).locator('[part~="reply"] [part~="editor"]').fill(answer);
    await inbox(support)
      .locator('[part~="answer-button"]', { hasText: /^\s*Send\s*$/ })
      .click();
    await messages(support).filter({ hasText: answer }).waitFor();

    await visit(customer, 'maria.lopez');
    await toggle(customer).uncheck();
    const flag = row(customer, subject).locator('[part~="flag"]');
    await expect.poll(() => flag.textContent()).toBe('Support');
    expect(await flag.getAttribute('part')).toContain('flag-support');
    const staffFlag = rows(customer)
      .filter({ has: customer.locator('[part~="flag-staff"]') })
      .first()
      .locator('[part~="flag"]');
    expect(await staffFlag.evaluate((node) => getComputedStyle(node.closest('[part~="row"]')!).borderInlineStartColor)).not.toBe(
      await flag.evaluate((node) => getComputedStyle(node.closest('[part~="row"]')!).borderInlineStartColor),
    );

    await row(customer, subject).click();
    const reply = messages(customer).filter({ hasText: answer });
    await reply.waitFor();
    expect(await reply.locator('[part~="message-header"] .role').textContent()).toBe('Support');
    expect(await messages(customer).first().locator('[part~="message-header"] .role').textContent()).toBe('Customer');
  });
});

describe('leaving', () => {
  it('tells the others who left, and gives the one who left a clear state instead of a useless Retry', async () => {
    const tom = await newPage();
    const priya = await newPage();
    await visit(tom, 'tom.hartley');
    await inbox(tom).locator('[part~="compose-button"]').click();
    const dialog = inbox(tom).locator('[part~="compose"]');
    await dialog.locator('[name="recipientId"][value="priya.shah"]').check();
    const subject = `Who signs the payroll forms? (${stamp})`;
    const body = `Priya, can you sign them this week? (${stamp})`;
    await dialog.locator('#subject').fill(subject);
    await dialog.locator('[part~="editor"]').fill(body);
    await dialog.locator('[part~="send"]').click();
    await messages(tom).filter({ hasText: body }).waitFor();
    await expect.poll(() => inbox(tom).getAttribute('conversation')).toMatch(/\S/);
    const id = (await inbox(tom).getAttribute('conversation'))!;

    await visit(priya, 'priya.shah', id);
    await messages(priya).filter({ hasText: body }).waitFor();
    await inbox(priya).locator('[part~="thread-actions"] button', { hasText: 'Leave' }).click();
    await inbox(priya).locator('[part~="panel"] button', { hasText: 'Leave' }).click();
    await expect.poll(() => inbox(priya).getAttribute('conversation')).toBeNull();

    // The others see a line in the thread, live for the one reading it.
    const departure = inbox(tom).locator('[part~="messages"] [part~="departure"]');
    await expect.poll(() => departure.textContent(), { timeout: 15_000 }).toMatch(/^Priya Shah left the conversation\. /);
    expect(await inbox(tom).locator('[part~="participants"]').textContent()).not.toContain('Priya Shah');
    const staff = await newPage();
    await visit(staff, 'sarah.chen', id);
    await staff.locator('secure-inbox [part~="departure"]').waitFor();

    // The old link, on the same page: "You left", and no Retry.
    await priya.evaluate((id) => document.querySelector('secure-inbox')!.setAttribute('conversation', id), id);
    const error = inbox(priya).locator('[part~="detail"] [part~="error"]');
    await expect.poll(() => error.textContent()).toMatch(/^\s*You left this conversation\.\s*$/);
    expect(await inbox(priya).locator('[part~="detail"] [part~="retry"]').count()).toBe(0);
    // And later, from the e-mail link: the same not-found answer as for any other id, still without a Retry.
    await visit(priya, 'priya.shah', id);
    await expect.poll(() => error.textContent()).toMatch(/no longer have access/);
    expect(await inbox(priya).locator('[part~="detail"] [part~="retry"]').count()).toBe(0);
  });
});
