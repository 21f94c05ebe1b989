/**
 * Runs in a page with a strict Content-Security-Policy (see the `csp` group in web-test-runner.config.mjs):
 * no inline script, no inline style, nothing from other origins. The elements must render and work, without
 * a single policy violation and without any `style` attribute.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../index.js';
import type { SecureInbox } from '../components/secure-inbox/secure-inbox.js';
import type { SecureUnreadBadge } from '../components/unread-badge/unread-badge.js';
import { db, focused, q, qa, requestsTo, text, until, useMocks } from '../internal/test/mocks.js';

const violations: SecurityPolicyViolationEvent[] = [];
document.addEventListener('securitypolicyviolation', (event) => violations.push(event));

/** Every element in the document and in every shadow root below it. */
function* everything(root: Document | ShadowRoot): Generator<Element> {
  for (const element of root.querySelectorAll('*')) {
    yield element;
    if (element.shadowRoot) yield* everything(element.shadowRoot);
  }
}

describe('under a strict Content-Security-Policy', () => {
  useMocks();
  beforeEach(() => {
    violations.length = 0;
  });
  afterEach(() => {
    // The one expected report: the sanitizer parses a hostile body in an inert document, and the browser reports (and
    // blocks) its inline handler and style attributes there. Nothing reaches the page; everything else must be clean.
    const sanitizer = /\/src\/internal\/sanitize\.ts/;
    const unexpected = violations.filter((v) => !(sanitizer.test(v.sourceFile) && /^(script|style)-src-attr$/.test(v.effectiveDirective)));
    expect(unexpected.map((v) => `${v.effectiveDirective} ${v.blockedURI} ${v.sourceFile}:${v.lineNumber}`)).to.deep.equal([]);
    expect([...everything(document)].filter((element) => element.hasAttribute('style')).map((element) => element.localName)).to.deep.equal([]);
  });

  it('is really running under the policy', () => {
    const meta = document.querySelector('meta[http-equiv="Content-Security-Policy"]')!;
    expect(meta.getAttribute('content')).to.contain("style-src 'self'");
    expect(meta.getAttribute('content')).to.contain("script-src 'self'");
  });

  it('renders the inbox with its styles, opens a thread and sends a reply', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice"></secure-inbox>`);
    const rows = await until(() => {
      const found = qa(el, 'secure-conversation-list', '[part~="row"]');
      return found.length ? found : null;
    });
    // Adopted stylesheets apply: the frame has its border and the row its flag.
    expect(getComputedStyle(el.shadowRoot!.querySelector('[part~="base"]')!).borderTopStyle).to.equal('solid');
    expect(getComputedStyle(rows[0]).borderInlineStartWidth).to.equal('4px');
    rows.find((row) => text(row).includes('Inspection'))!.click();
    const editor = await until(() => q<HTMLElement>(el, 'secure-thread-view', 'secure-rich-editor', '[part~="editor"]'));
    editor.focus();
    document.execCommand('insertText', false, 'Under CSP');
    q<HTMLButtonElement>(el, 'secure-thread-view', '[part~="send"]')!.click();
    await until(() => requestsTo('/conversations/c-permit/messages', 'POST').length);
    await until(() => qa(el, 'secure-thread-view', '[part~="message"]').length === 4);
  });

  it('opens the tip popover and the compose dialog', async () => {
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-permit"></secure-inbox>`);
    const tip = await until(() => q<HTMLButtonElement>(el, 'secure-thread-view', 'secure-tip-popover', '[part~="tip-button"]'));
    tip.click();
    await until(() => q(el, 'secure-thread-view', 'secure-tip-popover', '[part~="tip"]')!.matches(':popover-open'));
    q<HTMLButtonElement>(el, 'secure-thread-view', 'secure-tip-popover', '[part~="tip-close"]')!.click();
    await until(() => focused() === tip);
    el.openCompose();
    await until(() => q<HTMLDialogElement>(el, 'secure-compose-dialog', 'dialog')!.open && q(el, 'secure-compose-dialog', '#subject'));
    q<HTMLDialogElement>(el, 'secure-compose-dialog', 'dialog')!.close();
  });

  it('keeps message bodies inert', async () => {
    (window as unknown as { __xss?: number }).__xss = undefined;
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-xss"></secure-inbox>`);
    const body = await until(() => q(el, 'secure-thread-view', '[part~="message-body"]'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((window as unknown as { __xss?: number }).__xss).to.equal(undefined);
    expect(body.querySelector('img, script, [onclick], [style]')).to.equal(null);
  });

  it("previews an image attachment under img-src 'self'", async () => {
    const canvas = new OffscreenCanvas(40, 30);
    canvas.getContext('2d')!.fillRect(0, 0, 40, 30);
    db.files.set('att-photo', await canvas.convertToBlob({ type: 'image/png' }));
    db.conversations.get('c-permit')!.messages[0].attachments.push({ id: 'att-photo', name: 'photo.png', size: 200, contentType: 'image/png' });
    const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-permit"></secure-inbox>`);
    const preview = await until(() => q<HTMLCanvasElement>(el, 'secure-thread-view', '[part~="attachment-preview"]:not([hidden])'));
    expect([preview.width, preview.height]).to.deep.equal([40, 30]);
    expect(getComputedStyle(preview).display).to.equal('block');
  });

  it('renders the unread badge', async () => {
    const el = await fixture<SecureUnreadBadge>(html`<secure-unread-badge token="token-alice"></secure-unread-badge>`);
    await until(() => text(el.shadowRoot!.querySelector('[part~="count"]')).startsWith('9'));
    const count = el.shadowRoot!.querySelector('[part~="count"]')!;
    expect(getComputedStyle(count).position).to.equal('absolute');
  });
});
