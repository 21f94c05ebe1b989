/**
 * The thread, compose, the Status tab and the staff console come in a module loaded on demand (src/internal/parts.ts).
 * This file runs in a page of its own, so the module is not loaded when it starts.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { focused, q, qa, text, until, useMocks } from '../../internal/test/mocks.js';
import './secure-inbox.js';
import type { SecureInbox } from './secure-inbox.js';

describe('<secure-inbox> parts loaded on demand', () => {
  useMocks();

  it('draws the list without them, loads them when idle or when a thread is opened first, and focuses its subject once drawn', async () => {
    // The browser stays busy: the module comes only because a thread is opened.
    const idle: (() => void)[] = [];
    const requestIdleCallback = window.requestIdleCallback;
    window.requestIdleCallback = (callback) => idle.push(() => callback({ didTimeout: false, timeRemaining: () => 50 })) as never;
    try {
      const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
      const rows = () => qa(el, 'secure-conversation-list', '[part~="row"]');
      await until(() => rows().length);
      expect(idle, 'the load waits for the browser to be idle').to.have.length(1);
      expect(customElements.get('secure-thread-view')).to.equal(undefined);
      expect(customElements.get('secure-compose-dialog')).to.equal(undefined);

      rows()
        .find((row) => text(row).includes('Inspection date'))!
        .click();
      await until(() => focused()?.getAttribute('part') === 'subject');
      expect(text(focused())).to.equal('Inspection date for permit 2024-117');
      expect(q(el, '[part~="loading"]')).to.equal(null);
      expect(customElements.get('secure-compose-dialog')).to.not.equal(undefined);
      idle.forEach((run) => run());
    } finally {
      window.requestIdleCallback = requestIdleCallback;
    }
  });
});
