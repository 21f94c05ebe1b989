/**
 * The OpenAPI document (`GET /api/v1/openapi.json`): valid for a real OpenAPI 3.1 validator, one operation per route
 * the app mounts and no more, an operationId and the error answers on each, named components for every body, and real
 * answers of the server that validate against the schemas the document gives them. The TypeScript `paths` committed in
 * protocol must be what the document generates, and a typed client (openapi-fetch) works with them against the app.
 */
import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import createClient from 'openapi-fetch';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument, rootPaths, type paths } from '@secure-inbox/protocol/openapi';
import { renderPathTypes, typesFile } from '../../protocol/scripts/openapi-types.js';
import { makeTestApp, people, signInAll, startConversation, type TestApp, type TestUser } from './helpers.js';

const { alice, sam, root } = people;

/** The document as the tests read it: plain JSON. */
type Doc = { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
const methods = ['get', 'put', 'post', 'patch', 'delete'] as const;

async function servedDocument(t: TestApp): Promise<Doc> {
  const res = await t.app.request('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
}

function operationsOf(doc: Doc) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    methods.filter((method) => item[method]).map((method) => ({ path, method, op: item[method] as Record<string, any> })),
  );
}

/** Every route the app mounts, as `METHOD /document-path`: the API under /api/v1 and the root's /healthz. */
function mountedRoutes(app: TestApp['app']): string[] {
  const keys = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL' || route.path.includes('*')) continue;
    let path: string;
    if (route.path.startsWith('/api/v1/')) path = route.path.slice('/api/v1'.length);
    else if (rootPaths.includes(route.path)) path = route.path;
    else if (route.path === '/secure-inbox.js' || route.path.startsWith('/secure-inbox/'))
      continue; // the widget bundle, not the API
    else throw new Error(`a route outside the API and the bundle: ${route.method} ${route.path}; document it or say why not`);
    const alternatives = path.match(/:\w+\{([\w|]+)\}/);
    const concrete = alternatives ? alternatives[1]!.split('|').map((a) => path.replace(alternatives[0], a)) : [path];
    for (const p of concrete) keys.add(`${route.method} ${p.replace(/:(\w+)/g, '{$1}')}`);
  }
  return [...keys].sort();
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: Doc;
  beforeAll(async () => {
    t = makeTestApp();
    doc = await servedDocument(t);
  });

  it('is what protocol generates, and passes an OpenAPI 3.1 validator', async () => {
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('is checked by a validator that does refuse a broken document', async () => {
    const broken = structuredClone(doc);
    broken.paths['/me']!.get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/NoSuchSchema' };
    expect((await validate(broken as never)).valid).toBe(false);
    const twice = structuredClone(doc);
    twice.paths['/topics']!.get.operationId = 'getMe';
    expect((await validate(twice as never)).valid).toBe(false);
  });

  it('has one operation for every route the app mounts, and none for a route it does not', () => {
    const documented = operationsOf(doc)
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`)
      .sort();
    const mounted = mountedRoutes(t.app);
    expect(mounted.length).toBeGreaterThanOrEqual(28);
    expect(documented).toEqual(mounted);
    expect(doc.paths['/healthz']!.servers).toEqual([{ url: '/' }]);
  });

  it('gives every operation a unique operationId, a summary and its error answers with the Error schema', () => {
    const ids = new Set<string>();
    for (const { path, method, op } of operationsOf(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(op.operationId), `${where}: operationId ${op.operationId} used twice`).toBe(false);
      ids.add(op.operationId);
      expect(op.summary, where).toBeTruthy();
      const statuses = Object.keys(op.responses);
      expect(
        statuses.some((s) => /^2\d\d$/.test(s)),
        `${where} has a success answer`,
      ).toBe(true);
      const clientErrors = statuses.filter((s) => /^4\d\d$/.test(s));
      if (op.security?.length === 0) continue; // public: no token to refuse, no rate limit before the route
      expect(clientErrors, where).toEqual(expect.arrayContaining(['401', '429']));
      if (path.includes('{id}') && op.operationId !== 'putAccount') expect(clientErrors, where).toContain('404');
      if (op.requestBody?.content['application/json']) expect(clientErrors, where).toEqual(expect.arrayContaining(['400', '413', '415', '422']));
      if (op.parameters?.some((p: { in: string }) => p.in === 'query')) expect(clientErrors, where).toContain('422');
      if (method !== 'get') expect(clientErrors, where).toContain('403');
      for (const status of clientErrors) {
        expect(op.responses[status].content['application/json'].schema.$ref, `${where} ${status}`).toBe('#/components/schemas/Error');
      }
    }
  });

  it('names every JSON body it reads or answers as a component', () => {
    for (const { path, method, op } of operationsOf(doc)) {
      const bodies = [op.requestBody, ...Object.values(op.responses)].map((r: any) => r?.content?.['application/json']?.schema).filter(Boolean);
      for (const schema of bodies) {
        if (path === '/openapi.json') continue;
        expect(schema.$ref, `${method.toUpperCase()} ${path}`).toMatch(/^#\/components\/schemas\/\w+$/);
      }
    }
    const named = Object.keys(doc.components.schemas);
    for (const name of [
      'Conversation',
      'ConversationSummary',
      'Message',
      'Me',
      'Error',
      'CreateConversationBody',
      'PostMessageBody',
      'ListConversationsQuery',
    ]) {
      expect(named).toContain(name);
    }
    // Resources are referenced, not copied: a thread holds its conversation (with the details only a thread gives) and Message by reference.
    expect(doc.components.schemas.Thread.properties.conversation).toEqual({ $ref: '#/components/schemas/ThreadConversation' });
    expect(doc.components.schemas.Thread.properties.messages.items).toEqual({ $ref: '#/components/schemas/Message' });
  });

  it('is listed operation by operation in docs/api.md', () => {
    const docs = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    for (const { path, method, op } of operationsOf(doc)) {
      const route = rootPaths.includes(path) ? path : `/api/v1${path}`;
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${op.operationId}\` | \`${method.toUpperCase()} ${route}\` |`));
      expect(row, `docs/api.md lists ${op.operationId}`).toBeDefined();
      const clientErrors = Object.keys(op.responses).filter((status) => /^4\d\d$/.test(status));
      expect(row!.endsWith(`| ${clientErrors.join(', ') || '–'} |`), `docs/api.md's client errors of ${op.operationId}: ${clientErrors.join(', ')}`).toBe(true);
    }
  });

  it('documents query parameters from the query schemas, with their bounds', () => {
    const list = doc.paths['/conversations']!.get;
    const names = list.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(Object.keys(doc.components.schemas.ListConversationsQuery.properties));
    const q = list.parameters.find((p: { name: string }) => p.name === 'q');
    expect(q.description).toMatch(/At most 8 different words/);
    expect(doc.paths['/directory']!.get.parameters).toContainEqual(expect.objectContaining({ name: 'accountId', in: 'query', required: true }));
  });
});

// ------------------------------------------------------------------ the server's answers against the document
describe("the server's answers", () => {
  let t: TestApp;
  let doc: Doc;
  let ajv: Ajv2020;
  beforeAll(async () => {
    t = makeTestApp();
    await signInAll(t);
    doc = await servedDocument(t);
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: 'openapi.json' });
  });

  /** Validates an answer against the schema the document gives that operation and status. */
  async function conforms(user: TestUser | null, method: string, path: string, documented: string, body?: unknown, expectedStatus?: number) {
    const res = await t.call(user, method, path, body);
    if (expectedStatus !== undefined) expect(res.status, res.text).toBe(expectedStatus);
    const operation = doc.paths[documented]?.[method.toLowerCase()];
    expect(operation, `${method} ${documented} is documented`).toBeDefined();
    const answer = operation.responses[String(res.status)];
    expect(answer, `${method} ${path} answered ${res.status}, which the document does not list`).toBeDefined();
    const pointer = ['paths', documented, method.toLowerCase(), 'responses', String(res.status), 'content', 'application/json', 'schema']
      .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const check = ajv.getSchema(`openapi.json#/${pointer}`)!;
    expect(check(res.json), `${method} ${path} → ${res.status}: ${ajv.errorsText(check.errors)}\n${res.text}`).toBe(true);
    return res;
  }

  it('match their success schemas', async () => {
    await conforms(alice, 'GET', '/me', '/me', undefined, 200);
    await conforms(alice, 'GET', '/topics', '/topics', undefined, 200);
    await conforms(alice, 'GET', '/directory?accountId=acme', '/directory', undefined, 200);
    const created = await conforms(
      alice,
      'POST',
      '/conversations',
      '/conversations',
      { accountId: 'acme', subject: 'Permit', body: '<p>Hello <b>there</b></p>' },
      201,
    );
    const id = created.json.conversation.id as string;
    await conforms(sam, 'POST', `/conversations/${id}/messages`, '/conversations/{id}/messages', { body: 'Have a look', action: 'send', tip: 'A tip' }, 201);
    await conforms(sam, 'POST', `/conversations/${id}/messages`, '/conversations/{id}/messages', { body: 'Hidden', action: 'internal_note' }, 201);
    await conforms(sam, 'PATCH', `/conversations/${id}`, '/conversations/{id}', { assigneeId: 'sam' }, 200);
    await conforms(alice, 'GET', `/conversations/${id}`, '/conversations/{id}', undefined, 200);
    await conforms(sam, 'GET', '/conversations?folder=inbox&limit=10', '/conversations', undefined, 200);
    await conforms(alice, 'GET', '/conversations?q=permit', '/conversations', undefined, 200);
    await conforms(sam, 'GET', '/queues', '/queues', undefined, 200);
    await conforms(sam, 'GET', '/status-updates?accountId=acme', '/status-updates', undefined, 200);
    await conforms(sam, 'GET', '/notifications', '/notifications', undefined, 200);
    await conforms(root, 'PUT', '/accounts/acme', '/accounts/{id}', { name: 'Acme Ltd' }, 200);
    await conforms(root, 'GET', '/audit?limit=5', '/audit', undefined, 200);
    await conforms(sam, 'PUT', '/reply-times', '/reply-times', { accountId: 'acme', replyTime: { amount: 2, unit: 'working_days' } }, 200);
    await conforms(alice, 'GET', '/reply-times?accountId=acme', '/reply-times', undefined, 200);
    const noted = await conforms(
      root,
      'POST',
      `/conversations/${id}/messages`,
      '/conversations/{id}/messages',
      { body: 'Look, @Sam', action: 'internal_note', mentions: ['sam'] },
      201,
    );
    expect(noted.json.message.mentions).toEqual([{ id: 'sam', name: 'Sam Staff', role: 'staff' }]);
    expect((await t.call(sam, 'POST', `/conversations/${id}/typing`)).status).toBe(204);
    const reply = (
      await conforms(sam, 'POST', '/saved-replies', '/saved-replies', { accountId: 'acme', title: 'Hello', body: 'Hi {{customer.firstName}}' }, 201)
    ).json.savedReply.id as string;
    await conforms(sam, 'GET', '/saved-replies?q=hel&limit=5', '/saved-replies', undefined, 200);
    await conforms(sam, 'GET', `/saved-replies/${reply}`, '/saved-replies/{id}', undefined, 200);
    await conforms(sam, 'PATCH', `/saved-replies/${reply}`, '/saved-replies/{id}', { title: 'Hello again' }, 200);
    await conforms(sam, 'POST', `/saved-replies/${reply}/render`, '/saved-replies/{id}/render', { conversationId: id }, 200);
    expect((await t.call(sam, 'DELETE', `/saved-replies/${reply}`)).status).toBe(204);
    const asked = (await conforms(alice, 'POST', '/conversations', '/conversations', { accountId: 'acme', subject: 'Acknowledged', body: 'Hi' }, 201)).json
      .conversation.id;
    expect((await t.call(sam, 'POST', `/conversations/${asked}/read`)).status).toBe(204);
    await conforms(alice, 'POST', `/conversations/${id}/solve`, '/conversations/{id}/solve', undefined, 200);
    await conforms(alice, 'PUT', `/conversations/${id}/rating`, '/conversations/{id}/rating', { score: 5, comment: 'Thanks' }, 200);
    await conforms(alice, 'POST', `/conversations/${id}/reopen`, '/conversations/{id}/reopen', undefined, 200);
    const thread = await conforms(sam, 'GET', `/conversations/${asked}`, '/conversations/{id}', undefined, 200);
    expect(thread.json.messages.map((m: { kind: string }) => m.kind)).toEqual(['message', 'acknowledgement']);
    expect((await conforms(alice, 'GET', `/conversations/${asked}`, '/conversations/{id}', undefined, 200)).json.conversation.seen).not.toBeNull();
    await conforms(sam, 'GET', `/conversations/${id}`, '/conversations/{id}', undefined, 200);
    await conforms(sam, 'GET', '/ratings?accountId=acme', '/ratings', undefined, 200);
    await conforms(sam, 'GET', '/accounts/acme/settings', '/accounts/{id}/settings', undefined, 200);
    await conforms(root, 'PATCH', '/accounts/acme/settings', '/accounts/{id}/settings', { showReaderNames: true }, 200);
  });

  it('match their schemas at the root too: /healthz', async () => {
    const res = await t.app.request('/healthz');
    expect(res.status).toBe(200);
    const check = ajv.getSchema('openapi.json#/paths/~1healthz/get/responses/200/content/application~1json/schema')!;
    const body = await res.json();
    expect(check(body), ajv.errorsText(check.errors)).toBe(true);
  });

  it('match their documented error answers', async () => {
    const { id } = await startConversation(t, alice);
    const refused = await conforms(null, 'GET', '/me', '/me', undefined, 401);
    expect(refused.json.error.details.reason).toBe('missing');
    await conforms(alice, 'GET', '/conversations/nope', '/conversations/{id}', undefined, 404);
    await conforms(alice, 'GET', '/conversations?limit=1000', '/conversations', undefined, 422);
    await conforms(alice, 'POST', `/conversations/${id}/messages`, '/conversations/{id}/messages', { body: 'x', action: 'resolve' }, 403);
    await conforms(alice, 'POST', `/conversations/${id}/messages`, '/conversations/{id}/messages', '{"body":', 400);
    await conforms(alice, 'POST', `/conversations/${id}/messages`, '/conversations/{id}/messages', { body: 'x', extra: 1 }, 422);
    await conforms(alice, 'GET', '/audit', '/audit', undefined, 403);
    await conforms(alice, 'GET', '/conversations?assignee=me', '/conversations', undefined, 403);
    await conforms(alice, 'GET', '/status-updates?accountId=globex', '/status-updates', undefined, 403);
    await conforms(alice, 'PUT', `/conversations/${id}/rating`, '/conversations/{id}/rating', { score: 5 }, 409);
    await conforms(alice, 'PUT', `/conversations/${id}/rating`, '/conversations/{id}/rating', { score: 9 }, 422);
    await conforms(alice, 'GET', '/ratings?accountId=acme', '/ratings', undefined, 403);
    await conforms(alice, 'GET', '/accounts/acme/settings', '/accounts/{id}/settings', undefined, 403);
    await conforms(
      sam,
      'POST',
      `/conversations/${id}/messages`,
      '/conversations/{id}/messages',
      { body: 'x', action: 'internal_note', mentions: ['alice'] },
      422,
    );
    await conforms(alice, 'POST', `/conversations/${id}/typing`, '/conversations/{id}/typing', undefined, 403);
    await conforms(alice, 'GET', '/saved-replies', '/saved-replies', undefined, 403);
    await conforms(sam, 'GET', '/saved-replies?q=two%20words', '/saved-replies', undefined, 422);
    await conforms(sam, 'POST', '/saved-replies', '/saved-replies', { accountId: 'acme', title: 'x', body: '{{nope}}' }, 422);
    await conforms(sam, 'POST', '/saved-replies', '/saved-replies', { accountId: null, title: 'x', body: 'x' }, 403);
    await conforms(sam, 'GET', '/saved-replies/sr_none', '/saved-replies/{id}', undefined, 404);
  });

  it('would be caught drifting: an answer with a field the schema lacks or a wrong type fails', async () => {
    const me = (await t.call(alice, 'GET', '/me')).json;
    const check = ajv.getSchema('openapi.json#/components/schemas/Me')!;
    expect(check(me)).toBe(true);
    expect(check({ ...me, unread: { inbox: 'three' } })).toBe(false);
    expect(check({ ...me, secret: true })).toBe(false);
    const { user: _user, ...withoutUser } = me;
    expect(check(withoutUser)).toBe(false);
  });
});

// ------------------------------------------------------------------ the typed client
describe('the typed client (protocol `paths` with openapi-fetch)', () => {
  it('is generated from the document: the committed types are current', async () => {
    expect(readFileSync(typesFile, 'utf8'), 'run `pnpm --filter @secure-inbox/protocol openapi:types`').toBe(await renderPathTypes());
  });

  it('lists conversations and starts one against the app', async () => {
    const t = makeTestApp();
    const token = await t.token(alice);
    const client = createClient<paths>({
      baseUrl: 'http://bff.test/api/v1',
      headers: { Authorization: `Bearer ${token}` },
      fetch: (request) => Promise.resolve(t.app.request(request)),
    });

    const me = await client.GET('/me');
    expect(me.response.status).toBe(200);
    const accountId: string = me.data!.accounts[0]!.id;
    expect(accountId).toBe('acme');

    const created = await client.POST('/conversations', { body: { accountId, subject: 'From the host backend', body: '<p>Hello</p>' } });
    expect(created.response.status).toBe(201);
    const conversationId: string = created.data!.conversation.id;

    const list = await client.GET('/conversations', { params: { query: { folder: 'inbox', limit: '10' } } });
    expect(list.data!.items.map((item) => item.id)).toEqual([conversationId]);
    expect(list.data!.nextCursor).toBeNull();

    const missing = await client.GET('/conversations/{id}', { params: { path: { id: 'nope' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error!.error.code).toBe('not_found');

    const anonymous = createClient<paths>({ baseUrl: 'http://bff.test/api/v1', fetch: (request) => Promise.resolve(t.app.request(request)) });
    const refused = await anonymous.GET('/me');
    expect(refused.response.status).toBe(401);
    expect(refused.error!.error.code).toBe('unauthorized');
  });
});
