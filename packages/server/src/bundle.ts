import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { Hono, type Context } from 'hono';
import { ApiError } from './errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const packaged = resolve(here, 'widget/secure-inbox.js');

/**
 * The build copies the widget bundle into the package (dist/widget/, `pnpm build`), so an installed server serves its
 * own; from the sources, and from a build without that copy, it is the workspace's packages/elements/dist.
 */
export const defaultBundlePath =
  !import.meta.url.endsWith('.ts') && existsSync(packaged) ? packaged : resolve(here, '../../elements/dist/secure-inbox.js');

type Encoding = 'br' | 'gzip' | 'identity';

interface Variant {
  body: Uint8Array<ArrayBuffer>;
  etag: string;
}

/** The encodings a request accepts (`q=0` refuses one), best first. */
export function preferredEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = new Set<string>();
  for (const entry of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name, ...params] = entry.split(';').map((part) => part.trim());
    const q = params.find((param) => param.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return 'identity';
}

/** Reads `file` once per change and keeps it compressed in memory (brotli, gzip and as is); 404 with `missing` when absent. */
function cachedFile(file: string, missing: string) {
  let cache: { mtimeMs: number; size: number; variants: Record<Encoding, Variant> } | undefined;
  return () => {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      throw new ApiError(404, 'not_found', missing);
    }
    if (!cache || cache.mtimeMs !== stat.mtimeMs || cache.size !== stat.size) {
      const body = readFileSync(file);
      const tag = createHash('sha256').update(body).digest('base64url').slice(0, 27);
      // Each encoding has its own ETag, so a cache never answers one encoding's validator with another's bytes.
      const variant = (bytes: Buffer, suffix: string): Variant => ({ body: new Uint8Array(bytes), etag: `"${tag}${suffix}"` });
      cache = {
        mtimeMs: stat.mtimeMs,
        size: stat.size,
        variants: {
          identity: variant(body, ''),
          gzip: variant(gzipSync(body, { level: 9 }), '-gz'),
          br: variant(brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }), '-br'),
        },
      };
    }
    return cache.variants;
  };
}

/** Answers a script: public, CORS `*`, revalidated by ETag, in the encoding the browser accepts. */
function sendScript(c: Context, load: () => Record<Encoding, Variant>) {
  const encoding = preferredEncoding(c.req.header('accept-encoding'));
  const { body, etag } = load()[encoding];
  c.header('Access-Control-Allow-Origin', '*');
  c.header('Cross-Origin-Resource-Policy', 'cross-origin');
  c.header('Cache-Control', 'public, max-age=300, must-revalidate');
  c.header('Vary', 'Accept-Encoding');
  c.header('ETag', etag);
  if (c.req.header('if-none-match') === etag) return c.body(null, 304);
  c.header('Content-Type', 'text/javascript; charset=utf-8');
  if (encoding !== 'identity') c.header('Content-Encoding', encoding);
  return c.body(body);
}

/** The translations the widget loads on demand from beside itself (`secure-inbox/locales/<lang>.js`); no other name is served. */
export const shippedLocales = ['ar', 'de', 'es', 'fr'] as const;

/**
 * Serves the widget bundle and the translations it loads on demand: public, CORS `*`, revalidated by ETag,
 * compressed once (brotli or gzip, as the browser accepts) and kept in memory. Re-read when a file changes.
 */
export function bundleRoute(file = defaultBundlePath) {
  const bundle = cachedFile(file, 'The widget bundle has not been built yet: run `pnpm build`.');
  const locales = new Map(
    shippedLocales.map((lang) => [`${lang}.js`, cachedFile(resolve(dirname(file), 'secure-inbox/locales', `${lang}.js`), 'The widget bundle has not been built yet: run `pnpm build`.')]),
  );
  return new Hono()
    .get('/secure-inbox.js', (c) => sendScript(c, bundle))
    .get('/secure-inbox/locales/:file', (c) => {
      const locale = locales.get(c.req.param('file'));
      if (!locale) throw new ApiError(404, 'not_found', 'No such file.');
      return sendScript(c, locale);
    });
}
