/** Public ids (src/domain/ids.ts) and the search scope tokens (src/domain/visibility.ts). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newId } from '../src/domain/ids.js';
import { accountToken, conversationToken, searchScopeTokens } from '../src/store/sqlite/search.js';

describe('public ids', () => {
  it('carry 96 random bits after their prefix and creation time and never repeat, across refills of the random pool', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => newId((['c', 'm', 'att'] as const)[i % 3]));
    for (const id of ids) expect(id).toMatch(/^(c|m|att)_[A-Za-z0-9_-]{7}[A-Za-z0-9_-]{16}$/);
    const randomParts = ids.map((id) => id.slice(-16));
    expect(new Set(randomParts).size).toBe(ids.length);
    // Every position of the random part takes many values: no byte of the pool is left unfilled.
    for (let position = 0; position < 16; position++) expect(new Set(randomParts.map((r) => r[position])).size).toBeGreaterThan(40);
  });

  it('sort in the order they were made, to the millisecond', () => {
    const start = Date.UTC(2026, 11, 6, 7, 0, 0);
    // Steps that carry into every one of the seven time characters, and ids made in the same millisecond.
    const times = [0, 1, 63, 64, 4095, 4096, 2 ** 18, 2 ** 24, 2 ** 30, 2 ** 36 - (start % 2 ** 36)].map((step) => start + step);
    const ids = times.flatMap((ms) => [newId('m', ms), newId('m', ms)]);
    const byBytes = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(byBytes.map((id) => id.slice(0, 9))).toEqual(ids.map((id) => id.slice(0, 9)));
    expect(new Set(ids.map((id) => id.slice(2, 9))).size).toBe(times.length);
    expect(ids.every((id) => ids.indexOf(id) === ids.lastIndexOf(id))).toBe(true);
  });
});

describe('search scope tokens', () => {
  const sha = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 24);
  it('are the hashed ids, the same when asked for again', () => {
    for (let round = 0; round < 2; round++) {
      expect(accountToken('acme')).toBe(`a${sha('acme')}`);
      expect(conversationToken('c_1')).toBe(`c${sha('c_1')}`);
      expect(searchScopeTokens({ id: 'c_1', accountId: 'acme' }, { hidden: true })).toBe(`a${sha('acme')} c${sha('c_1')} vhidden`);
    }
    // An account and a conversation with the same id get different tokens.
    expect(accountToken('same')).not.toBe(conversationToken('same'));
  });
});
