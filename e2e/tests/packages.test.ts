/**
 * The packages as a team installs them: every workspace package packed by `pnpm pack`, the tarballs installed with
 * npm into an empty project, `secure-inbox serve` started from its node_modules/.bin on plain Node, and a host page
 * built there by Vite with its default settings, importing @secure-inbox/elements and talking to the server on
 * another origin. In Chromium, the widget lists the user's conversations and follows its properties, on its own and
 * through @secure-inbox/react.
 *
 * Needs `pnpm build` first (as `pnpm test` runs it) and the npm registry (or npm's cache) for the third-party
 * dependencies; better-sqlite3 is compiled against Node's headers in /usr unless npm_config_nodedir says otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChild } from '../../scripts/child-server.mjs';
import { freePort, launchBrowser } from '../harness.js';
import { SECRET, mintToken, startHost, type Host } from './security-host.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const packages = ['protocol', 'elements', 'react', 'server'];
const work = mkdtempSync(join(tmpdir(), 'secure-inbox-packages-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  return { stdout: result.stdout, seconds: Math.round((Date.now() - started) / 1000) };
}

const list = (tarball: string) => run('tar', ['tzf', tarball], work).stdout.trim().split('\n');
const manifest = (tarball: string) => JSON.parse(run('tar', ['xzf', tarball, '-O', 'package/package.json'], work).stdout);
const tarballOf = (name: string) =>
  join(
    tarballs,
    readdirSync(tarballs).find((file) => file.startsWith(`secure-inbox-${name}-`))!,
  );

let host: Host;
let server: Awaited<ReturnType<typeof startChild>> & { url: string };
let browser: Browser;
const timings: string[] = [];

beforeAll(async () => {
  mkdirSync(tarballs);
  for (const name of packages) {
    const { seconds } = run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name));
    timings.push(`pack ${name}: ${seconds} s`);
  }

  // An empty project, as `npm init` leaves it; npm ≥ 11.19 runs a dependency's install script only when allowed.
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'host-portal', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }, null, 2),
  );
  const vite = JSON.parse(readFileSync(join(root, 'packages/elements/package.json'), 'utf8')).devDependencies.vite as string;
  const react = JSON.parse(readFileSync(join(root, 'packages/react/package.json'), 'utf8')).devDependencies.react as string;
  const install = run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages.map(tarballOf), `vite@${vite}`, `react@${react}`, `react-dom@${react}`],
    project,
    {
      npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
    },
  );
  timings.push(`npm install: ${install.seconds} s`);

  // The host page: Vite's defaults, the elements imported by name, properties set from the page's script.
  writeFileSync(
    join(project, 'index.html'),
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title></head><body><main></main><script type="module" src="/main.js"></script></body></html>',
  );
  writeFileSync(
    join(project, 'main.js'),
    `import '@secure-inbox/elements';
const params = new URL(location.href).searchParams;
if (params.has('react')) {
  const { mount } = await import('./react-app.js');
  mount(params);
} else {
  const inbox = document.createElement('secure-inbox');
  inbox.apiBase = params.get('api');
  inbox.tokenProvider = async () => params.get('token');
  document.querySelector('main').append(inbox);
}
`,
  );
  // The React app, without JSX so that Vite needs no plugin: the folder is React state, fed by the element's event.
  writeFileSync(
    join(project, 'react-app.js'),
    `import { createElement as h, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { SecureInbox } from '@secure-inbox/react';

function App({ params }) {
  const [folder, setFolder] = useState('inbox');
  return h('div', null,
    h('button', { id: 'show-sent', onClick: () => setFolder('sent') }, 'Show sent'),
    h('output', { id: 'folder' }, folder),
    h(SecureInbox, { apiBase: params.get('api'), tokenProvider: async () => params.get('token'), folder, onSecureFolderChange: (e) => setFolder(e.detail.folder) }),
  );
}

export function mount(params) {
  createRoot(document.querySelector('main')).render(h(App, { params }));
}
`,
  );
  const build = run(process.execPath, [join(project, 'node_modules/vite/bin/vite.js'), 'build'], project);
  timings.push(`vite build: ${build.seconds} s`);

  host = await startHost();
  const serve = (dir: string, prefix = '/') => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) serve(file, `${prefix}${entry.name}/`);
      else
        host.page(entry.name === 'index.html' ? prefix : `${prefix}${entry.name}`, readFileSync(file, 'utf8'), {
          'content-type': extname(file) === '.js' ? 'text/javascript' : 'text/html; charset=utf-8',
        });
    }
  };
  serve(join(project, 'dist'));

  const port = await freePort();
  const data = join(work, 'data');
  const child = await startChild({
    args: [join(project, 'node_modules/.bin/secure-inbox'), 'serve'],
    cwd: project,
    env: {
      NODE_OPTIONS: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      SECURE_INBOX_JWT_SECRET: SECRET,
      SECURE_INBOX_DB: join(data, 'secure-inbox.db'),
      SECURE_INBOX_DATA_DIR: data,
      SECURE_INBOX_ALLOWED_ORIGINS: host.origin,
    },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
    timeoutMs: 60_000,
  });
  server = { ...child, url: `http://127.0.0.1:${port}` };
  browser = await launchBrowser();
}, 30 * 60_000);

afterAll(async () => {
  console.log(`packages test: ${timings.join(', ')}`);
  await browser?.close();
  await server?.stop();
  await host?.close();
  rmSync(work, { recursive: true, force: true });
});

const api = (path: string) => `${server.url}/api/v1${path}`;

describe('the packed packages', () => {
  it('hold compiled modules, declarations and the licence, and no sources, tests or workspace ranges', () => {
    for (const name of packages) {
      const tarball = tarballOf(name);
      const files = list(tarball);
      const pkg = manifest(tarball);
      expect(files, name).toContain('package/LICENSE');
      expect(files, name).toContain('package/dist/index.js');
      expect(files, name).toContain('package/dist/index.d.ts');
      expect(
        files.filter((file) => file.startsWith('package/src/') || /\.test\.|\.ts$/.test(file.replace(/\.d\.ts$/, ''))),
        name,
      ).toEqual([]);
      expect(pkg.private, name).toBeUndefined();
      expect(pkg.license, name).toBe('MIT');
      expect(pkg.exports['.'].types, name).toMatch(/^\.\/dist\/.*\.d\.ts$/);
      expect(JSON.stringify(pkg), name).not.toMatch(/workspace:/);
      expect(JSON.stringify(pkg.exports), name).not.toMatch(/src\/|secure-inbox-compiled/);
    }
    const elements = manifest(tarballOf('elements'));
    expect(list(tarballOf('elements'))).toContain(`package/${elements.customElements}`);
    // The custom-elements manifest it ships is complete: inherited members, event detail types, the global tokens.
    const cem = JSON.parse(run('tar', ['xzf', tarballOf('elements'), '-O', `package/${elements.customElements}`], work).stdout) as {
      modules: {
        declarations?: {
          tagName?: string;
          attributes?: { name: string }[];
          members?: { name: string }[];
          events?: { name: string; type?: { text: string } }[];
          cssParts?: { name: string }[];
          cssProperties?: { name: string }[];
        }[];
      }[];
    };
    const inbox = cem.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'secure-inbox')!;
    expect(inbox.attributes!.map((a) => a.name)).toEqual(expect.arrayContaining(['api-base', 'token', 'theme', 'locale', 'folder']));
    expect(inbox.members!.map((m) => m.name)).toEqual(expect.arrayContaining(['apiBase', 'token', 'tokenProvider', 'theme', 'strings']));
    expect(inbox.events!.find((e) => e.name === 'secure-ready')!.type!.text).toBe('CustomEvent<{ folder: Folder; conversations: number }>');
    expect(inbox.cssProperties!.map((p) => p.name)).toEqual(expect.arrayContaining(['--secure-color-accent', '--secure-inbox-height']));
    expect(inbox.cssParts!.map((p) => p.name)).toEqual(expect.arrayContaining(['list', 'row', 'message-body']));
    expect(inbox.cssParts!.filter((p) => !/^[a-z][a-z-]*$/.test(p.name))).toEqual([]);
    const server = list(tarballOf('server'));
    expect(server).toContain('package/dist/widget/secure-inbox.js');
    // The module the bundle loads on demand (the thread, compose, the staff console…) travels with it, in the server and in the elements.
    expect(server.filter((file) => /^package\/dist\/widget\/secure-inbox\/parts-[\w-]+\.js$/.test(file))).toHaveLength(1);
    expect(list(tarballOf('elements')).filter((file) => /^package\/dist\/secure-inbox\/parts-[\w-]+\.js$/.test(file))).toHaveLength(1);
    expect(server).toContain('package/drizzle/meta/_journal.json');
  });
});

describe('installed with npm', () => {
  it('serves the widget bundle from the server package', async () => {
    const answer = await fetch(`${server.url}/secure-inbox.js`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(await answer.text()).toBe(readFileSync(join(project, 'node_modules/@secure-inbox/server/dist/widget/secure-inbox.js'), 'utf8'));
    // The module the entry imports on demand (the thread, compose, the staff console…), by the address it names, from the installed package.
    const parts = /["'`]\.\/(secure-inbox\/parts-[\w-]+\.js)["'`]/.exec(await (await fetch(`${server.url}/secure-inbox.js`)).text())?.[1];
    expect(parts).toBeDefined();
    const chunk = await fetch(`${server.url}/${parts}`);
    expect(chunk.status).toBe(200);
    expect(chunk.headers.get('access-control-allow-origin')).toBe('*');
    expect(chunk.headers.get('cache-control')).toContain('immutable');
    expect(await chunk.text()).toBe(readFileSync(join(project, 'node_modules/@secure-inbox/server/dist/widget', parts!), 'utf8'));
  });

  it('exports createApp() and what mounting it needs', () => {
    const { stdout } = run(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('@secure-inbox/server'); console.log(Object.keys(m).sort().join(' '))"],
      project,
      { NODE_OPTIONS: '' },
    );
    expect(stdout.trim().split(' ')).toEqual(expect.arrayContaining(['createApp', 'loadConfig', 'openDb', 'startBackgroundJobs']));
  });

  it('serves the OpenAPI document, which the protocol package also exports', async () => {
    const answer = await fetch(api('/openapi.json'));
    expect(answer.status).toBe(200);
    const served = (await answer.json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
    expect(served.openapi).toBe('3.1.0');
    expect(served.paths['/conversations']!.get!.operationId).toBe('listConversations');
    const { stdout } = run(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('@secure-inbox/protocol/openapi'); console.log(JSON.stringify(m.openApiDocument()))"],
      project,
      { NODE_OPTIONS: '' },
    );
    expect(JSON.parse(stdout)).toEqual(served);
  });

  it('lists conversations in a host page built by Vite, and follows the folder property', async () => {
    const customer = { sub: 'pkg-customer', name: 'Paula Applicant', role: 'customer' as const, accounts: ['permit-7'] };
    const staff = { sub: 'pkg-staff', name: 'Sam Reviewer', role: 'staff' as const, accounts: ['permit-7'] };
    const call = async (claims: typeof customer | typeof staff, path: string, body?: unknown) => {
      const answer = await fetch(api(path), {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${mintToken(claims)}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(answer.status, `${path}: ${await answer.clone().text()}`).toBeLessThan(300);
      return answer.json();
    };
    await call(customer, '/me');
    await call(staff, '/conversations', {
      accountId: 'permit-7',
      subject: 'Your permit needs a site plan',
      body: '<p>Please upload a site plan.</p>',
      recipientIds: [customer.sub],
    });
    await call(customer, '/conversations', { accountId: 'permit-7', subject: 'When is my inspection?', body: '<p>Is Tuesday possible?</p>' });

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${host.origin}/?api=${encodeURIComponent(server.url)}&token=${encodeURIComponent(mintToken(customer))}`);
    const rows = page.locator('secure-inbox [part~="row"]');
    // Inbox shows unread conversations by default: the staff member's, not the customer's own.
    await rows.filter({ hasText: 'Your permit needs a site plan' }).waitFor();
    expect(await rows.filter({ hasText: 'When is my inspection?' }).count()).toBe(0);

    await page.locator('secure-inbox').evaluate((inbox) => ((inbox as HTMLElement & { folder: string }).folder = 'sent'));
    await rows.filter({ hasText: 'When is my inspection?' }).waitFor();
    expect(await rows.filter({ hasText: 'Your permit needs a site plan' }).count()).toBe(0);
    expect(await page.locator('secure-inbox').getAttribute('folder')).toBe('sent');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('works through @secure-inbox/react: props set properties, onSecure… props receive the events', async () => {
    const customer = { sub: 'pkg-customer', name: 'Paula Applicant', role: 'customer' as const, accounts: ['permit-7'] };
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${host.origin}/?react&api=${encodeURIComponent(server.url)}&token=${encodeURIComponent(mintToken(customer))}`);
    const rows = page.locator('secure-inbox [part~="row"]');
    await rows.filter({ hasText: 'Your permit needs a site plan' }).waitFor();

    await page.locator('#show-sent').click();
    await rows.filter({ hasText: 'When is my inspection?' }).waitFor();
    expect(await rows.filter({ hasText: 'Your permit needs a site plan' }).count()).toBe(0);

    await page.locator('secure-inbox [part~="folder"]', { hasText: 'Trash' }).click();
    await expect.poll(() => page.locator('#folder').textContent()).toBe('trash');
    expect(errors).toEqual([]);
    await page.close();
  });
});
