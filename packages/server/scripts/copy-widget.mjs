#!/usr/bin/env node
// Part of `pnpm build`: copies the widget bundle (packages/elements/dist/secure-inbox.js, and the modules it loads on
// demand under secure-inbox/ if any) into dist/widget/, so the installed server serves the bundle of its own release.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const server = dirname(dirname(fileURLToPath(import.meta.url)));
const from = join(server, '../elements/dist');
const to = join(server, 'dist/widget');
if (!existsSync(join(from, 'secure-inbox.js'))) {
  console.error(`The widget bundle is missing at ${join(from, 'secure-inbox.js')}: build @secure-inbox/elements first (pnpm build at the root).`);
  process.exit(1);
}
mkdirSync(to, { recursive: true });
cpSync(join(from, 'secure-inbox.js'), join(to, 'secure-inbox.js'));
if (existsSync(join(from, 'secure-inbox'))) cpSync(join(from, 'secure-inbox'), join(to, 'secure-inbox'), { recursive: true });
