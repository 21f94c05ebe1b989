/**
 * A notification e-mail's link opens the thread: staff answer, the server writes the customer's notice as an
 * .eml file (no SMTP configured), and the link in it, opened in Chromium by the recipient, shows the conversation
 * at once (in the demo the link names its recipient, so the demo's login picker is skipped).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToken, launchBrowser, startServer, type RunningServer } from '../harness.js';

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  // No SMTP: mail goes to <dataDir>/outbox/*.eml. No batching window, so the notice is written at once.
  server = await startServer({ env: { SECURE_INBOX_SMTP_URL: '', SECURE_INBOX_MAIL_BATCH_SECONDS: '0', SECURE_INBOX_NOTIFY_MODE: 'secure' } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const tokenFor = (userId: string) => demoToken(server, userId);

async function api<T>(token: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The readable text of an .eml: its headers, then its MIME parts decoded from quoted-printable or base64. */
function mailText(raw: string): string {
  const headers = raw.split(/\r?\n\r?\n/)[0];
  const decoded: string[] = [];
  for (const part of raw.split(/\r?\n--/)) {
    const [head, ...rest] = part.split(/\r?\n\r?\n/);
    const body = rest.join('\n\n');
    if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
      const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => `%${hex}`);
      decoded.push(decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25')));
    } else if (/content-transfer-encoding:\s*base64/i.test(head)) {
      decoded.push(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'));
    }
  }
  return [headers, ...(decoded.length ? decoded : [raw])].join('\n');
}

function outbox(): { file: string; text: string }[] {
  const dir = join(server.dataDir, 'outbox');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
  return files.map((file) => ({ file, text: mailText(readFileSync(join(dir, file), 'utf8')) }));
}

describe('notification e-mail link', () => {
  it('opens the thread for the recipient, and the e-mail itself carries no message content', async () => {
    const staff = await tokenFor('dan.reyes');
    const { items } = await api<{ items: { id: string; subject: string }[] }>(staff, `/conversations?q=${encodeURIComponent('setback')}`);
    const conversation = items.find((c) => c.subject.includes('Revised site plan'));
    expect(conversation).toBeDefined();
    const id = conversation!.id;

    const before = new Set(outbox().map((m) => m.file));
    const answer = `The fee invoice is ready in the Payments tab (${Date.now().toString(36)}).`;
    await api(staff, `/conversations/${id}/messages`, { method: 'POST', body: JSON.stringify({ body: `<p>${answer}</p>`, action: 'send' }) });

    // The customer's notice arrives in the outbox.
    let notice: { file: string; text: string } | undefined;
    await expect
      .poll(
        () => {
          notice = outbox().find((m) => !before.has(m.file) && /^To:.*maria\.lopez@example\.com/im.test(m.text));
          return Boolean(notice);
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBe(true);
    // Secure mode: the e-mail says a message is waiting, not what it says.
    expect(notice!.text).not.toContain(answer);
    expect(notice!.text).not.toContain('Payments tab');

    const link = notice!.text.match(/https?:\/\/[^\s"'<>]*conversation=[^\s"'<>]+/)?.[0]?.replace(/&amp;/g, '&');
    expect(link).toBeDefined();
    const url = new URL(link!);
    expect(url.origin).toBe(server.url);
    expect(url.searchParams.get('conversation')).toBe(id);
    // In the demo the link names its recipient.
    expect(url.searchParams.get('as')).toBe('maria.lopez');

    // The recipient follows the link: the demo portal opens their thread at once, without the login picker.
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(link!);
    await page.locator('secure-inbox [part~="thread"] h2', { hasText: 'Revised site plan for the rear setback' }).waitFor();
    expect(await page.getByText('You followed a link to a conversation').count()).toBe(0);
    expect(await page.locator('a.user-card').count()).toBe(0);
    await page.locator('secure-inbox [part~="message"]', { hasText: answer }).waitFor();
    expect(await page.locator('secure-inbox').getAttribute('conversation')).toBe(id);
    await page.close();
  });
});
