/**
 * Property-based robustness: arbitrary bodies, content types, ids and query strings against every
 * route of the app never produce a 5xx, and every error is the API's JSON error shape with a code.
 */
import fc from 'fast-check';
import { errorCodes } from '@secure-inbox/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, makeTestApp, people, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';

const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 60);

/** Every status seen, to prove the inputs reach past authentication and parsing. */
const seen = new Map<number, number>();
const { alice, sam, root } = people;

let t: TestApp;
let ownConversation: string;
const tokens = new Map<string, string>();
const routes = apiRoutes(makeTestApp().app);

beforeAll(async () => {
  t = makeTestApp();
  await signInAll(t);
  ownConversation = (await startConversation(t, alice)).id;
  await startConversation(t, sam, { recipientIds: ['alice', 'adam'] });
  for (const user of [alice, sam, root]) tokens.set(user.sub, await t.token(user));
});

// ------------------------------------------------------------------ arbitraries
const knownBodyKeys = [
  'accountId',
  'subject',
  'body',
  'topicId',
  'recipientIds',
  'context',
  'attachmentIds',
  'notifyAdmins',
  'action',
  'tip',
  'userIds',
  'status',
  'assigneeId',
  'name',
  'kind',
  'ref',
  'url',
  'title',
];
const pollutionKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];
const knownQueryKeys = ['folder', 'q', 'unread', 'status', 'accountId', 'cursor', 'limit', 'assignee', 'sort', 'before'];

/** Raw JSON text for one value: anything JSON can say, including numbers JavaScript cannot hold. */
const jsonValueText: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc
    .constantFrom(
      'acme',
      'globex',
      'alice',
      'adam',
      'bob',
      'sam',
      'reply',
      'send',
      'resolve',
      'internal_note',
      'status_update',
      'open',
      'answered',
      'javascript:alert(1)',
      'https://example.com/x',
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '%',
      'x%',
      '\u0000',
      '\u202e',
      ' ',
      '',
      '*',
      '../../etc/passwd',
      "' OR 1=1 --",
      '"; DROP TABLE messages; --',
    )
    .map((s) => JSON.stringify(s)),
  fc.constantFrom('1e309', '-1e309', '9007199254740993', '1'.repeat(400), '-0', '0.0000000000000000000001', '1e-400', 'true', 'null', '[]', '{}'),
  fc.constantFrom(
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    `${'['.repeat(2000)}${']'.repeat(2000)}`,
    `${'{"a":'.repeat(500)}1${'}'.repeat(500)}`,
    JSON.stringify('x'.repeat(25_000)),
    JSON.stringify(Array.from({ length: 300 }, (_, i) => `u${i}`)),
  ),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }).map((a) => JSON.stringify(a)),
);

/** An object written as JSON text key by key, so keys such as `__proto__` really are in the text. */
const objectText = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...knownBodyKeys), fc.constantFrom(...pollutionKeys), fc.string({ maxLength: 12 })), jsonValueText), {
    maxLength: 6,
  })
  .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);

/** Valid bodies of the routes with one field replaced or added: inputs that get past the parser. */
const templates: Record<string, unknown>[] = [
  { accountId: 'acme', subject: 'Subject', body: '<p>Body</p>' },
  { accountId: 'acme', subject: 'Subject', body: 'Body', recipientIds: ['alice'] },
  { body: 'A reply' },
  { body: 'A note', action: 'internal_note' },
  { body: 'Answer', action: 'send', tip: 'A tip' },
  { userIds: ['adam'] },
  { status: 'answered' },
  { assigneeId: 'sam' },
  { name: 'Account name' },
];
const nearValid = fc
  .tuple(
    fc.constantFrom(...templates),
    fc.option(fc.tuple(fc.oneof(fc.constantFrom(...knownBodyKeys), fc.constantFrom(...pollutionKeys)), jsonValueText), { nil: undefined }),
  )
  .map(([template, change]) => {
    const entries = Object.entries(template).map(([k, v]) => [k, JSON.stringify(v)] as [string, string]);
    if (change) {
      const at = entries.findIndex(([k]) => k === change[0]);
      if (at >= 0) entries[at] = change;
      else entries.push(change);
    }
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  });

const bodyText: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: nearValid, weight: 4 },
  { arbitrary: objectText, weight: 4 },
  { arbitrary: jsonValueText, weight: 2 },
  {
    arbitrary: fc.anything().map((v) => {
      try {
        return JSON.stringify(v);
      } catch {
        return undefined;
      }
    }),
    weight: 1,
  },
  { arbitrary: fc.string({ maxLength: 60 }), weight: 1 },
  { arbitrary: fc.constantFrom(undefined, '', '{', '{"body":', 'null', '\u0000', '\ufeff{}', '{"body":"x"}{"body":"y"}'), weight: 1 },
);

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/merge-patch+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'multipart/form-data; boundary=x',
      '',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      '*/*',
    ),
    weight: 2,
  },
);

const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    'inbox',
    'sent',
    'trash',
    'true',
    'false',
    'open',
    '%',
    'x%',
    '0',
    '1',
    '100',
    '101',
    '-1',
    '1e3',
    '99999999999999999999',
    'me',
    'none',
    'oldest',
    'acme',
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const queryString = fc.oneof(
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...knownQueryKeys), fc.constantFrom(...pollutionKeys), fc.string({ maxLength: 8 })), queryValue), { maxLength: 5 })
    .map((entries) => entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[#\s]/g, '')),
  fc.constantFrom('%', '%zz', 'q=%E0%A4%A', '&&&', '=', 'limit', 'q', 'a=1&a=2', 'folder[]=inbox', 'q=%00', 'cursor=%FF%FE'),
);

const idSegment = fc.oneof(
  fc.constant('OWN'),
  fc.constantFrom('c_unknown0000000000', '0', '-1', '99999999999999999999', '%2e%2e', '..', 'null', '%00', '%25', 'acme', '__proto__', 'constructor'),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => encodeURIComponent(s)),
  fc.string({ maxLength: 300 }).map((s) => encodeURIComponent(s)),
);

// ------------------------------------------------------------------ the property
function isValidUrl(path: string) {
  try {
    new URL(`http://localhost${path}`);
    return true;
  } catch {
    return false;
  }
}

async function check(method: string, routePath: string, user: TestUser, id: string, query: string, body: string | undefined, type: string) {
  const path = routePath.replace(/:id\b/, id === 'OWN' ? ownConversation : id) + (query ? `?${query}` : '');
  if (id !== 'OWN' && id === '') return;
  if (!isValidUrl(path)) return;
  const headers: Record<string, string> = { authorization: `Bearer ${tokens.get(user.sub)}` };
  const withBody = method !== 'GET' && method !== 'HEAD' && body !== undefined;
  if (withBody && type !== '') headers['content-type'] = type;
  const res = await t.app.request(path, { method, headers, body: withBody ? body : undefined });
  const responseType = res.headers.get('content-type') ?? '';
  if (res.status === 200 && responseType.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return;
  }
  seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
  const text = await res.text();
  const where = `${method} ${path} as ${user.sub}, ${type}: ${body?.slice(0, 200)}`;
  expect(res.status, `${where} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(responseType, where).toMatch(/^application\/json/);
    const json = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    expect(errorCodes as readonly unknown[], where).toContain(json.error?.code);
    expect(typeof json.error?.message, where).toBe('string');
    expect(text, where).not.toMatch(/\n\s+at |node_modules|SqliteError|ZodError/);
  }
}

describe('fuzzing every route', () => {
  it('covers the routes of the app', () => {
    expect(routes.length).toBeGreaterThanOrEqual(17);
  });

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s never answers 5xx', async (_key, route) => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(alice, sam, root), idSegment, queryString, bodyText, contentType, async (user, id, query, body, type) => {
        await check(route.method, route.path, user, id, query, body, type);
      }),
      // Besides the random runs, every route also gets each valid template as is, so success paths are always exercised.
      {
        numRuns: NUM_RUNS,
        examples: templates.map((t) => [alice, 'OWN', '', JSON.stringify(t), 'application/json'] as [typeof alice, string, string, string, 'application/json']),
      },
    );
  });

  it('reached handlers, parsers and validators alike', () => {
    for (const status of [200, 201, 204, 400, 403, 404, 415, 422])
      expect(seen.get(status) ?? 0, `status ${status}: ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
    expect(seen.get(401) ?? 0).toBe(0);
  });

  it('leaves Object.prototype unpolluted', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});
