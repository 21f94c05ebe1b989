/** The small app both API header tests run: every kind of answer, behind the old or the new headers. */
import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { ApiError } from '../src/errors.js';
import { serverVersion } from '../src/version.js';

/** The headers middleware as it was: the after-hook with `c.header()`, then hono's cors. */
export function reference(allowedOrigins: string[]): MiddlewareHandler[] {
  return [
    async (c, next) => {
      await next();
      if (!c.res.headers.has('content-security-policy')) c.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
      if (!c.res.headers.has('cache-control')) c.header('Cache-Control', 'no-store');
      if (c.req.method !== 'OPTIONS') c.header('Secure-Inbox-Version', serverVersion);
    },
    cors({
      origin: allowedOrigins,
      allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
      exposeHeaders: ['Retry-After', 'Content-Disposition', 'Secure-Inbox-Version'],
      maxAge: 600,
    }),
  ];
}

/** An app with `headers` on its API and `appWide` (say, the security headers) on every answer. */
export function appWith(headers: MiddlewareHandler[], appWide: MiddlewareHandler[] = []) {
  const api = new Hono();
  api.use('*', ...headers);
  api.get('/json', (c) => c.json({ ok: true }));
  api.post('/json', (c) => c.json({ created: true }, 201));
  api.get('/text', (c) => c.text('plain'));
  api.delete('/empty', (c) => c.body(null, 204));
  api.get('/own', (c) => {
    c.header('Cache-Control', 'private, max-age=60');
    c.header('Content-Security-Policy', 'sandbox');
    c.header('Vary', 'Accept-Encoding');
    c.header('Content-Disposition', 'attachment; filename="a.txt"');
    return c.body('file', 200, { 'Content-Type': 'text/plain' });
  });
  api.get('/own-late', (c) => c.json({ ok: true }, 200, { 'Cache-Control': 'no-cache', Vary: 'Accept' }));
  api.get('/raw', () => new Response('raw', { headers: { 'content-type': 'text/plain', vary: 'Cookie' } }));
  api.get('/refused', () => {
    throw new ApiError(429, 'rate_limited', 'Too many.', undefined, { 'Retry-After': '7' });
  });
  api.get('/broken', () => {
    throw new Error('boom');
  });
  const app = new Hono();
  if (appWide.length) app.use('*', ...appWide);
  app.get('/page', (c) => {
    c.header('Referrer-Policy', 'origin');
    c.header('Vary', 'Accept-Encoding');
    return c.html('<p>page</p>');
  });
  app.route('/api/v1', api);
  app.notFound((c) => c.json({ error: { code: 'not_found' } }, 404));
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
      return c.json({ error: { code: error.code } }, error.status);
    }
    return c.json({ error: { code: 'internal' } }, 500);
  });
  return app;
}
