import { html, type PropertyDeclarations } from 'lit';
import { SecureElement } from '../../internal/secure-element.js';
import { shared } from '../../internal/shared.styles.js';
import { styles } from './tip-popover.styles.js';

/**
 * @summary A light bulb that opens a short tip in a native popover. The X button or Escape closes it, and focus
 * returns to the bulb.
 *
 * @csspart tip-button - The light-bulb button.
 * @csspart tip - The popover.
 * @csspart tip-text - The tip's text.
 * @csspart tip-close - The close (X) button.
 * @csspart button - Both buttons.
 *
 * @cssprop --secure-tip-max-width - Widest the popover gets (default 20rem).
 * @cssprop --secure-tip-color - The bulb's colour (default the internal-note colour).
 *
 * @fires secure-tip-toggle - The tip opened or closed; `detail: { open }`.
 */
export class SecureTipPopover extends SecureElement {
  static override properties: PropertyDeclarations = {
    tip: {},
  };

  static override styles = [shared, styles];

  /** The tip, shown as text. */
  tip = '';

  private get bulb() {
    return this.renderRoot?.querySelector('[part~="tip-button"]') as HTMLButtonElement;
  }
  private get panel() {
    return this.renderRoot?.querySelector('[part~="tip"]') as HTMLElement;
  }

  /** Whether the tip is showing. */
  get open(): boolean {
    return this.panel?.matches(':popover-open') ?? false;
  }

  show(): void {
    if (!this.open) this.panel.showPopover();
  }

  hide(): void {
    if (this.open) this.panel.hidePopover();
  }

  #onToggle(event: ToggleEvent): void {
    const open = event.newState === 'open';
    if (open) {
      this.renderRoot.querySelector<HTMLButtonElement>('[part~="tip-close"]')?.focus();
    } else {
      const active = this.shadowRoot?.activeElement;
      // Return focus to the bulb unless the person already moved it elsewhere (e.g. a click outside).
      if (!active || this.panel.contains(active) || document.activeElement === document.body || document.activeElement === this) {
        this.bulb.focus();
      }
    }
    this.emit('secure-tip-toggle', { open });
  }

  override render() {
    const t = this.t;
    return html`
      <button part="button tip-button" class="bulb" type="button" popovertarget="tip" aria-label=${t.showTip} title=${t.showTip}>
        <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18">
          <path
            fill="currentColor"
            d="M9 21h6v-1H9v1zm3-19a7 7 0 0 0-4 12.74V17a1 1 0 0 0 1 1h6a1 1 0 0 0 1-1v-2.26A7 7 0 0 0 12 2zm2.85 11.1-.85.6V16h-4v-2.3l-.85-.6a5 5 0 1 1 5.7 0z"
          />
        </svg>
      </button>
      <div id="tip" part="tip" class="tip" popover role="note" aria-labelledby="tip-title" @toggle=${this.#onToggle}>
        <strong id="tip-title" class="title">${t.tip}</strong>
        <p part="tip-text" class="text">${this.tip}</p>
        <button
          part="button tip-close"
          class="button quiet icon close"
          type="button"
          popovertarget="tip"
          popovertargetaction="hide"
          aria-label=${t.closeTip}
          title=${t.closeTip}
        >
          <span aria-hidden="true">×</span>
        </button>
      </div>
    `;
  }
}

SecureTipPopover.define('secure-tip-popover');

declare global {
  interface HTMLElementTagNameMap {
    'secure-tip-popover': SecureTipPopover;
  }
}
