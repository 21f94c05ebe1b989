import { expect } from '@open-wc/testing';
import { http, HttpResponse } from 'msw';
import { ApiClient, ApiError } from './api.js';
import { failWith, jwtFor, requestsTo, unreachable, useMocks, users, worker } from './test/mocks.js';

describe('ApiClient', () => {
  useMocks();
  const base = location.origin;

  it('sends the token as a Bearer header and never in the URL', async () => {
    const api = new ApiClient(base, { token: 'token-alice' });
    const me = await api.me();
    expect(me.user.name).to.equal('Alice Ng');
    const [request] = requestsTo('/me');
    expect(request.auth).to.equal('Bearer token-alice');
    expect(request.query.toString()).to.equal('');
  });

  it('asks the token provider once at start and shares the answer between requests', async () => {
    let calls = 0;
    const api = new ApiClient(base, { tokenProvider: async () => (calls++, jwtFor(users.alice)) });
    await Promise.all([api.me(), api.topics(), api.conversations()]);
    expect(calls).to.equal(1);
  });

  it('after a 401 asks the provider for a fresh token and retries once', async () => {
    const issued: string[] = [];
    const api = new ApiClient(base, {
      tokenProvider: async () => {
        const token = issued.length ? jwtFor(users.alice) : 'e30.expired.x';
        issued.push(token);
        return token;
      },
    });
    const me = await api.me();
    expect(me.user.id).to.equal('u-alice');
    expect(issued).to.deep.equal(['e30.expired.x', jwtFor(users.alice)]);
    expect(requestsTo('/me').map((r) => r.auth)).to.deep.equal(['Bearer e30.expired.x', `Bearer ${jwtFor(users.alice)}`]);
  });

  it('gives up after one retry and reports unauthorized', async () => {
    let calls = 0;
    const api = new ApiClient(base, { tokenProvider: () => (calls++, 'e30.still-bad.x') });
    const error = await api.me().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ApiError);
    expect((error as ApiError).status).to.equal(401);
    expect((error as ApiError).kind).to.equal('unauthorized');
    expect(calls).to.equal(2);
    expect(requestsTo('/me')).to.have.length(2);
  });

  it('does not retry a 401 for a static token', async () => {
    const api = new ApiClient(base, { token: 'nope' });
    const error = (await api.me().catch((e: unknown) => e)) as ApiError;
    expect(error.kind).to.equal('unauthorized');
    expect(requestsTo('/me')).to.have.length(1);
  });

  it('turns the error body into status, code, message and field names', async () => {
    const api = new ApiClient(base, { token: 'token-bob' });
    const error = (await api.createConversation({ accountId: 'acc-permit', subject: '', body: 'x' }).catch((e: unknown) => e)) as ApiError;
    expect(error.status).to.equal(422);
    expect(error.code).to.equal('invalid');
    expect(error.kind).to.equal('invalid');
    expect(error.fields).to.deep.equal(['subject', 'recipientIds']);
  });

  it('reports a server failure and an unreachable server in their own terms', async () => {
    const api = new ApiClient(base, { token: 'token-alice' });
    failWith('get', '/topics', 500);
    expect(((await api.topics().catch((e: unknown) => e)) as ApiError).kind).to.equal('server');
    unreachable('get', '/me');
    const down = (await api.me().catch((e: unknown) => e)) as ApiError;
    expect(down.status).to.equal(0);
    expect(down.kind).to.equal('unreachable');
  });

  it('survives an error answer that is not JSON', async () => {
    worker.use(http.get('*/api/v1/topics', () => new HttpResponse('Bad gateway', { status: 502 })));
    const error = (await new ApiClient(base, { token: 'token-alice' }).topics().catch((e: unknown) => e)) as ApiError;
    expect(error.status).to.equal(502);
    expect(error.code).to.equal('http_502');
  });

  it('builds list queries, leaving out empty values', async () => {
    const api = new ApiClient(base, { token: 'token-alice' });
    await api.conversations({ folder: 'sent', q: 'perm%', unread: false, limit: 5 });
    const [request] = requestsTo('/conversations');
    expect(Object.fromEntries(request.query)).to.deep.equal({ folder: 'sent', q: 'perm%', limit: '5' });
  });

  it('posts state changes and reads 204 answers', async () => {
    const api = new ApiClient(base, { token: 'token-alice' });
    await api.change('c-permit', 'read');
    expect(requestsTo('/conversations/c-permit/read', 'POST')).to.have.length(1);
    const missing = (await api.change('c-nope', 'read').catch((e: unknown) => e)) as ApiError;
    expect(missing.kind).to.equal('not_found');
  });
});
