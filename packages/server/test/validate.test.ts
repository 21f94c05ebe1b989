/** The query validator (src/validate.ts) keeps what it validated per query string. */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError } from '../src/errors.js';
import { query } from '../src/validate.js';

const schema = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(25), folder: z.enum(['inbox', 'sent']).optional() });

function app() {
  const seen: unknown[] = [];
  const hono = new Hono().get('/list', query(schema), (c) => {
    const q = c.req.valid('query') as Record<string, unknown>;
    seen.push({ ...q });
    // A handler changing what it got must not change what the next request gets.
    q.limit = -1;
    return c.json(q);
  });
  hono.onError((error, c) =>
    error instanceof ApiError ? c.json({ code: error.code, details: error.details }, error.status) : c.json({ error: String(error) }, 500),
  );
  return { hono, seen };
}

describe('query validation', () => {
  it('gives the same validated values to every request with the same query string', async () => {
    const { hono, seen } = app();
    for (let i = 0; i < 3; i++) expect((await hono.request('/list?limit=10&folder=sent')).status).toBe(200);
    expect((await hono.request('/list')).status).toBe(200);
    expect((await hono.request('/list?')).status).toBe(200);
    expect(seen).toEqual([{ limit: 10, folder: 'sent' }, { limit: 10, folder: 'sent' }, { limit: 10, folder: 'sent' }, { limit: 25 }, { limit: 25 }]);
  });

  it('refuses a bad query string every time it comes, naming the field', async () => {
    const { hono, seen } = app();
    for (const bad of ['/list?limit=0', '/list?limit=0', '/list?colour=red', '/list?limit=5&limit=6', '/list?limit=5&limit=6']) {
      const res = await hono.request(bad);
      expect(res.status, bad).toBe(422);
      const body = (await res.json()) as { details: { field: string }[] };
      expect(
        body.details.map((d) => d.field),
        bad,
      ).toEqual([bad.includes('colour') ? 'colour' : 'limit']);
    }
    expect(seen).toEqual([]);
  });

  it('still validates query strings once more of them than it keeps have come', async () => {
    const { hono, seen } = app();
    // 1,100 different texts of the same question (leading zeros), more than the 1,000 kept.
    for (let i = 0; i < 1_100; i++) expect((await hono.request(`/list?limit=${'0'.repeat(i)}7`)).status).toBe(200);
    expect((await hono.request('/list?limit=7')).status).toBe(200);
    expect((await hono.request('/list?limit=0')).status).toBe(422);
    expect(seen).toHaveLength(1_101);
    expect(new Set(seen.map((q) => JSON.stringify(q)))).toEqual(new Set([JSON.stringify({ limit: 7 })]));
  });
});
