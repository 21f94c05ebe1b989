/**
 * Rendering in headless Chromium, against the real server on a generated database (a copy: opening a
 * thread marks it read):
 *   - the inbox: from <secure-inbox> being added to the page to 50 rows in its list's shadow DOM
 *     (the list request is sent with limit=50 and without the unread-only filter);
 *   - a thread: from setting the `conversation` attribute to the messages being in the thread's
 *     shadow DOM, for the first page as the server sends it (50) and for a 1,000-message thread
 *     (the thread request answered with the 1,000 real messages, fetched beforehand from the server
 *     in pages of 200): once opened (the element shows the newest ones first) and once all 1,000 are
 *     in the DOM. Budget: 1,000 messages ≤ 150 ms.
 * Each figure is the time until the rows are in the DOM and until the next frame has been produced.
 *
 *   pnpm bench:render [--size 100k] [--runs 10]
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureDb } from './generate.js';
import { fetchJson } from './lib/load.js';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.mjs';
import { dataDir, rootDir } from './lib/paths.js';
import { fmt, machine, printChecks, saveResults, type Check } from './lib/report.js';
import { startApiServer, tokenFor } from './lib/server.js';

const CHROMIUM_ARGS = ['--headless=new', ...chromiumArgs];

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

interface Timing {
  inDom: number;
  painted: number;
  rows: number;
  /** Until the last API response of the step had arrived. */
  network: number;
}

/** In the page: waits (yielding to the event loop) until `count()` reaches `want`, then for the next frame. */
const WAIT_SOURCE = `
  window.__yield = () => new Promise((resolve) => { const ch = new MessageChannel(); ch.port1.onmessage = () => resolve(); ch.port2.postMessage(0); });
  window.__wait = async (t0, count, want) => {
    const deadline = t0 + 15000;
    let rows = count();
    while (rows < want) {
      if (performance.now() > deadline) throw new Error('only ' + rows + ' of ' + want + ' rows after 15 s');
      await window.__yield();
      rows = count();
    }
    const inDom = performance.now() - t0;
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const painted = performance.now() - t0;
    // The part spent waiting for the API: until the last API response that started after t0 ended.
    const api = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/') && e.startTime >= t0 && e.responseEnd - t0 <= inDom);
    const network = api.length ? Math.max(...api.map((e) => e.responseEnd)) - t0 : 0;
    return { inDom, painted, rows, network };
  };
  window.__listRows = (el) => el.shadowRoot?.querySelector('secure-conversation-list')?.shadowRoot?.querySelectorAll('[part~="row"]').length ?? 0;
  window.__messages = (el) => el.shadowRoot?.querySelector('secure-thread-view')?.shadowRoot?.querySelectorAll('[part~="message"]').length ?? 0;
`;

async function openInbox(page: Page, base: string, token: string, rows: number): Promise<Timing> {
  await page.goto(`${base}/__bench/render.html`);
  await page.waitForFunction(() => customElements.get('secure-inbox') !== undefined);
  return page.evaluate(
    async ({ base, token, rows }) => {
      const w = window as unknown as { __wait: (t0: number, count: () => number, want: number) => Promise<Timing>; __listRows: (el: Element) => number };
      const t0 = performance.now();
      const el = document.createElement('secure-inbox') as HTMLElement & { token?: string };
      el.setAttribute('api-base', base);
      el.token = token;
      document.body.append(el);
      return w.__wait(t0, () => w.__listRows(el), rows);
    },
    { base, token, rows },
  );
}

/** Shows every loaded message of the open thread: the whole window at once where the element allows, else "older" until done. */
async function expandThread(page: Page, messages: number): Promise<Timing> {
  return page.evaluate(async (messages) => {
    const w = window as unknown as { __wait: (t0: number, count: () => number, want: number) => Promise<Timing>; __messages: (el: Element) => number };
    const el = document.querySelector('secure-inbox')!;
    const view = el.shadowRoot!.querySelector('secure-thread-view') as HTMLElement & { shown?: number };
    const t0 = performance.now();
    if (typeof view.shown === 'number') view.shown = messages;
    else {
      // No window to widen: press "older" until everything is there.
      const press = async () => {
        while (w.__messages(el) < messages) {
          const older = view.shadowRoot!.querySelector<HTMLButtonElement>('[part~="older"]');
          if (!older) break;
          older.click();
          await new Promise((r) => setTimeout(r, 0));
        }
      };
      void press();
    }
    return w.__wait(t0, () => w.__messages(el), messages);
  }, messages);
}

async function openThread(page: Page, id: string, messages: number): Promise<Timing> {
  return page.evaluate(
    async ({ id, messages }) => {
      const w = window as unknown as { __wait: (t0: number, count: () => number, want: number) => Promise<Timing>; __messages: (el: Element) => number };
      const el = document.querySelector('secure-inbox')!;
      const t0 = performance.now();
      el.setAttribute('conversation', id);
      return w.__wait(t0, () => w.__messages(el), messages);
    },
    { id, messages },
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);

export async function renderBenchmark(size = arg('size', '100k'), runs = Number(arg('runs', '10'))) {
  const bundle = join(rootDir, 'packages/elements/dist/secure-inbox.js');
  if (!existsSync(bundle)) {
    console.log(`${bundle} is missing: run \`pnpm build\` first. Skipping the rendering benchmark.`);
    return null;
  }
  const { file, meta } = ensureDb(size);
  const copy = join(dataDir, `render-${size}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  copyFileSync(file, copy);
  mkdirSync(join(dataDir, 'run'), { recursive: true });
  const server = await startApiServer(copy, join(dataDir, 'run'));
  let browser: Browser | undefined;
  try {
    const base = server.url;
    // Staff see every message of the planted thread (hidden notes included): exactly 1,000.
    const token = await tokenFor(meta.personas.staff);
    const headers = { authorization: `Bearer ${token}` };

    // The 1,000-message thread, as the server sends it in pages of 200 (oldest first).
    let thread = await fetchJson(base, { path: `/api/v1/conversations/${meta.bigThreadId}?limit=200`, headers });
    const all = [...thread.messages];
    while (thread.nextCursor) {
      thread = await fetchJson(base, { path: `/api/v1/conversations/${meta.bigThreadId}?limit=200&before=${encodeURIComponent(thread.nextCursor)}`, headers });
      all.unshift(...thread.messages);
    }
    const bigThread = JSON.stringify({ ...thread, messages: all, nextCursor: null });
    const firstPage = await fetchJson(base, { path: `/api/v1/conversations/${meta.bigThreadId}`, headers });

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
    const results: Record<string, Timing[]> = { inbox: [], threadFirstPage: [], thread1000: [], thread1000All: [] };
    for (let run = 0; run < runs; run++) {
      for (const kind of ['threadFirstPage', 'thread1000'] as const) {
        const context = await browser.newContext();
        const page = await context.newPage();
        page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
        await page.route(`${base}/__bench/render.html`, (route) =>
          route.fulfill({
            contentType: 'text/html',
            body: `<!doctype html><html><head><meta charset="utf-8"><script>${WAIT_SOURCE}</script><script type="module" src="/secure-inbox.js"></script></head><body></body></html>`,
          }),
        );
        // The inbox list: 50 rows, every conversation (not only unread ones).
        await page.route(/\/api\/v1\/conversations\?/, (route) => {
          const url = new URL(route.request().url());
          if (url.pathname !== '/api/v1/conversations') return route.continue();
          url.searchParams.set('limit', '50');
          url.searchParams.delete('unread');
          return route.continue({ url: url.toString() });
        });
        if (kind === 'thread1000') {
          await page.route(new RegExp(`/api/v1/conversations/${meta.bigThreadId}(\\?.*)?$`), (route) =>
            route.request().method() === 'GET' ? route.fulfill({ contentType: 'application/json', body: bigThread }) : route.continue(),
          );
        }
        const inbox = await openInbox(page, base, token, 50);
        if (kind === 'threadFirstPage') results.inbox!.push(inbox);
        // The thread shows its newest messages first (a window of them when it is long).
        const window = Math.min(firstPage.messages.length, all.length);
        results[kind]!.push(await openThread(page, meta.bigThreadId, window));
        if (kind === 'thread1000') results.thread1000All!.push(await expandThread(page, all.length));
        await context.close();
      }
    }
    const summary = Object.fromEntries(
      Object.entries(results).map(([k, v]) => [
        k,
        {
          rows: v[0]?.rows ?? 0,
          networkMedian: median(v.map((t) => t.network)),
          inDomMedian: median(v.map((t) => t.inDom)),
          paintedMedian: median(v.map((t) => t.painted)),
          paintedMax: max(v.map((t) => t.painted)),
          afterNetworkMedian: median(v.map((t) => t.painted - t.network)),
        },
      ]),
    );
    return { size, runs, summary, thread1000Messages: all.length };
  } finally {
    await browser?.close();
    await server.stop();
    for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  }
}

async function main() {
  console.log(`Rendering benchmark on ${machine()}; Chromium at ${chromiumPath}`);
  const result = await renderBenchmark();
  if (!result) return;
  const labels: Record<string, string> = {
    inbox: 'inbox, 50 rows (from element added)',
    threadFirstPage: 'thread, first page from the server',
    thread1000: 'thread of 1,000: open (newest shown)',
    thread1000All: 'thread of 1,000: all rendered',
  };
  console.log(`\n${result.size} database, ${result.runs} runs (ms)`);
  console.log(
    `${''.padEnd(40)}${'rows'.padStart(6)}${'API p50'.padStart(10)}${'in DOM p50'.padStart(12)}${'painted p50'.padStart(13)}${'painted max'.padStart(13)}${'after API'.padStart(11)}`,
  );
  for (const [k, s] of Object.entries(result.summary)) {
    console.log(
      `${labels[k]!.padEnd(40)}${String(s.rows).padStart(6)}${fmt(s.networkMedian, 1).padStart(10)}${fmt(s.inDomMedian, 1).padStart(12)}${fmt(s.paintedMedian, 1).padStart(13)}${fmt(s.paintedMax, 1).padStart(13)}${fmt(s.afterNetworkMedian, 1).padStart(11)}`,
    );
  }
  const t = result.summary.thread1000All!;
  const o = result.summary.thread1000!;
  const checks: Check[] = [
    {
      what: 'thread of 1,000 messages, all rendered',
      figure: `${fmt(t.paintedMedian, 1)} ms median to the next frame (${fmt(t.inDomMedian, 1)} ms in the DOM)`,
      budget: '≤ 150 ms',
      ok: t.paintedMedian <= 150,
    },
    {
      what: 'thread of 1,000 messages, opened',
      figure: `${fmt(o.paintedMedian, 1)} ms (${o.rows} newest shown)`,
      budget: '≤ 150 ms',
      ok: o.paintedMedian <= 150,
    },
    { what: 'inbox of 50 rows, network included', figure: `${fmt(result.summary.inbox!.paintedMedian, 1)} ms`, budget: 'none', ok: null },
  ];
  printChecks(checks);
  saveResults('render', { ...result, checks });
}

if (process.argv[1] && /render\.ts$/.test(process.argv[1])) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
