/**
 * The API's CORS and cache/CSP headers are set on the final answer (apiHeaders); they must be exactly
 * those of hono's cors middleware followed by `c.header()`, as the API had them, for every kind of
 * answer: JSON, text, empty, an error thrown by a route, a route that sets its own headers, an unknown
 * path and the preflights.
 */
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { apiHeaders } from '../src/answer-headers.js';
import { serverVersion } from '../src/version.js';
import { appWith, reference } from './api-headers-apps.js';

const PORTAL = 'https://portal.example';
const OTHER = 'https://other.example';
const EVIL = 'https://evil.example';

async function answer(app: Hono, method: string, path: string, headers: Record<string, string>) {
  const res = await app.request(`/api/v1${path}`, { method, headers });
  return { status: res.status, body: await res.text(), headers: [...res.headers] };
}

describe('API headers', () => {
  for (const allowed of [[PORTAL], [PORTAL, OTHER], []]) {
    it(`match hono's cors middleware and c.header() for every kind of answer (allowed: ${allowed.join(', ') || 'none'})`, async () => {
      const before = appWith(reference(allowed));
      const after = appWith(apiHeaders(allowed));
      const requests: [string, string][] = [
        ['GET', '/json'],
        ['POST', '/json'],
        ['GET', '/text'],
        ['DELETE', '/empty'],
        ['GET', '/own'],
        ['GET', '/own-late'],
        ['GET', '/raw'],
        ['GET', '/refused'],
        ['GET', '/broken'],
        ['GET', '/nowhere'],
        ['HEAD', '/json'],
      ];
      let compared = 0;
      for (const origin of [PORTAL, OTHER, EVIL, 'null', '', undefined]) {
        const headers: Record<string, string> = origin === undefined ? {} : { origin };
        for (const [method, path] of requests) {
          expect(await answer(after, method, path, headers), `${method} ${path} from ${origin}`).toEqual(await answer(before, method, path, headers));
          compared++;
        }
        for (const [requested, requestHeaders] of [
          ['POST', 'authorization, content-type'],
          ['PATCH', 'last-event-id'],
          ['GET', ''],
        ] as const) {
          const preflight = {
            ...headers,
            'access-control-request-method': requested,
            ...(requestHeaders ? { 'access-control-request-headers': requestHeaders } : {}),
          };
          expect(await answer(after, 'OPTIONS', '/json', preflight), `preflight ${requested} from ${origin}`).toEqual(
            await answer(before, 'OPTIONS', '/json', preflight),
          );
          compared++;
        }
      }
      expect(compared).toBe(6 * 14);
    });
  }

  it('still carries the headers the widget relies on', async () => {
    const app = appWith(apiHeaders([PORTAL]));
    const ok = await app.request('/api/v1/json', { headers: { origin: PORTAL } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(ok.headers.get('access-control-expose-headers')).toBe('Retry-After,Content-Disposition,Secure-Inbox-Version');
    expect(ok.headers.get('secure-inbox-version')).toBe(serverVersion);
    expect(ok.headers.get('vary')).toBe('Origin');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    const refused = await app.request('/api/v1/refused', { headers: { origin: EVIL } });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('retry-after')).toBe('7');
  });
});
