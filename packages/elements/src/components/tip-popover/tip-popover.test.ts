import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { focused, q, text, until, useMocks } from '../../internal/test/mocks.js';
import '../secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../secure-inbox/secure-inbox.js';
import './tip-popover.js';
import type { SecureTipPopover } from './tip-popover.js';

const bulb = (el: SecureTipPopover) => el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="tip-button"]')!;
const panel = (el: SecureTipPopover) => el.shadowRoot!.querySelector<HTMLElement>('[part~="tip"]')!;

describe('tip popover', () => {
  it('opens the tip from the light bulb with the native popover', async () => {
    const el = await fixture<SecureTipPopover>(html`<secure-tip-popover tip="Upload plans as PDF."></secure-tip-popover>`);
    expect(panel(el).hasAttribute('popover')).to.equal(true);
    expect(bulb(el).getAttribute('aria-label')).to.equal('Show tip');
    expect(panel(el).matches(':popover-open')).to.equal(false);
    const toggled = oneEvent(el, 'secure-tip-toggle');
    bulb(el).click();
    expect(((await toggled) as CustomEvent).detail.open).to.equal(true);
    expect(panel(el).matches(':popover-open')).to.equal(true);
    expect(text(el.shadowRoot!.querySelector('[part~="tip-text"]'))).to.equal('Upload plans as PDF.');
    expect(focused()).to.equal(el.shadowRoot!.querySelector('[part~="tip-close"]'));
    await expect(el).to.be.accessible();
  });

  it('closes with the X button and returns focus to the bulb', async () => {
    const el = await fixture<SecureTipPopover>(html`<secure-tip-popover tip="Tip text"></secure-tip-popover>`);
    bulb(el).focus();
    bulb(el).click();
    await until(() => panel(el).matches(':popover-open'));
    const close = el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="tip-close"]')!;
    expect(close.getAttribute('aria-label')).to.equal('Close tip');
    const closed = oneEvent(el, 'secure-tip-toggle');
    close.click();
    await closed;
    expect(panel(el).matches(':popover-open')).to.equal(false);
    expect(focused()).to.equal(bulb(el));
  });

  it('closes with Escape and returns focus to the bulb', async () => {
    const el = await fixture<SecureTipPopover>(html`<secure-tip-popover tip="Tip text"></secure-tip-popover>`);
    bulb(el).focus();
    await sendKeys({ press: 'Enter' });
    await until(() => panel(el).matches(':popover-open'));
    const closed = oneEvent(el, 'secure-tip-toggle');
    await sendKeys({ press: 'Escape' });
    await closed;
    expect(panel(el).matches(':popover-open')).to.equal(false);
    expect(focused()).to.equal(bulb(el));
  });

  describe('on a message', () => {
    useMocks();
    it('appears only on messages that carry a tip, with its parts exported', async () => {
      const el = await fixture<SecureInbox>(html`<secure-inbox token="token-alice" conversation="c-permit"></secure-inbox>`);
      await until(() => q(el, 'secure-thread-view', '[part~="subject"]'));
      const tips = q(el, 'secure-thread-view')!.shadowRoot!.querySelectorAll('secure-tip-popover');
      expect(tips).to.have.length(1);
      expect(tips[0].getAttribute('exportparts')).to.contain('tip-button');
      expect((tips[0] as SecureTipPopover).tip).to.equal('Upload plans as PDF to speed up the review.');
    });
  });
});
