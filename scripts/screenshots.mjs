#!/usr/bin/env node
// `pnpm screenshots`: regenerates the pictures in docs/images/ from the real thing. Starts the demo server on a
// fresh data folder and the examples server next to it, drives headless Chromium, and writes one PNG per view.
// Needs the bundle (`pnpm build`) and Chromium (/usr/bin/chromium, or CHROME_PATH).
// `pnpm screenshots --cluster` makes the pictures of the cluster instead (docs/images/cluster-*.png): it runs
// examples/cluster/start.sh on a new PostgreSQL database (at SECURE_INBOX_TEST_DATABASE_URL's server, dropped at the
// end) and so needs HAProxy and PostgreSQL too.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startChild } from './child-server.mjs';
import { chromiumArgs, chromiumPath } from './chromium.mjs';
import { testDatabaseUrl } from './postgres.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs/images');
const { chromium } = createRequire(join(root, 'e2e/package.json'))('playwright-core');

if (!existsSync(join(root, 'packages/elements/dist/secure-inbox.js'))) {
  console.error('The widget bundle is missing: run `pnpm build` first.');
  process.exit(1);
}

if (process.argv.includes('--cluster')) {
  await clusterScreenshots();
  process.exit(0);
}

const children = [];
async function run(args, cwd, env, readyUrl) {
  children.push(await startChild({ args, cwd, env, readyUrl }));
}

const dataDir = mkdtempSync(join(tmpdir(), 'secure-inbox-screenshots-'));
const [demoPort, examplesPort] = [await freePort(), await freePort()];
const demo = `http://127.0.0.1:${demoPort}`;
const examples = `http://127.0.0.1:${examplesPort}`;

let browser;
try {
  await Promise.all([
    run(
      ['--import', 'tsx', 'src/demo/main.ts'],
      join(root, 'packages/server'),
      {
        PORT: String(demoPort),
        HOST: '127.0.0.1',
        SECURE_INBOX_DATA_DIR: dataDir,
        SECURE_INBOX_DB: join(dataDir, 'secure-inbox.db'),
        SECURE_INBOX_ALLOWED_ORIGINS: examples,
        SECURE_INBOX_RATE_LIMIT: '0',
        SECURE_INBOX_SMTP_URL: '',
      },
      `${demo}/healthz`,
    ),
    run(['serve.mjs'], join(root, 'examples'), { EXAMPLES_PORT: String(examplesPort), SECURE_INBOX_URL: demo }, `${examples}/config.json`),
  ]);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, colorScheme: 'light', reducedMotion: 'reduce' });
  const page = await context.newPage();
  mkdirSync(out, { recursive: true });

  const inbox = 'secure-inbox';
  const rowWith = (subject) => page.locator(`${inbox} [part~="row"]`).filter({ has: page.locator('[part~="subject"]', { hasText: subject }) });
  const settle = () => page.waitForTimeout(400);
  const shot = async (name, options = {}) => {
    await settle();
    const file = join(out, `${name}.png`);
    await page.screenshot({ path: file, animations: 'disabled', ...options });
    console.log(`wrote docs/images/${name}.png`);
  };

  // 1. A customer's inbox: the unread count, the list with sender, preview, account, status.
  await page.goto(`${demo}/?as=maria.lopez`);
  await page.locator(`${inbox} [part~="row-unread"]`).first().waitFor();
  await page.locator(`${inbox} [part~="unread-toggle"]`).uncheck();
  await page.locator(`${inbox} [part~="row"]`).nth(1).waitFor();
  await shot('customer-inbox');

  // 2. A thread with the staff tip open (the light bulb on a message).
  await rowWith('Revised site plan').click();
  await page.locator(`${inbox} [part~="thread"] h2`).waitFor();
  const bulb = page.locator(`${inbox} [part~="tip-button"]`).first();
  await bulb.scrollIntoViewIfNeeded();
  await bulb.click();
  await page.locator(`${inbox} [part~="tip"]`).first().waitFor({ state: 'visible' });
  await shot('thread-tip');

  // 3. The staff answer panel: the inspector answering the applicant, with the answer buttons and the internal ones.
  await page.goto(`${demo}/?as=ines.kowalski`);
  await page.locator(`${inbox} [part~="unread-toggle"]`).uncheck();
  await rowWith('Framing inspection on Thursday').click();
  const reply = page.locator(`${inbox} [part~="reply"]`);
  await reply.waitFor();
  await reply.locator('[part~="editor"]').fill('Thank you, Ms López. I will be there at 8 am; please keep the stamped plans on site.');
  await reply.scrollIntoViewIfNeeded();
  await shot('staff-answer-panel');

  // 4. Three branded portals side by side (examples/branded-portal), each its own brand and customer.
  await page.setViewportSize({ width: 1600, height: 900 });
  await page.goto(`${examples}/branded-portal/index.html?theme=light`);
  for (const brand of ['permits', 'accounting', 'law']) await page.locator(`.portal-${brand} ${inbox} [part~="row"]`).first().waitFor();
  await shot('themed-portals', { fullPage: true });

  // 5. One portal on its own page: banner links, header and footer content, the header badge.
  await page.setViewportSize({ width: 1400, height: 860 });
  await page.goto(`${examples}/branded-portal/permits.html?theme=light`);
  await rowWith('Framing inspection on Thursday').click();
  await page.locator(`${inbox} [part~="thread"] h2`).waitFor();
  await shot('branded-portal');

  // 6. Dark mode: the law firm's portal with a thread open.
  await page.goto(`${examples}/branded-portal/law.html?theme=dark`);
  await page.locator(`${inbox} [part~="unread-toggle"]`).uncheck();
  await rowWith("Landlord's response").click();
  await page.locator(`${inbox} [part~="thread"] h2`).waitFor();
  await shot('dark-mode');

  // The peer features (issue #22) in use. Set up through the API as the demo's people, then shown in the widget.
  const api = async (userId, method, path, body) => {
    const minted = await fetch(`${demo}/demo/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) });
    const { token } = await minted.json();
    const response = await fetch(`${demo}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  const permit = 'permit-bp-2026-0142';
  await api('dan.reyes', 'PUT', '/reply-times', { accountId: permit, replyTime: { amount: 2, unit: 'working_days' } });
  for (const [title, body] of [
    [
      'Permit received',
      '<p>Hello {{customer.firstName}}, we received your request about {{conversation.subject}} and will review it this week.</p><p>{{staff.name}}</p>',
    ],
    ['Permit fees', '<p>Hello {{customer.firstName}}, the fee for this permit is listed on the permit page under "Fees".</p>'],
    ['Inspection booked', '<p>Hello {{customer.firstName}}, the inspection is booked. Please keep the stamped plans on site.</p><p>{{staff.name}}</p>'],
  ])
    await api('dan.reyes', 'POST', '/saved-replies', { accountId: permit, title, body });
  const { conversation: fence } = await api('maria.lopez', 'POST', '/conversations', {
    accountId: permit,
    subject: 'Height of the garden fence',
    body: '<p>How high may the fence between our garden and the street be?</p>',
  });
  await api('dan.reyes', 'POST', `/conversations/${fence.id}/read`);
  await api('dan.reyes', 'POST', `/conversations/${fence.id}/messages`, {
    body: '<p>Up to 1.8 m along the street, Ms López; no permit needed below that.</p>',
    action: 'send',
  });

  // 7. A customer: the acknowledgement with the reply time, "Seen by the … team", Mark as solved, the rating form.
  await page.goto(`${demo}/?as=maria.lopez&conversation=${fence.id}`);
  const ratingForm = page.locator(`${inbox} [part~="rating-form"]`);
  await ratingForm.waitFor();
  await page.locator(`${inbox} [part~="seen"]`).waitFor();
  await ratingForm.locator('input[value="5"]').check();
  await ratingForm.locator('textarea').fill('Quick and clear answer, thank you.');
  await ratingForm.scrollIntoViewIfNeeded();
  await shot('customer-rating-seen');

  // 8. Staff: "/" and a word offers the saved replies in the answer.
  const { conversation: deck } = await api('maria.lopez', 'POST', '/conversations', {
    accountId: permit,
    subject: 'Permit for a deck',
    body: '<p>We would like to build a wooden deck behind the house. Which permit do we need?</p>',
  });
  await page.goto(`${demo}/?as=dan.reyes&conversation=${deck.id}`);
  const answer = page.locator(`${inbox} [part~="reply"] [part~="editor"]`);
  await answer.waitFor();
  await answer.click();
  await answer.pressSequentially('/perm');
  await page.locator(`${inbox} [part~="saved-reply"]`).nth(1).waitFor();
  await page.locator(`${inbox} [part~="reply"]`).scrollIntoViewIfNeeded();
  await shot('staff-saved-replies');

  // 9. Staff: "@" and a name offers the account's staff to mention in an internal note.
  await page.keyboard.press('Escape');
  await answer.fill('');
  await answer.pressSequentially('Could you check the setback on site, @In');
  await page.locator(`${inbox} [part~="mention"]`).first().waitFor();
  await shot('staff-mention');

  // 10. Staff: the saved replies' management view, with a new one being written.
  await page.goto(`${demo}/?as=dan.reyes`);
  await page.locator(`${inbox} [part~="folder"]`, { hasText: 'Saved replies' }).click();
  await page.locator(`${inbox} [part~="saved-reply-item"]`).nth(2).waitFor();
  await page.locator(`${inbox} [part~="new-reply"]`).click();
  const replyForm = page.locator(`${inbox} [part~="reply-form"]`);
  await replyForm.locator('#reply-title').fill('Deck permit');
  await replyForm.locator('[part~="editor"]').click();
  await page.keyboard.type('Hello {{customer.firstName}}, a deck under 60 cm high needs no permit.');
  await shot('saved-replies-view');

  // 11. A German portal: lang="de" on the page is all the widget needs.
  await page.goto(`${examples}/branded-portal/permits.de.html?theme=light`);
  await page.locator(`${inbox} [part~="unread-toggle"]`).uncheck();
  await page.locator(`${inbox} [part~="row"]`).first().waitFor();
  await rowWith('Framing inspection on Thursday').click();
  await page.locator(`${inbox} [part~="thread"] h2`).waitFor();
  await shot('german-portal');
} finally {
  await browser?.close();
  await Promise.all(children.map((child) => child.stop()));
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * The cluster: examples/cluster/start.sh (two demo instances behind HAProxy) on a new database. A customer keeps her
 * thread open while staff answer it through the balancer; the answer reaches her page live, from whichever instance
 * took it to whichever holds her event stream. Writes the two pages side by side, each captioned with the instance
 * HAProxy says answered it (X-Served-By), and HAProxy's statistics page.
 */
async function clusterScreenshots() {
  const pg = createRequire(join(root, 'packages/server/package.json'))('pg');
  const database = `secure_inbox_screenshots_${randomBytes(4).toString('hex')}`;
  const databaseUrl = new URL(testDatabaseUrl);
  databaseUrl.pathname = `/${database}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'secure-inbox-screenshots-cluster-'));
  const [port, statsPort, portA, portB] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const cluster = `http://127.0.0.1:${port}`;
  let log = '';
  // A process group of its own, so that stopping it is Ctrl-C for the script and all it started.
  const script = spawn('bash', [join(root, 'examples/cluster/start.sh')], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SECURE_INBOX_DATABASE_URL: databaseUrl.toString(),
      SECURE_INBOX_DATA_DIR: dataDir,
      SECURE_INBOX_RATE_LIMIT: '0',
      SECURE_INBOX_SMTP_URL: '',
      CLUSTER_PORT: String(port),
      CLUSTER_STATS_PORT: String(statsPort),
      INSTANCE_A_PORT: String(portA),
      INSTANCE_B_PORT: String(portB),
    },
  });
  script.stdout.on('data', (chunk) => (log += chunk));
  script.stderr.on('data', (chunk) => (log += chunk));
  const exited = new Promise((done) => script.once('exit', done));
  let browser;
  try {
    const deadline = Date.now() + 60_000;
    while (!log.includes('Ctrl-C stops all three')) {
      if (script.exitCode !== null || Date.now() > deadline) throw new Error(`examples/cluster/start.sh did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const api = async (userId, method, path, body) => {
      const minted = await fetch(`${cluster}/demo/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId }),
      });
      const { token } = await minted.json();
      const response = await fetch(`${cluster}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.json();
    };
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    const inbox = 'secure-inbox';
    const served = (page, test) =>
      new Promise((resolveServed) => {
        const listen = (response) => {
          if (!test(response)) return;
          page.off('response', listen);
          resolveServed(response.headers()['x-served-by']);
        };
        page.on('response', listen);
      });
    const open = async (userId, conversationId) => {
      const context = await browser.newContext({ viewport: { width: 900, height: 760 }, colorScheme: 'light', reducedMotion: 'reduce' });
      const page = await context.newPage();
      const stream = served(page, (response) => response.url().startsWith(`${cluster}/api/v1/events`));
      await page.goto(`${cluster}/?as=${userId}&conversation=${conversationId}`);
      await page.locator(`${inbox} [part~="thread"] h2`).waitFor();
      return { context, page, stream: await stream };
    };
    const answer = 'Friday at 9 am works, Ms López. The inspector will call half an hour ahead.';
    // HAProxy picks the instance (leastconn, ties in turn): the picture wants the answer taken by the instance that
    // does not hold the customer's stream, so a run where both were one instance is tried again, a few times.
    let customer;
    let staff;
    let sentBy;
    for (let attempt = 1; attempt <= 6; attempt++) {
      await customer?.context.close();
      await staff?.context.close();
      const { conversation } = await api('maria.lopez', 'POST', '/conversations', {
        accountId: 'permit-bp-2026-0142',
        subject: 'Inspection window on Friday',
        body: '<p>Could the final inspection be on Friday morning? We are away in the afternoon.</p>',
      });
      customer = await open('maria.lopez', conversation.id);
      staff = await open('dan.reyes', conversation.id);
      await staff.page.locator(`${inbox} [part~="reply"] [part~="editor"]`).fill(answer);
      const sent = served(
        staff.page,
        (response) => response.request().method() === 'POST' && response.url().includes(`/conversations/${conversation.id}/messages`),
      );
      await staff.page.locator(`${inbox} [part~="answer-button"]`, { hasText: /^\s*Send\s*$/ }).click();
      sentBy = await sent;
      await staff.page.locator(`${inbox} [part~="message"]`, { hasText: answer }).waitFor();
      // No reload: the answer arrives on the customer's open event stream.
      await customer.page.locator(`${inbox} [part~="message"]`, { hasText: answer }).waitFor({ timeout: 10_000 });
      if (sentBy !== customer.stream) break;
    }
    await staff.page.locator(`${inbox} [part~="message"]`, { hasText: answer }).scrollIntoViewIfNeeded();
    await customer.page.waitForTimeout(400);
    await staff.page.waitForTimeout(400);
    const [customerPng, staffPng] = await Promise.all(
      [customer.page, staff.page].map((page) => page.screenshot({ animations: 'disabled' }).then((png) => png.toString('base64'))),
    );

    mkdirSync(out, { recursive: true });
    const sheet = await (await browser.newContext({ viewport: { width: 1840, height: 860 } })).newPage();
    const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    await sheet.setContent(`<!doctype html><html><body style="margin:0;padding:16px;background:#eef1f4;font:15px system-ui,sans-serif;color:#1d2733">
<div style="display:flex;gap:16px">
  <figure style="margin:0"><figcaption style="margin-bottom:8px"><b>Maria López</b> (customer): her event stream is on instance <b>${escape(customer.stream)}</b>; the answer appeared without a reload</figcaption>
  <img style="display:block;border:1px solid #c8d0d8" src="data:image/png;base64,${customerPng}"></figure>
  <figure style="margin:0"><figcaption style="margin-bottom:8px"><b>Dan Reyes</b> (staff): his answer was taken by instance <b>${escape(sentBy)}</b>, through HAProxy</figcaption>
  <img style="display:block;border:1px solid #c8d0d8" src="data:image/png;base64,${staffPng}"></figure>
</div></body></html>`);
    await sheet.screenshot({ path: join(out, 'cluster-live-update.png'), fullPage: true });
    console.log(`wrote docs/images/cluster-live-update.png (stream on ${customer.stream}, answer through ${sentBy})`);

    const stats = await (await browser.newContext({ viewport: { width: 1400, height: 600 } })).newPage();
    await stats.goto(`http://127.0.0.1:${statsPort}/`);
    await stats.screenshot({ path: join(out, 'cluster-haproxy.png') });
    console.log('wrote docs/images/cluster-haproxy.png');
  } finally {
    await browser?.close();
    if (script.exitCode === null) process.kill(-script.pid, 'SIGINT');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}
