/**
 * The examples in examples/, served on their own origin and embedding the real bundle cross-origin:
 * the branded portals show their brand (light, dark, OS dark), the React and Vue apps pass properties and
 * receive events, and the host-login site mints tokens that `pnpm serve` accepts. The cluster example runs as its
 * one command does: two instances on a new PostgreSQL database behind a real HAProxy, stopped as Ctrl-C stops it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, Response as PageResponse } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchBrowser, startServer, type RunningServer } from '../harness.js';
import { createTestDatabase, type TestDatabase } from '../../packages/server/test/postgres/database.js';

const examplesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples');

interface NodeProcess {
  url: string;
  stop: () => Promise<void>;
}

/** Runs one of the examples' node servers and waits until it answers. */
async function startExample(script: string, port: number, env: Record<string, string>): Promise<NodeProcess> {
  let log = '';
  const child: ChildProcess = spawn(process.execPath, [script], { cwd: examplesDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (log += chunk));
  child.stderr!.on('data', (chunk) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited early:\n${log}`);
    try {
      await fetch(url);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${script} did not answer within 15 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

const hex = (color: string) => {
  const n = Number.parseInt(color.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
};

/** The computed style of the first node with that part inside `<secure-inbox>` (through the shadow roots). */
const partStyle = (page: Page, part: string, property: string, scope = 'secure-inbox') =>
  page
    .locator(`${scope} [part~="${part}"]`)
    .first()
    .evaluate((node, name) => getComputedStyle(node).getPropertyValue(name), property);

let demo: RunningServer;
let plain: RunningServer;
let examples: NodeProcess;
let hostSite: NodeProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const cspViolations: string[] = [];

beforeAll(async () => {
  const examplesPort = await freePort();
  const hostPort = await freePort();
  const examplesOrigin = `http://127.0.0.1:${examplesPort}`;
  const hostOrigin = `http://127.0.0.1:${hostPort}`;
  const secret = randomBytes(48).toString('base64url');

  // The React and Vue apps are built by Vite, as `pnpm --filter @secure-inbox/examples build` does.
  const build = spawnSync(process.execPath, [join(examplesDir, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: examplesDir, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the framework examples did not build:\n${build.stdout}\n${build.stderr}`);

  [demo, plain] = await Promise.all([
    startServer({ env: { SECURE_INBOX_ALLOWED_ORIGINS: examplesOrigin } }),
    startServer({ entry: 'src/main.ts', env: { SECURE_INBOX_JWT_SECRET: secret, SECURE_INBOX_ALLOWED_ORIGINS: hostOrigin } }),
  ]);
  [examples, hostSite] = await Promise.all([
    startExample('serve.mjs', examplesPort, { EXAMPLES_PORT: String(examplesPort), SECURE_INBOX_URL: demo.url }),
    startExample('host-login/server.mjs', hostPort, { HOST_LOGIN_PORT: String(hostPort), SECURE_INBOX_URL: plain.url, SECURE_INBOX_JWT_SECRET: secret }),
  ]);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'light' });
  context.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
  });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([examples?.stop(), hostSite?.stop(), demo?.stop(), plain?.stop()]);
});

const brands = [
  { page: 'permits', user: 'Framing inspection', light: '#00656f', dark: '#5fd3de', banner: 'Schedule an inspection' },
  { page: 'accounting', user: 'Q3 VAT return', light: '#2d6a3e', dark: '#86d49b', banner: 'Upload documents' },
  { page: 'law', user: "Landlord's response", light: '#7a1f3d', dark: '#f08fae', banner: 'Key dates' },
];

describe('branded portals', () => {
  for (const brand of brands) {
    it(`${brand.page}: the widget loads the customer's inbox in the brand's colours, with the banner, header and footer content`, async () => {
      await page.goto(`${examples.url}/branded-portal/${brand.page}.html?theme=light`);
      await page.locator('secure-inbox [part~="row"]', { hasText: brand.user }).first().waitFor();

      expect(await partStyle(page, 'compose-button', 'background-color')).toBe(hex(brand.light));
      expect(await page.locator('secure-inbox').getAttribute('theme')).toBe('light');

      // Content inserted through the slots is rendered inside the widget's frame.
      for (const slot of ['banner', 'header', 'footer']) {
        const assigned = await page.locator(`secure-inbox > [slot="${slot}"]`).evaluate((node) => node.assignedSlot?.name ?? null);
        expect(assigned).toBe(slot);
      }
      await page.locator('secure-inbox > [slot="banner"] a', { hasText: brand.banner }).waitFor();
      // The header badge on the same page counts the same user's unread messages.
      await expect.poll(async () => (await page.locator('secure-unread-badge [part~="count"]').textContent())?.trim()).toMatch(/[1-9]/);
    });
  }

  it('law and accounting: empty states show their default text where the page leaves the empty slot alone', async () => {
    for (const brand of brands.filter((b) => b.page !== 'permits')) {
      await page.goto(`${examples.url}/branded-portal/${brand.page}.html?theme=light`);
      const inbox = page.locator('secure-inbox');
      await inbox.locator('[part~="row"]', { hasText: brand.user }).first().waitFor();
      await inbox.locator('[part~="search-input"]').fill('zeppelin');
      await inbox.locator('[part~="search-input"]').press('Enter');
      await inbox.getByText('No messages match “zeppelin”.').filter({ visible: true }).waitFor();
      await inbox.getByRole('button', { name: 'Clear search' }).click();
      await inbox.locator('[part~="row"]', { hasText: brand.user }).first().waitFor();
    }
    // Grace has nothing in Trash.
    await page.goto(`${examples.url}/branded-portal/law.html?theme=light`);
    await page.locator('secure-inbox [part~="folder"]', { hasText: 'Trash' }).click();
    await page.locator('secure-inbox').getByText('No messages here.').filter({ visible: true }).waitFor();
  });

  it('dark mode: forced with the theme switch, and followed from the operating system when the theme is auto', async () => {
    await page.goto(`${examples.url}/branded-portal/permits.html`);
    await page.locator('secure-inbox [part~="row"]').first().waitFor();
    expect(await partStyle(page, 'compose-button', 'background-color')).toBe(hex('#00656f'));

    await page.locator('[data-theme-choice="dark"]').click();
    expect(await page.locator('secure-inbox').getAttribute('theme')).toBe('dark');
    expect(await partStyle(page, 'compose-button', 'background-color')).toBe(hex('#5fd3de'));
    expect(await partStyle(page, 'base', 'background-color')).toBe(hex('#13262a'));

    const darkOs = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' });
    const osPage = await darkOs.newPage();
    await osPage.goto(`${examples.url}/branded-portal/law.html`);
    await osPage.locator('secure-inbox [part~="row"]').first().waitFor();
    expect(await osPage.locator('secure-inbox').getAttribute('theme')).toBe('auto');
    expect(await partStyle(osPage, 'compose-button', 'background-color')).toBe(hex('#f08fae'));
    await darkOs.close();
  });

  it('permits: "Ask about this permit" opens New message about the permit, and the thread links back to it', async () => {
    await page.goto(`${examples.url}/branded-portal/permits.html?theme=light`);
    await page.locator('secure-inbox [part~="row"]').first().waitFor();
    await page.locator('secure-inbox > [slot="banner"] button', { hasText: 'Ask about this permit' }).click();
    const dialog = page.locator('secure-inbox [part~="compose"]');
    await expect.poll(() => dialog.locator('#subject').inputValue()).toBe('Question about permit BP-2026-0142');
    const body = `Is the fee the same for a revision? (${Date.now().toString(36)})`;
    await dialog.locator('[part~="editor"]').fill(body);
    await dialog.locator('[part~="send"]').click();
    await page.locator('secure-inbox [part~="message"]', { hasText: body }).waitFor();
    const link = page.locator('secure-inbox [part~="record-link"]');
    expect(await link.getAttribute('href')).toBe('https://permits.example.gov/records/BP-2026-0142');
  });

  it('permits in German: lang="de" makes the widget load its German text from the server, with German dates', async () => {
    const locales: { url: string; status: number }[] = [];
    const listen = (response: PageResponse) => {
      if (response.url().includes('/secure-inbox/locales/')) locales.push({ url: response.url(), status: response.status() });
    };
    page.on('response', listen);
    try {
      await page.goto(`${examples.url}/branded-portal/permits.de.html?theme=light`);
      const inbox = page.locator('secure-inbox');
      await inbox.locator('[part~="folder"]', { hasText: 'Posteingang' }).waitFor();
      await inbox.locator('[part~="row"]', { hasText: 'Framing inspection' }).first().waitFor();
      expect((await inbox.locator('[part~="compose-button"]').textContent())?.trim()).toBe('Neue Nachricht');
      await inbox.getByText('Nur ungelesene').first().waitFor();
      await inbox.getByRole('button', { name: 'Suchen', exact: true }).waitFor();
      // Dates as German readers write them: 1.3.2026 as "01.03.2026", times as "10:42".
      const time = (await inbox.locator('[part~="row"] [part~="time"]').first().textContent())?.trim();
      expect(time).toMatch(/^(\d{2}\.\d{2}\.\d{4}|\d{2}:\d{2})$/);
      // The page's own German text sits beside it, in the slots.
      await page.locator('secure-inbox > [slot="banner"] button', { hasText: 'Frage zu diesem Antrag' }).waitFor();
      expect(locales).toEqual([{ url: `${demo.url}/secure-inbox/locales/de.js`, status: 200 }]);
    } finally {
      page.off('response', listen);
    }
  });

  it('the index page shows the three portals side by side, each in its own brand and as its own user', async () => {
    await page.goto(`${examples.url}/branded-portal/index.html?theme=light`);
    for (const brand of brands) {
      const scope = `.portal-${brand.page} secure-inbox`;
      await page.locator(`${scope} [part~="row"]`, { hasText: brand.user }).first().waitFor();
      expect(await partStyle(page, 'compose-button', 'background-color', scope)).toBe(hex(brand.light));
    }
    const boxes = await page.locator('.gallery > section').evaluateAll((sections) => sections.map((s) => s.getBoundingClientRect().top));
    expect(boxes).toHaveLength(3);
    expect(new Set(boxes.map(Math.round)).size).toBe(1);
  });
});

describe('framework apps', () => {
  it('React: the JSX app built on @secure-inbox/react renders the inbox; props (token provider, strings, folder) reach the element and onSecure… handlers get its events; the app can veto a send', async () => {
    const widgetScripts: string[] = [];
    const listen = (response: PageResponse) => {
      if (response.url().startsWith(demo.url) && response.request().resourceType() === 'script') widgetScripts.push(response.url());
    };
    page.on('response', listen);
    await page.goto(`${examples.url}/react/?as=tom.hartley`);
    await page.locator('secure-inbox [part~="compose-button"]', { hasText: 'Ask a question' }).waitFor();
    // onSecureReady: the first page of Tom's inbox is shown.
    const ready = page.locator('.event-log li', { hasText: 'secure-ready' });
    await ready.waitFor();
    const rows = await page.locator('secure-inbox [part~="row"]').count();
    expect(rows).toBeGreaterThan(0);
    expect(await ready.textContent()).toContain(`${rows} in inbox`);
    expect(await page.locator('.event-log li', { hasText: 'secure-ready' }).count()).toBe(1);
    // The elements come from the app's own bundle (@secure-inbox/react), not from the widget server.
    page.off('response', listen);
    expect(widgetScripts).toEqual([]);
    const first = page.locator('secure-inbox [part~="row"]').first();
    await first.click();
    const id = await page.locator('secure-inbox').getAttribute('conversation');
    expect(id).toMatch(/\S/);
    await page.getByTestId('open-conversation').filter({ hasText: id! }).waitFor();
    expect(await page.locator('.event-log').textContent()).toContain('secure-conversation-open');

    // The folder is a React prop: choosing Sent in the app switches the widget.
    await page.getByTestId('folder').selectOption('sent');
    await expect.poll(() => page.locator('secure-inbox').getAttribute('folder')).toBe('sent');
    await page.getByTestId('folder').selectOption('inbox');
    await expect.poll(() => page.locator('secure-inbox').getAttribute('folder')).toBe('inbox');
    await page.locator('secure-inbox [part~="unread-toggle"]').uncheck();
    await first.click();

    // secure-before-send is cancelable: with "Hold outgoing messages" on, nothing is posted.
    await page.getByLabel('Hold outgoing messages').check();
    const before = await page.locator('secure-inbox [part~="message"]').count();
    await page.locator('secure-inbox [part~="reply"] [part~="editor"]').fill('This one is held by the app.');
    await page.locator('secure-inbox [part~="reply"] [part~="send"]').click();
    await page.locator('.event-log li', { hasText: 'held by the app' }).first().waitFor();
    await page.waitForTimeout(300);
    expect(await page.locator('secure-inbox [part~="message"]').count()).toBe(before);
  });

  it('Vue: properties and events work the same way', async () => {
    await page.goto(`${examples.url}/vue/?as=grace.okafor`);
    await page.locator('secure-inbox [part~="compose-button"]', { hasText: 'Write to us' }).waitFor();
    await page.locator('secure-inbox [part~="row"]').first().click();
    const id = await page.locator('secure-inbox').getAttribute('conversation');
    expect(id).toMatch(/\S/);
    await page.getByTestId('open-conversation').filter({ hasText: id! }).waitFor();
    await page.locator('secure-inbox [part~="thread"]').waitFor();
  });
});

describe('host login', () => {
  it('keeps its own session, refuses a token without it, and mints tokens that the plain server accepts', async () => {
    const anonymous = await fetch(`${hostSite.url}/portal/secure-inbox-token`);
    expect(anonymous.status).toBe(401);

    const hostContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const host = await hostContext.newPage();
    await host.goto(hostSite.url);
    await host.getByLabel('User name').fill('maria');
    await host.getByLabel('Password').fill('wrong');
    await host.getByRole('button', { name: 'Sign in' }).click();
    await host.getByText('do not match').waitFor();

    await host.getByLabel('User name').fill('maria');
    await host.getByLabel('Password').fill('maria-demo');
    await host.getByRole('button', { name: 'Sign in' }).click();
    await host.waitForURL('**/portal');
    const cookie = (await hostContext.cookies()).find((c) => c.name === 'host_session');
    expect(cookie?.httpOnly).toBe(true);

    // The widget, loaded from the plain server, asks a question with the host-minted token.
    const subject = `Fence permit question ${Date.now().toString(36)}`;
    await host.locator('secure-inbox [part~="compose-button"]').click();
    const compose = host.locator('secure-inbox [part~="compose"]');
    await compose.locator('input[name="subject"]').fill(subject);
    await compose.locator('[part~="editor"]').fill('Do I need a permit for a 6 ft fence?');
    await compose.locator('[part~="send"]').click();
    await host.locator('secure-inbox [part~="thread"] h2', { hasText: subject }).waitFor();

    // The token the widget used is the host's: the plain server knows Maria from its claims.
    const token = await host.evaluate(async () => (await fetch('/portal/secure-inbox-token')).text());
    const me = await fetch(`${plain.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { id: string; name: string } }).user).toMatchObject({ id: 'maria.lopez', name: 'Maria López' });
    await hostContext.close();
  });
});

describe('every example page', () => {
  it('ran under its strict Content-Security-Policy (no inline script or style) without a violation', () => {
    expect(cspViolations).toEqual([]);
  });
});

describe('cluster (examples/cluster/start.sh)', () => {
  interface Cluster {
    url: string;
    stats: string;
    instanceA: string;
    instanceB: string;
    output: () => string;
    /** Ctrl-C as a terminal sends it (SIGINT to the whole process group); resolves with the script's exit code. */
    interrupt: () => Promise<number | null>;
  }
  let database: TestDatabase;
  let cluster: Cluster;
  const dataDir = mkdtempSync(join(tmpdir(), 'secure-inbox-cluster-'));

  beforeAll(async () => {
    // A database name that does not exist yet: the script creates it, as on a first start with its default URL.
    database = await createTestDatabase({ migrated: false });
    await database.drop();
    const [port, statsPort, portA, portB] = [await freePort(), await freePort(), await freePort(), await freePort()];
    let log = '';
    const child = spawn('bash', [join(examplesDir, 'cluster/start.sh')], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        SECURE_INBOX_DATABASE_URL: database.url,
        SECURE_INBOX_DATA_DIR: dataDir,
        CLUSTER_PORT: String(port),
        CLUSTER_STATS_PORT: String(statsPort),
        INSTANCE_A_PORT: String(portA),
        INSTANCE_B_PORT: String(portB),
      },
    });
    child.stdout!.on('data', (chunk) => (log += chunk));
    child.stderr!.on('data', (chunk) => (log += chunk));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    cluster = {
      url: `http://127.0.0.1:${port}`,
      stats: `http://127.0.0.1:${statsPort}`,
      instanceA: `http://127.0.0.1:${portA}`,
      instanceB: `http://127.0.0.1:${portB}`,
      output: () => log,
      interrupt: async () => {
        if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
        return exited;
      },
    };
    const deadline = Date.now() + 45_000;
    while (!log.includes('Ctrl-C stops all three')) {
      if (child.exitCode !== null) throw new Error(`start.sh exited early:\n${log}`);
      if (Date.now() > deadline) {
        process.kill(-child.pid!, 'SIGKILL');
        throw new Error(`start.sh did not start the cluster within 45 s:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    if (cluster) await cluster.interrupt();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('two instances behind HAProxy on one new database: the demo login and a send through the balancer, answered by both instances, and Ctrl-C drains both to exit code 0', async () => {
    expect(cluster.output()).toContain(`created the database "${database.name}"`);
    // HAProxy's statistics list both instances UP (health checks on /readyz; "UP 1/2" while a check is under way).
    const csv = await (await fetch(`${cluster.stats}/;csv`)).text();
    const state = (server: string) =>
      csv
        .split('\n')
        .find((line) => line.startsWith(`instances,${server},`))
        ?.split(',')[17];
    expect([state('a'), state('b')]).toEqual([expect.stringMatching(/^UP\b/), expect.stringMatching(/^UP\b/)]);

    // Maria signs in through the demo's login page, served through the balancer, and asks a question.
    const servedBy: string[] = [];
    const clusterContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const clusterPage = await clusterContext.newPage();
    clusterPage.on('response', (response) => {
      const instance = response.headers()['x-served-by'];
      if (response.url().startsWith(cluster.url) && instance) servedBy.push(instance);
    });
    await clusterPage.goto(`${cluster.url}/?as=maria.lopez`);
    await clusterPage.locator('secure-inbox [part~="row"]').first().waitFor();
    const subject = `Asked through the cluster ${Date.now().toString(36)}`;
    await clusterPage.locator('secure-inbox [part~="compose-button"]').click();
    const compose = clusterPage.locator('secure-inbox [part~="compose"]');
    await compose.locator('input[name="subject"]').fill(subject);
    await compose.locator('[part~="editor"]').fill('Which instance gets this question?');
    await compose.locator('[part~="send"]').click();
    await clusterPage.locator('secure-inbox [part~="thread"] h2', { hasText: subject }).waitFor();
    const conversationId = await clusterPage.locator('secure-inbox').getAttribute('conversation');
    expect(conversationId).toMatch(/\S/);
    await clusterContext.close();

    // Dan, the permit's staff, signs in through the balancer and reads it there.
    const minted = await fetch(`${cluster.url}/demo/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"userId":"dan.reyes"}',
    });
    const { token } = (await minted.json()) as { token: string };
    const read = async (origin: string) => {
      const answer = await fetch(`${origin}/api/v1/conversations/${conversationId}`, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(200);
      const instance = answer.headers.get('x-served-by');
      if (instance) servedBy.push(instance);
      return ((await answer.json()) as { conversation: { subject: string } }).conversation.subject;
    };
    for (let i = 0; i < 4; i++) expect(await read(cluster.url)).toBe(subject);
    // HAProxy spread the requests over both instances (by open connections: the page's event stream held one).
    expect(new Set(servedBy)).toEqual(new Set(['a', 'b']));
    // And each instance, asked directly, has the question, whichever of them took it.
    expect([await read(cluster.instanceA), await read(cluster.instanceB)]).toEqual([subject, subject]);

    // Ctrl-C: both instances drain and exit 0, and so does the script.
    expect(await cluster.interrupt()).toBe(0);
    expect(cluster.output()).toContain('instance a exited with code 0');
    expect(cluster.output()).toContain('instance b exited with code 0');
  });
});
