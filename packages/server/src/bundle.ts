import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { ApiError } from './errors.js';

export const defaultBundlePath = resolve(dirname(fileURLToPath(import.meta.url)), '../../elements/dist/secure-inbox.js');

/** Serves the widget bundle: public, CORS `*`, revalidated by ETag. Re-read when the file changes. */
export function bundleRoute(file = defaultBundlePath) {
  let cache: { mtimeMs: number; body: Buffer; etag: string } | undefined;
  const load = () => {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      throw new ApiError(404, 'not_found', 'The widget bundle has not been built yet: run `pnpm build`.');
    }
    if (!cache || cache.mtimeMs !== stat.mtimeMs) {
      const body = readFileSync(file);
      cache = { mtimeMs: stat.mtimeMs, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    return cache;
  };
  return new Hono().get('/secure-inbox.js', (c) => {
    const { body, etag } = load();
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cross-Origin-Resource-Policy', 'cross-origin');
    c.header('Cache-Control', 'public, max-age=300, must-revalidate');
    c.header('ETag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(new Uint8Array(body));
  });
}
