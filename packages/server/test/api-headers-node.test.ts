/**
 * Served by startServer(), the security and API headers are written by AnswerResponse into the header
 * record @hono/node-server hands to Node (src/answer-headers.ts). Through real HTTP, every kind of
 * answer must carry exactly what hono's secureHeaders and the API middleware gave it before: JSON,
 * text, empty, HEAD, errors, routes with headers of their own, unknown paths, preflights, pages.
 */
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerResponse, apiHeaders, SECURE_HEADER_OPTIONS, securityHeaders } from '../src/answer-headers.js';
import { appWith, reference } from './api-headers-apps.js';
import { makeTestApp } from './helpers.js';

const PORTAL = 'https://portal.example';

function listen(app: { fetch: Hono['fetch'] }, answers: 'node' | 'answer-response') {
  const server = createAdaptorServer({ fetch: app.fetch, ...(answers === 'answer-response' ? { serverOptions: { ServerResponse: AnswerResponse } } : {}) });
  return new Promise<{ url: string; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() })),
  );
}

async function answer(base: string, method: string, path: string, headers: Record<string, string>) {
  const res = await fetch(`${base}${path}`, { method, headers });
  return {
    status: res.status,
    body: await res.text(),
    headers: [...res.headers].filter(([name]) => name !== 'date' && name !== 'keep-alive' && name !== 'connection'),
  };
}

describe('answer headers through @hono/node-server', () => {
  const servers: { url: string; close: () => void }[] = [];
  let before: string;
  let after: string;
  let plainAfter: string;
  beforeAll(async () => {
    const open = async (app: { fetch: Hono['fetch'] }, answers: 'node' | 'answer-response') => {
      const server = await listen(app, answers);
      servers.push(server);
      return server.url;
    };
    before = await open(appWith(reference([PORTAL]), [secureHeaders(SECURE_HEADER_OPTIONS)]), 'node');
    after = await open(appWith(apiHeaders([PORTAL]), [securityHeaders()]), 'answer-response');
    // The same middleware on a plain Node server sets the headers itself.
    plainAfter = await open(appWith(apiHeaders([PORTAL]), [securityHeaders()]), 'node');
  });
  afterAll(() => servers.forEach((s) => s.close()));

  it('match hono secureHeaders and the previous API middleware for every kind of answer', async () => {
    let compared = 0;
    for (const origin of [PORTAL, 'https://evil.example', '', undefined]) {
      const headers: Record<string, string> = origin === undefined ? {} : { origin };
      const requests = [
        ['GET', '/json'],
        ['HEAD', '/json'],
        ['HEAD', '/text'],
        ['GET', '/text'],
        ['GET', '/own'],
        ['HEAD', '/own'],
        ['GET', '/own-late'],
        ['HEAD', '/own-late'],
        ['GET', '/raw'],
        ['GET', '/refused'],
        ['HEAD', '/refused'],
        ['GET', '/broken'],
        ['GET', '/nowhere'],
        ['HEAD', '/nowhere'],
        ['DELETE', '/empty'],
        ['POST', '/json'],
      ];
      for (const [method, path] of requests) {
        const expected = await answer(before, method!, `/api/v1${path}`, headers);
        for (const base of [after, plainAfter]) {
          const got = await answer(base, method!, `/api/v1${path}`, headers);
          expect(got, `${method} ${path} from ${origin}`).toEqual(expected);
          if (origin === PORTAL) expect(new Map(got.headers).get('access-control-allow-origin'), `${method} ${path}`).toBe(PORTAL);
          expect(new Map(got.headers).get('content-security-policy'), `${method} ${path}`).toBeDefined();
          expect(new Map(got.headers).get('x-frame-options'), `${method} ${path}`).toBe('SAMEORIGIN');
          compared++;
        }
      }
      const preflight = { ...headers, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' };
      for (const base of [after, plainAfter])
        expect(await answer(base, 'OPTIONS', '/api/v1/json', preflight)).toEqual(await answer(before, 'OPTIONS', '/api/v1/json', preflight));
      // Outside the API: the security headers only, over the page's own (hono's secureHeaders overwrites them).
      for (const base of [after, plainAfter]) {
        const page = await answer(base, 'GET', '/page', headers);
        expect(page).toEqual(await answer(before, 'GET', '/page', headers));
        expect(new Map(page.headers).get('content-security-policy')).toBeUndefined();
        expect(new Map(page.headers).get('referrer-policy')).toBe('no-referrer');
      }
    }
    expect(compared).toBe(4 * 16 * 2);
  });

  it("are on the real app's answers served the way startServer() serves them", async () => {
    const { app } = makeTestApp({ SECURE_INBOX_ALLOWED_ORIGINS: PORTAL });
    const server = await listen(app, 'answer-response');
    servers.push(server);
    const refused = await fetch(`${server.url}/api/v1/conversations`, { headers: { origin: PORTAL } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(refused.headers.get('vary')).toBe('Origin');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(refused.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(refused.headers.get('strict-transport-security')).toBe('max-age=15552000; includeSubDomains');
    const health = await fetch(`${server.url}/healthz`);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('access-control-expose-headers')).toBeNull();
  });
});
