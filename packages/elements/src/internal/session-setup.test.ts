import { expect, fixture, html } from '@open-wc/testing';
import { http, HttpResponse } from 'msw';
import type { TemplateResult } from 'lit';
import type { SecureInbox } from '../components/secure-inbox/secure-inbox.js';
import '../components/secure-inbox/secure-inbox.js';
import type { SecureUnreadBadge } from '../components/unread-badge/unread-badge.js';
import '../components/unread-badge/unread-badge.js';
import { defaultStrings as t } from './i18n.js';
import { compatible } from './version.js';
import { db, jwtFor, q, qa, text, until, useMocks, users, worker } from './test/mocks.js';

/**
 * What a person, the page and the developer are told when the widget is set up wrongly: a sentence in the
 * widget, a `secure-error` event with a stable code, and one console line naming what to set.
 */
describe('set-up problems', () => {
  useMocks();

  let codes: string[];
  let logged: string[];
  const original = console.error;
  const onError = (event: Event) => codes.push((event as CustomEvent).detail.error.code);
  beforeEach(() => {
    codes = [];
    logged = [];
    document.addEventListener('secure-error', onError);
    console.error = (...args: unknown[]) => logged.push(args.map(String).join(' '));
  });
  afterEach(() => {
    document.removeEventListener('secure-error', onError);
    console.error = original;
  });

  /** Renders the inbox and waits for the list's error state to say `sentence`. */
  async function inboxSaying(template: TemplateResult, sentence: string): Promise<SecureInbox> {
    const el = await fixture<SecureInbox>(template);
    const error = await until(() => q(el, 'secure-conversation-list', '[part~="error"]'));
    expect(error.getAttribute('role')).to.equal('alert');
    expect(text(error)).to.contain(sentence);
    await expect(el).to.be.accessible();
    return el;
  }

  const ours = () => logged.filter((line) => line.startsWith('Secure Inbox:'));

  it('without a token source: says the page is not set up, sends no request, and recovers once a token is set', async () => {
    const el = await inboxSaying(html`<secure-inbox></secure-inbox>`, t.errorNotConfigured);
    expect(db.requests).to.deep.equal([]);
    expect(codes).to.include('not_configured');
    expect(ours()).to.have.length(1);
    expect(ours()[0]).to.contain('set tokenProvider (or token)').and.to.contain('docs/embedding.md#when-it-does-not-work');
    el.token = 'token-alice';
    await until(() => qa(el, 'secure-conversation-list', '[part~="row"]').length);
    expect(q(el, 'secure-conversation-list', '[part~="error"]')).to.equal(null);
  });

  it('waits for a token source set a moment after the element starts, without an error or a request before it', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox></secure-inbox>`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(db.requests).to.deep.equal([]);
    el.tokenProvider = async () => jwtFor(users.alice);
    await until(() => qa(el, 'secure-conversation-list', '[part~="row"]').length);
    // Requests that waited go out once the token is there (after a short pause), with it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(codes).to.deep.equal([]);
    expect(db.requests.every((r) => r.auth === `Bearer ${jwtFor(users.alice)}`)).to.equal(true);
  });

  for (const [name, provider, cause] of [
    ['throws', () => Promise.reject(new Error('no portal session')), 'no portal session'],
    ['returns nothing', async () => undefined as unknown as string, 'it returned undefined'],
    ['returns a page instead of a token', async () => '<!doctype html><title>Sign in</title>', 'it returned no JWT'],
  ] as const) {
    it(`when the tokenProvider ${name}: says this page could not sign the person in`, async () => {
      await inboxSaying(html`<secure-inbox .tokenProvider=${provider}></secure-inbox>`, t.errorTokenProviderFailed);
      expect(db.requests.map((r) => `${r.method} ${r.path} ${r.auth}`)).to.deep.equal([]);
      expect(codes).to.include('token_provider_failed');
      expect(ours()).to.have.length(1);
      expect(ours()[0]).to.contain(`tokenProvider failed: ${cause}`);
    });
  }

  it('when the server refuses the token for its audience: names the claim to fix, and tells the person to ask the site', async () => {
    worker.use(
      http.all('*/api/v1/*', () =>
        HttpResponse.json(
          {
            error: {
              code: 'unauthorized',
              message: "Sign-in rejected: the token's aud claim is not accepted; set it to the server's SECURE_INBOX_JWT_AUDIENCE.",
              details: { reason: 'audience' },
            },
          },
          { status: 401 },
        ),
      ),
    );
    await inboxSaying(html`<secure-inbox .tokenProvider=${async () => jwtFor(users.alice)}></secure-inbox>`, t.errorTokenRejected);
    expect(codes).to.include('unauthorized');
    expect(ours()).to.have.length(1);
    expect(ours()[0]).to.contain('SECURE_INBOX_JWT_AUDIENCE').and.to.contain('docs/embedding.md');
  });

  it('when the token has expired: asks the person to sign in again', async () => {
    worker.use(
      http.all('*/api/v1/*', () =>
        HttpResponse.json(
          { error: { code: 'unauthorized', message: 'Sign-in rejected: the token has expired; mint a fresh one.', details: { reason: 'expired' } } },
          { status: 401 },
        ),
      ),
    );
    await inboxSaying(html`<secure-inbox token=${jwtFor(users.alice)}></secure-inbox>`, t.errorUnauthorized);
    expect(ours()[0]).to.contain('the token has expired');
  });

  it('when the server answers /healthz but refuses this page: says the site is not accepted, not that the server is down', async () => {
    worker.use(
      http.all('*/api/v1/*', () => HttpResponse.error()),
      http.get('*/healthz', () => HttpResponse.json({ ok: true, version: '0.1.0' })),
    );
    await inboxSaying(html`<secure-inbox token="token-alice"></secure-inbox>`, t.errorOriginNotAllowed);
    expect(codes).to.include('origin_not_allowed');
    expect(ours()).to.have.length(1);
    expect(ours()[0]).to.contain(`add ${location.origin} to SECURE_INBOX_ALLOWED_ORIGINS`);
  });

  it('when nothing answers: says the server cannot be reached and names api-base', async () => {
    worker.use(
      http.all('*/api/v1/*', () => HttpResponse.error()),
      http.get('*/healthz', () => HttpResponse.error()),
    );
    await inboxSaying(html`<secure-inbox token="token-alice"></secure-inbox>`, t.errorUnreachable);
    expect(codes).to.include('unreachable');
    expect(ours()[0]).to.contain('api-base');
  });

  it('when the server is of another version: says the versions do not match', async () => {
    worker.use(http.all('*/api/v1/*', () => HttpResponse.json({ items: [], nextCursor: null }, { headers: { 'Secure-Inbox-Version': '9.0.0' } })));
    await inboxSaying(html`<secure-inbox token="token-alice"></secure-inbox>`, t.errorVersionMismatch);
    expect(codes).to.include('version_mismatch');
    expect(ours()).to.have.length(1);
    expect(ours()[0]).to.contain('9.0.0').and.to.contain('0.1.0');
  });

  it('works with a server of the same release', async () => {
    worker.use(http.get('*/api/v1/topics', () => HttpResponse.json({ items: [] }, { headers: { 'Secure-Inbox-Version': '0.1.7' } })));
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await until(() => qa(el, 'secure-conversation-list', '[part~="row"]').length);
    expect(compatible('0.1.7')).to.equal(true);
    expect(compatible('0.2.0')).to.equal(false);
    expect(compatible('1.0.0', '1.4.2')).to.equal(true);
    expect(compatible('2.0.0', '1.4.2')).to.equal(false);
    expect(codes).to.deep.equal([]);
  });

  it('the badge on its own says the page is not set up, in its drop-down', async () => {
    const el = await fixture<SecureUnreadBadge>(html`<secure-unread-badge></secure-unread-badge>`);
    await until(() => codes.includes('not_configured'));
    (q(el, '[part~="badge-button"]') as HTMLButtonElement).click();
    const error = await until(() => q(el, '[part~="menu"] [part~="error"]'));
    expect(text(error)).to.contain(t.errorNotConfigured);
    await expect(el).to.be.accessible();
    expect(db.requests).to.deep.equal([]);
  });
});
