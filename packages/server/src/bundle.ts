import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { Hono, type Context } from 'hono';
import { ApiError } from './errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const packaged = resolve(here, 'widget/secure-inbox.js');

/**
 * The build copies the widget bundle (the entry and its `secure-inbox/` modules) into the package (dist/widget/,
 * `pnpm build`), so an installed server serves its own; from the sources, and from a build without that copy, it is the workspace's packages/elements/dist.
 */
export const defaultBundlePath = !import.meta.url.endsWith('.ts') && existsSync(packaged) ? packaged : resolve(here, '../../elements/dist/secure-inbox.js');

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

/** A file of the bundle, compressed once per encoding and kept in memory; re-read when the file changes. */
function compressedFile(file: string, missing: string) {
  let cache: { mtimeMs: number; size: number; variants: Record<Encoding, Variant> } | undefined;
  return () => {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      throw new ApiError(404, 'not_found', missing);
    }
    if (!stat.isFile()) throw new ApiError(404, 'not_found', missing);
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

/** A module the entry loads on demand: a plain file name, as the build writes them (`staff-1a2B3c4D.js`). */
const chunkName = /^[A-Za-z0-9_-]+\.js$/;
/** The build names every chunk by its content's hash, so a name always means the same bytes. */
const hashedChunk = /-[A-Za-z0-9_-]{8,}\.js$/;

/** The translations the widget loads on demand from beside itself (`secure-inbox/locales/<lang>.js`); no other name is served. */
export const shippedLocales = ['ar', 'de', 'es', 'fr'] as const;

/**
 * Serves the widget bundle: public, CORS `*`, compressed once (brotli or gzip, as the browser accepts) and kept in
 * memory, re-read when the file changes. The entry (`/secure-inbox.js`) is revalidated by ETag; the modules it loads on
 * demand (`/secure-inbox/<name>.js`, from the `secure-inbox/` folder beside it) are named by their content's hash and
 * so cached for a year, `immutable`; the translations (`/secure-inbox/locales/<lang>.js`, only the shipped languages)
 * keep fixed names and are revalidated like the entry. Any other name under `/secure-inbox/` is a JSON 404, and only plain file names
 * are looked up: nothing outside that folder can be asked for.
 */
export function bundleRoute(file = defaultBundlePath) {
  const entry = compressedFile(file, 'The widget bundle has not been built yet: run `pnpm build`.');
  const chunkDir = join(dirname(file), 'secure-inbox');
  const locales = new Map(
    shippedLocales.map((lang) => [
      `${lang}.js`,
      compressedFile(join(chunkDir, 'locales', `${lang}.js`), 'The widget bundle has not been built yet: run `pnpm build`.'),
    ]),
  );
  const chunks = new Map<string, ReturnType<typeof compressedFile>>();
  const send = (c: Context, variants: Record<Encoding, Variant>, cacheControl: string) => {
    const encoding = preferredEncoding(c.req.header('accept-encoding'));
    const { body, etag } = variants[encoding];
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cross-Origin-Resource-Policy', 'cross-origin');
    c.header('Cache-Control', cacheControl);
    c.header('Vary', 'Accept-Encoding');
    c.header('ETag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    if (encoding !== 'identity') c.header('Content-Encoding', encoding);
    return c.body(body);
  };
  return new Hono()
    .get('/secure-inbox.js', (c) => send(c, entry(), 'public, max-age=300, must-revalidate'))
    .get('/secure-inbox/locales/:file', (c) => {
      const locale = locales.get(c.req.param('file'));
      if (!locale) throw new ApiError(404, 'not_found', 'No such file.');
      return send(c, locale(), 'public, max-age=300, must-revalidate');
    })
    .get('/secure-inbox/:name', (c) => {
      const name = c.req.param('name');
      const missing = 'No such module of the widget bundle.';
      if (!chunkName.test(name)) throw new ApiError(404, 'not_found', missing);
      const load = chunks.get(name) ?? compressedFile(join(chunkDir, name), missing);
      const variants = load();
      // Remembered once found, so made-up names do not fill the map.
      chunks.set(name, load);
      return send(c, variants, hashedChunk.test(name) ? 'public, max-age=31536000, immutable' : 'public, max-age=300, must-revalidate');
    });
}
