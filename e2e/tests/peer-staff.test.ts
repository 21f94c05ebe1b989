/**
 * Issue #22's staff features end to end (real server, real bundle, Chromium): a mention in an internal note reaches
 * the person mentioned live in their notification centre; "… is writing" shows to a second staff member in the same
 * thread; a saved reply is inserted with `/word` and its placeholders filled by the server; the management view
 * creates a saved reply that `/` then offers.
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
const editorOf = (page: Page) => part(page, 'thread').locator('secure-rich-editor [part~="editor"]');

const api = <T>(userId: string, method: string, path: string, body?: unknown) => demoApi<T>(server, userId, method, path, body);

async function visit(userId: string, conversation?: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${server.url}/?as=${userId}${conversation ? `&conversation=${conversation}` : ''}`);
  await part(page, 'nav').waitFor();
  if (conversation) await part(page, 'answer-panel').waitFor();
  return page;
}

/** Maria López asks a new question in the permit account; returns its id. */
async function question(subject: string): Promise<string> {
  const res = await api<{ conversation: { id: string } }>('maria.lopez', 'POST', '/conversations', {
    accountId: permit,
    subject,
    body: '<p>May the hedge stay where it is?</p>',
  });
  expect(res.status).toBe(201);
  return res.json.conversation.id;
}

/** The unread count the notification centre shows (0 when its count is hidden). */
async function noticeCount(page: Page): Promise<number> {
  const count = part(page, 'notifications-count');
  return (await count.isHidden()) ? 0 : Number(await count.textContent());
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

describe('mentions and "is writing"', () => {
  it('a mention in an internal note reaches the person mentioned in their notification centre, live', async () => {
    const subject = `Hedge on the boundary ${stamp}`;
    const id = await question(subject);
    const ines = await visit('ines.kowalski');
    const button = part(ines, 'notifications-button');
    await expect.poll(() => button.textContent()).toMatch(/\d+ unread notifications?/);
    const before = await noticeCount(ines);

    const dan = await visit('dan.reyes', id);
    const editor = editorOf(dan);
    await editor.click();
    await editor.pressSequentially('Could you measure it, @Ine');
    const offered = part(dan, 'mention');
    await expect.poll(() => offered.allTextContents()).toEqual(['Ines Kowalski']);
    await dan.keyboard.press('ArrowDown');
    await dan.keyboard.press('Enter');
    // The name is written as text, followed by a space to go on typing.
    await expect.poll(() => editor.textContent()).toMatch(/^Could you measure it, @Ines Kowalski\s$/);
    await dan.keyboard.type('today?');
    await part(dan, 'answer-button').filter({ hasText: 'Internal note' }).click();
    await part(dan, 'message-internal').filter({ hasText: '@Ines Kowalski today?' }).waitFor();

    // Ines's page was not reloaded: the count moves and the notice is listed.
    await expect.poll(() => noticeCount(ines)).toBe(before + 1);
    await button.click();
    const notice = part(ines, 'notification').filter({ hasText: subject }).filter({ hasText: 'You were mentioned in an internal note' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('Dan Reyes: Could you measure it, @Ines Kowalski today?');
    await notice.click();
    await expect.poll(() => inbox(ines).getAttribute('conversation')).toBe(id);
    await part(ines, 'message-internal').filter({ hasText: '@Ines Kowalski today?' }).waitFor();

    // The customer never sees the note nor its mention.
    const thread = await api<{ messages: { body: string }[] }>('maria.lopez', 'GET', `/conversations/${id}`);
    expect(JSON.stringify(thread.json.messages)).not.toContain('Ines Kowalski');
  });

  it('"… is writing" shows to a second staff member in the same thread while the first types', async () => {
    const id = await question(`Hedge trimming ${stamp}`);
    const ines = await visit('ines.kowalski', id);
    const dan = await visit('dan.reyes', id);
    const writing = part(ines, 'writing');
    expect((await writing.textContent())?.trim()).toBe('');
    await editorOf(dan).click();
    await editorOf(dan).pressSequentially('I will answer this one');
    await expect.poll(() => writing.textContent().then((t) => t?.trim())).toBe('Dan Reyes is writing');
    // Dan does not see himself.
    expect((await part(dan, 'writing').textContent())?.trim()).toBe('');
  });
});

describe('saved replies', () => {
  it('are inserted from the answer with "/" and a word, their placeholders filled for the conversation', async () => {
    const word = `setback${stamp}`;
    const created = await api('dan.reyes', 'POST', '/saved-replies', {
      accountId: permit,
      title: `Hedge ${word}`,
      body: '<p>Hello {{customer.firstName}}, about {{conversation.subject}}: hedges may stay.</p><p>{{staff.name}}</p>',
    });
    expect(created.status).toBe(201);
    const subject = `Old hedge ${stamp}`;
    const id = await question(subject);
    const dan = await visit('dan.reyes', id);
    const editor = editorOf(dan);
    await editor.click();
    await editor.pressSequentially(`/${word}`);
    const offered = part(dan, 'saved-reply');
    await expect.poll(() => offered.allTextContents()).toEqual([`Hedge ${word}`]);
    await dan.keyboard.press('ArrowDown');
    await dan.keyboard.press('Enter');
    await expect.poll(() => editor.innerText()).toBe(`Hello Maria, about ${subject}: hedges may stay.\n\nDan Reyes`);
    await part(dan, 'answer-panel').getByRole('button', { name: 'Send', exact: true }).click();
    await part(dan, 'message').filter({ hasText: 'hedges may stay.' }).waitFor();
    const thread = await api<{ messages: { body: string }[] }>('maria.lopez', 'GET', `/conversations/${id}`);
    expect(thread.json.messages.at(-1)!.body).toBe(`<p>Hello Maria, about ${subject}: hedges may stay.</p><p>Dan Reyes</p>`);
  });

  it('the management view creates one that "/" then offers in the answer', async () => {
    const dan = await visit('dan.reyes');
    await part(dan, 'folder').filter({ hasText: 'Saved replies' }).click();
    const view = part(dan, 'saved-replies');
    await part(dan, 'saved-reply-item').first().waitFor();
    await part(dan, 'new-reply').click();
    const form = part(dan, 'reply-form');
    const title = `Fence paint ${stamp}`;
    await form.locator('#reply-title').fill(title);
    await form.locator('[part~="editor"]').click();
    await dan.keyboard.type('Hi {{customer.firstName}}, any colour is fine.');
    await form.getByRole('button', { name: 'Save' }).click();
    const item = part(dan, 'saved-reply-item').filter({ hasText: title });
    await item.waitFor();
    expect(await item.textContent()).toContain('Building permit BP-2026-0142');
    // Focus is on the saved reply's Edit button, and the view says it was saved.
    await expect
      .poll(() => dan.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.shadowRoot?.activeElement?.getAttribute('aria-label')))
      .toBe(`Edit “${title}”`);
    expect(await view.locator('[role="status"]').textContent()).toBe(`Saved reply “${title}” saved.`);

    const id = await question(`Fence colour ${stamp}`);
    const answer = await visit('dan.reyes', id);
    await editorOf(answer).click();
    await editorOf(answer).pressSequentially('/paint');
    await expect.poll(() => part(answer, 'saved-reply').allTextContents()).toContain(title);
    await answer.keyboard.press('ArrowDown');
    await answer.keyboard.press('Enter');
    await expect.poll(() => editorOf(answer).innerText()).toBe('Hi Maria, any colour is fine.');
  });
});
