/**
 * The same comparison as api-headers.test.ts, through @hono/node-server over HTTP: its lightweight
 * Response keeps the headers of an answer apart from the init it was made with until something copies
 * it (a HEAD answer is made from the GET one), so the headers set after the route must survive that.
 */
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHeaders } from '../src/app.js';
import { appWith, reference } from './api-headers-apps.js';

const PORTAL = 'https://portal.example';

function listen(app: Hono) {
  const server = createAdaptorServer({ fetch: app.fetch });
  return new Promise<{ url: string; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() })),
  );
}

describe('API headers through @hono/node-server', () => {
  let before: { url: string; close: () => void };
  let after: { url: string; close: () => void };
  beforeAll(async () => {
    before = await listen(appWith(reference([PORTAL])));
    after = await listen(appWith(apiHeaders([PORTAL])));
  });
  afterAll(() => {
    before?.close();
    after?.close();
  });

  async function answer(base: string, method: string, path: string, headers: Record<string, string>) {
    const res = await fetch(`${base}/api/v1${path}`, { method, headers });
    return { status: res.status, body: await res.text(), headers: [...res.headers].filter(([name]) => name !== 'date' && name !== 'keep-alive' && name !== 'connection') };
  }

  it('match the previous middleware for GET and HEAD answers, errors and preflights', async () => {
    for (const origin of [PORTAL, 'https://evil.example', undefined]) {
      const headers: Record<string, string> = origin === undefined ? {} : { origin };
      for (const [method, path] of [['GET', '/json'], ['HEAD', '/json'], ['HEAD', '/text'], ['GET', '/own'], ['HEAD', '/own'], ['GET', '/own-late'], ['HEAD', '/own-late'], ['GET', '/refused'], ['HEAD', '/refused'], ['GET', '/nowhere'], ['HEAD', '/nowhere'], ['DELETE', '/empty'], ['POST', '/json']]) {
        const got = await answer(after.url, method!, path!, headers);
        expect(got, `${method} ${path} from ${origin}`).toEqual(await answer(before.url, method!, path!, headers));
        if (origin === PORTAL) expect(new Map(got.headers).get('access-control-allow-origin'), `${method} ${path}`).toBe(PORTAL);
        expect(new Map(got.headers).get('content-security-policy'), `${method} ${path}`).toBeDefined();
      }
      const preflight = { ...headers, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' };
      expect(await answer(after.url, 'OPTIONS', '/json', preflight)).toEqual(await answer(before.url, 'OPTIONS', '/json', preflight));
    }
  });
});
