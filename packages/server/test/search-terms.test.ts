/**
 * Search split in two (src/search/terms.ts): the domain parses `q` into terms and decides the caller's
 * scope (domain/visibility.ts); the SQLite store renders both into one FTS5 query (store/sqlite/search.ts).
 */
import { limits } from '@secure-inbox/protocol';
import { describe, expect, it } from 'vitest';
import { searchScope, type Viewer } from '../src/domain/visibility.js';
import { ApiError } from '../src/errors.js';
import { parseSearch } from '../src/search/terms.js';
import { accountToken, conversationToken, ftsMatch } from '../src/store/sqlite/search.js';

const viewer = (role: Viewer['role'], accounts: Viewer['accounts']): Viewer => ({ id: `${role}-1`, name: role, email: null, role, accounts });

describe('parsing a search', () => {
  it('gives words, phrases and prefixes, once each; nothing to search for is null, nothing searchable an empty list', () => {
    expect(parseSearch('  Permit  e-mail perm% Ab permit ')).toEqual([
      { words: ['permit'], prefix: true },
      { words: ['e', 'mail'], prefix: true },
      { words: ['perm'], prefix: true },
      { words: ['ab'], prefix: false },
    ]);
    expect(parseSearch(undefined)).toBeNull();
    expect(parseSearch(' % ')).toBeNull();
    expect(parseSearch('-- !!')).toEqual([]);
  });

  it('refuses a short prefix and too many different words with a 422 naming q', () => {
    const refusal = (q: string) => {
      try {
        parseSearch(q);
      } catch (error) {
        return error instanceof ApiError ? [error.status, (error.details as { field: string }[] | undefined)?.[0]?.field] : error;
      }
      return null;
    };
    expect(refusal('ab%')).toEqual([422, 'q']);
    expect(refusal(Array.from({ length: limits.searchTerms + 1 }, (_, i) => `word${i}`).join(' '))).toEqual([422, 'q']);
    expect(refusal(Array.from({ length: limits.searchTerms }, (_, i) => `word${i}`).join(' '))).toBeNull();
  });
});

describe('the FTS5 query of terms and scope', () => {
  const terms = parseSearch('permit e-mail ab')!;
  const words = '{subject body} : ("permit" * AND "e mail" * AND "ab")';

  it('limits customers to their accounts and to what customers may see, staff to their accounts and participations', () => {
    expect(ftsMatch(terms, searchScope(viewer('admin', '*')))).toBe(words);
    expect(ftsMatch(terms, searchScope(viewer('customer', ['acme'])))).toBe(`${words} AND scope : (${accountToken('acme')}) NOT scope : vhidden`);
    expect(ftsMatch(terms, searchScope(viewer('staff', ['acme', 'globex']), ['c_1']))).toBe(
      `${words} AND scope : (${accountToken('acme')} OR ${accountToken('globex')} OR ${conversationToken('c_1')})`,
    );
    // A customer's participations outside their accounts never widen their scope.
    expect(ftsMatch(terms, searchScope(viewer('customer', ['acme']), ['c_1']))).toBe(`${words} AND scope : (${accountToken('acme')}) NOT scope : vhidden`);
    expect(ftsMatch(terms, { accounts: [], conversations: ['c_1', 'c_2'], publicOnly: false })).toBe(
      `${words} AND scope : (${conversationToken('c_1')} OR ${conversationToken('c_2')})`,
    );
  });

  it('matches nothing for a caller who reaches nothing', () => {
    expect(ftsMatch(terms, searchScope(viewer('customer', [])))).toBe(`${words} AND scope : vhidden AND scope : vpublic`);
    expect(ftsMatch(terms, { accounts: [], conversations: [], publicOnly: true })).toBe(`${words} AND scope : vhidden AND scope : vpublic`);
  });
});
