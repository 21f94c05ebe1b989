/**
 * Every regular expression the server applies to user input runs in time linear in that input: each
 * is given 20,000 characters shaped to make a backtracking pattern rescan them (runs of the characters
 * it repeats, broken off just before it could match). The bound is generous on purpose: it is a guard
 * against catastrophic backtracking (seconds), not a benchmark. Rich text is in sanitizer.test.ts.
 */
import { ApiError } from '../src/errors.js';
import { TokenClaims } from '@secure-inbox/protocol';
import { describe, expect, it } from 'vitest';
import { asciiFallback, cleanFileName, contentDisposition, withExtension } from '../src/attachments/names.js';
import { parseSearch } from '../src/search/terms.js';
import { cleanPlainText, htmlToText, preview } from '../src/domain/text.js';
import { makeTestApp, type TestUser } from './helpers.js';

const BOUND_MS = 100;
const LENGTH = 20_000;

/** Milliseconds `run` takes, the best of three. */
function millis(run: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** `unit` repeated to `LENGTH` characters, between `before` and `after`. */
const run = (unit: string, before = '', after = '') => before + unit.repeat(Math.ceil((LENGTH - before.length - after.length) / unit.length)) + after;

const hostileNames = {
  'dots and spaces': run('. '),
  'dots and spaces inside a name': run('. ', 'a', 'b.txt'),
  'spaces before an extension': run(' ', 'a', '.pdf'),
  dots: run('.', 'a', 'b'),
  'tabs and spaces': run(' \t', 'x', 'y'),
  'path separators': run('a/\\'),
  'bidi and controls': run('\u202e\r\n\u0000'),
  'combining marks': run('e\u0301'),
  'percent and quotes': run('%"\\;'),
};

describe('file names', () => {
  it.each(Object.entries(hostileNames))('cleans a name of %s in linear time', (_shape, name) => {
    expect(millis(() => cleanFileName(name))).toBeLessThan(BOUND_MS);
    const clean = cleanFileName(name);
    expect(clean.length).toBeLessThanOrEqual(200);
    expect(millis(() => contentDisposition(clean))).toBeLessThan(BOUND_MS);
  });

  it('cleans ". " × 8,000 between letters as before: one dot and one space at a time, trimmed at both ends', () => {
    expect(cleanFileName(`  .. ${'. '.repeat(3)}report${'. '.repeat(3)}  `)).toBe('report');
    expect(cleanFileName(`a${'. '.repeat(8000)}b.txt`)).toMatch(/^a(\. ){90,}.*\.txt$/);
    expect(cleanFileName('. '.repeat(8000))).toBe('attachment');
  });

  it('gives a long name its extension, and an ASCII stand-in, in linear time', () => {
    for (const name of Object.values(hostileNames)) {
      expect(
        millis(() => withExtension(name, ['pdf'])),
        name.slice(0, 12),
      ).toBeLessThan(BOUND_MS);
      expect(
        millis(() => asciiFallback(name)),
        name.slice(0, 12),
      ).toBeLessThan(BOUND_MS);
    }
    expect(withExtension(`report${'. '.repeat(20)}`, ['pdf'])).toBe('report.pdf');
  });
});

describe('text fields', () => {
  const hostile = [run(' '), run(' \t', 'a', 'b'), run('\u202e\u0000\r\n'), run(' \n'), run('\n', 'a', 'b'), run('\u00a0 ')];

  it('cleans subjects, tips and titles and makes previews in linear time', () => {
    for (const text of hostile) {
      expect(millis(() => cleanPlainText(text))).toBeLessThan(BOUND_MS);
      expect(millis(() => cleanPlainText(text, true))).toBeLessThan(BOUND_MS);
      expect(millis(() => preview(text))).toBeLessThan(BOUND_MS);
      expect(millis(() => htmlToText(text))).toBeLessThan(BOUND_MS);
    }
    expect(cleanPlainText(`a\u202e\r\nb`)).toBe('ab');
  });

  it('turns a search into terms, or refuses it past its bounds, in linear time', () => {
    // Refused past the bounds (too many words, too short a prefix) with a 422: the refusal is timed too.
    const termsOrRefusal = (q: string) => {
      try {
        parseSearch(q);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
      }
    };
    for (const q of [run('a% '), run('abc% '), run('%'), run('-'), run('a-'), run(' '), run('"'), run('ä1'), run('word ')]) {
      expect(
        millis(() => termsOrRefusal(q)),
        q.slice(0, 6),
      ).toBeLessThan(BOUND_MS);
    }
  });
});

describe('token claims', () => {
  it("checks the email claim's address in linear time", () => {
    const claims = { sub: 'alice', name: 'Alice', role: 'customer', accounts: ['acme'] };
    for (const email of [run('a', '', '@'), run('a.', '', '@x'), run('a-', 'a@'), run('aa.', 'a@', '1'), run('_', '', '@a.b!')]) {
      expect(
        millis(() => TokenClaims.safeParse({ ...claims, email })),
        email.slice(0, 6),
      ).toBeLessThan(BOUND_MS);
      expect(TokenClaims.safeParse({ ...claims, email }).success).toBe(false);
    }
  });
});

describe('headers', () => {
  const alice: TestUser = { sub: 'alice', name: 'Alice', role: 'customer', accounts: ['acme'] };

  it('reads hostile Authorization, Content-Type and X-Forwarded-For headers in linear time', async () => {
    const t = makeTestApp({ SECURE_INBOX_TRUST_PROXY: 'true' });
    const timed = async (path: string, init: RequestInit) => {
      const started = performance.now();
      const res = await t.app.request(`/api/v1${path}`, init);
      await res.arrayBuffer();
      return { status: res.status, ms: performance.now() - started };
    };
    const bearer = `Bearer ${await t.token(alice)}`;
    const cases: [string, RequestInit, number][] = [
      ['/me', { headers: { authorization: `Bearer ${'a'.repeat(LENGTH)}!` } }, 401],
      ['/me', { headers: { authorization: `Bearer ${'a.'.repeat(LENGTH / 2)} ` } }, 401],
      ['/conversations', { method: 'POST', headers: { authorization: bearer, 'content-type': `application/${'+'.repeat(LENGTH)}x` }, body: '{}' }, 415],
      ['/conversations', { method: 'POST', headers: { authorization: bearer, 'content-type': `application/${'a+'.repeat(LENGTH / 2)}jso` }, body: '{}' }, 415],
      ['/attachments', { method: 'POST', headers: { authorization: bearer, 'content-type': `multipart/form-data${' '.repeat(LENGTH)}x` }, body: 'x' }, 415],
      ['/me', { headers: { authorization: bearer, 'x-forwarded-for': `::ffff:${'1.'.repeat(LENGTH / 2)}` } }, 200],
      ['/me', { headers: { authorization: bearer, 'x-forwarded-for': `::ffff:${'1'.repeat(LENGTH)}.1.1.x` } }, 200],
    ];
    for (const [path, init, status] of cases) {
      await timed(path, init);
      const { status: got, ms } = await timed(path, init);
      expect(got, JSON.stringify(init.headers).slice(0, 80)).toBe(status);
      expect(ms, JSON.stringify(init.headers).slice(0, 80)).toBeLessThan(250);
    }
  });
});
