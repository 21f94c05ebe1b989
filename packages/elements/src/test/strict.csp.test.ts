import { expect, fixture, html } from '@open-wc/testing';
import '../index.js';
import type { SecureInbox } from '../components/secure-inbox/secure-inbox.js';
import { qa, until, useMocks } from '../internal/test/mocks.js';

describe('under a strict Content-Security-Policy', () => {
  useMocks();
  it('renders', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    await until(() => qa(el, 'secure-conversation-list', '[part~="row"]').length);
    expect(document.querySelector('meta[http-equiv="Content-Security-Policy"]')).to.exist;
  });
});
