/**
 * What a customer's folders show, through the real demo server, the real bundle and Chromium: the time of the last
 * message they may see (never that of a hidden note written after it), and a Sent count that follows reading
 * without a reload.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToken, launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;
let page: Page;

interface Summary {
  id: string;
  subject: string;
  updatedAt: string;
  unreadCount: number;
}

const tokenFor = (userId: string) => demoToken(server, userId);

async function api<T>(token: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const folder = (name: string) => page.locator('secure-inbox [part~="folder"]', { hasText: name });
const sentCount = async () => {
  const count = folder('Sent').locator('[part~="count"] [aria-hidden="true"]');
  return (await count.count()) ? Number(await count.textContent()) : 0;
};
const row = (subject: string) => page.locator('secure-inbox [part~="row"]').filter({ has: page.locator('[part~="subject"]', { hasText: subject }) });

let conversation: Summary;
let visibleAt: string;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

  const maria = await tokenFor('maria.lopez');
  const staff = await tokenFor('dan.reyes');
  // Maria writes in one of her conversations (a customer's reply opens it again): it is in her Sent folder.
  const inbox = await api<{ items: Summary[] }>(maria, '/conversations?limit=100');
  conversation = inbox.items.find((item) => item.subject.includes('Revised site plan')) ?? inbox.items[0]!;
  await api(maria, `/conversations/${conversation.id}/messages`, { body: '<p>Any news about the inspection?</p>' });
  const read = await fetch(`${server.url}/api/v1/conversations/${conversation.id}/read`, { method: 'POST', headers: { authorization: `Bearer ${maria}` } });
  expect(read.status).toBe(204);
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Then staff answer her (she may see it), and resolve it with a hidden note.
  const visible = await api<{ message: { createdAt: string } }>(staff, `/conversations/${conversation.id}/messages`, {
    body: '<p>We can come on Tuesday at ten.</p>',
  });
  visibleAt = visible.message.createdAt;
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const hidden = await api<{ message: { createdAt: string } }>(staff, `/conversations/${conversation.id}/messages`, {
    body: '<p>Closing, nothing more to do.</p>',
    action: 'resolve',
  });
  expect(hidden.message.createdAt > visibleAt).toBe(true);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("a customer's folders", () => {
  it('show the time of the last message the customer may see, not that of the hidden note after it', async () => {
    await page.goto(`${server.url}/?as=maria.lopez`);
    const time = row(conversation.subject).locator('[part~="time"]');
    await time.waitFor();
    expect(await row(conversation.subject).locator('[part~="status"]').textContent()).toBe('Resolved');
    expect(await time.getAttribute('datetime')).toBe(visibleAt);
    const shown = new Intl.DateTimeFormat('en', { timeStyle: 'short' }).format(new Date(visibleAt));
    expect((await time.textContent())!.replace(/\s+/g, ' ')).toBe(shown.replace(/\s+/g, ' '));
  });

  it('count the conversation in Sent until it is read, then no longer, without a reload', async () => {
    await folder('Sent').click();
    await row(conversation.subject).waitFor();
    await expect.poll(sentCount).toBeGreaterThan(0);
    const before = await sentCount();
    await row(conversation.subject).click();
    await page.locator('secure-inbox [part~="thread"] h2', { hasText: conversation.subject }).waitFor();
    await expect.poll(sentCount, { timeout: 10_000 }).toBe(before - 1);
    // The Sent row shows Maria's own last message.
    expect(await row(conversation.subject).locator('[part~="sender"]').textContent()).toBe('You wrote');
  });
});
