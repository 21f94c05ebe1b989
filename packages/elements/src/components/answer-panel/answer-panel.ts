import type { MessageAction, PostMessageBody } from '@secure-inbox/protocol';
import { html, nothing, type PropertyDeclarations } from 'lit';
import { SecureElement } from '../../internal/secure-element.js';
import { shared } from '../../internal/shared.styles.js';
import { styles } from './answer-panel.styles.js';

/** What the thread posts: the action and, when given, the tip and the administrators' notice. */
export type Answer = Pick<PostMessageBody, 'action' | 'tip' | 'notifyAdmins'>;

/**
 * @summary The staff answer buttons under the reply editor: Send (answered), Send & leave open, Post as status update,
 * and, marked internal, Resolve (confirmed first) and Internal note; an optional tip and "Notify all administrators".
 * It does not post: the enclosing thread sends the editor's text with the chosen answer.
 *
 * @csspart answer-panel - The whole panel.
 * @csspart answer-button - Every action button.
 * @csspart answer-internal - Resolve and Internal note (besides `answer-button`).
 * @csspart button - Every button.
 * @csspart internal-banner - "Internal — not shown to the customer".
 * @csspart confirm - The Resolve confirmation.
 * @csspart tip-field - The tip text field.
 * @csspart notify - The "Notify all administrators" checkbox.
 *
 * @fires secure-answer - A button was chosen (Resolve: after confirming); `detail: { action, tip?, notifyAdmins? }`.
 */
export class SecureAnswerPanel extends SecureElement {
  static override properties: PropertyDeclarations = {
    sending: { type: Boolean },
    confirming: { state: true },
    tipOpen: { state: true },
  };

  static override styles = [shared, styles];

  /** A post is under way: the buttons are disabled. */
  sending = false;

  private confirming = false;
  private tipOpen = false;

  /** The answer for `action` with the tip and notice as currently filled in. */
  collect(action: MessageAction): Answer {
    const root = this.renderRoot;
    const tip = root.querySelector<HTMLInputElement>('#tip')?.value.trim();
    const answer: Answer = { action };
    if (tip) answer.tip = tip;
    if (root.querySelector<HTMLInputElement>('#notify')?.checked) answer.notifyAdmins = true;
    return answer;
  }

  /** Back to the start after a message went out. */
  reset(): void {
    const root = this.renderRoot;
    const tip = root.querySelector<HTMLInputElement>('#tip');
    const notify = root.querySelector<HTMLInputElement>('#notify');
    if (tip) tip.value = '';
    if (notify) notify.checked = false;
    this.tipOpen = this.confirming = false;
  }

  async #focus(selector: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  #choose(action: MessageAction): void {
    if (action === 'resolve' && !this.confirming) {
      this.confirming = true;
      this.#focus('#confirm');
      return;
    }
    this.confirming = false;
    this.emit('secure-answer', this.collect(action));
  }

  #cancel(): void {
    this.confirming = false;
    this.#focus('#resolve');
  }

  override render() {
    const t = this.t;
    const button = (action: MessageAction, label: string, extra = '') =>
      html`<button
        id=${action === 'resolve' ? 'resolve' : nothing}
        part="button answer-button${extra ? ' answer-internal' : ''}"
        class="button ${action === 'send' ? 'primary' : extra}"
        type="button"
        ?disabled=${this.sending}
        aria-describedby=${action === 'status_update' ? 'update-hint' : nothing}
        @click=${() => this.#choose(action)}
      >
        ${label}
      </button>`;
    return html`<div part="answer-panel" class="panel" role="group" aria-label=${t.answer}>
      <div class="row">
        <button part="button" class="button" type="button" aria-expanded=${this.tipOpen} aria-controls="tip-box" @click=${() => {
          this.tipOpen = !this.tipOpen;
          if (this.tipOpen) this.#focus('#tip');
        }}>${t.addTip}</button>
        <label id="tip-box" class="tip" ?hidden=${!this.tipOpen}
          >${t.tipText} <input part="tip-field" id="tip" maxlength="500" autocomplete="off"
        /></label>
        <label class="check"><input part="notify" id="notify" type="checkbox" /> ${t.notifyAllAdmins}</label>
      </div>
      <div class="row">
        ${button('send', t.answerSend)} ${button('send_leave_open', t.answerSendLeaveOpen)} ${button('status_update', t.answerStatusUpdate)}
      </div>
      <p id="update-hint" class="hint">${t.statusUpdateHint}</p>
      <div class="row internal" role="group" aria-labelledby="internal-banner">
        <strong id="internal-banner" part="internal-banner" class="banner">${t.internalBanner}</strong>
        ${button('resolve', t.answerResolve, 'internal')} ${button('internal_note', t.answerInternalNote, 'internal')}
      </div>
      ${
        this.confirming
          ? html`<div part="confirm" class="confirm internal" role="group" aria-labelledby="confirm-text" @keydown=${(event: KeyboardEvent) => {
              if (event.key === 'Escape') {
                event.preventDefault();
                event.stopPropagation();
                this.#cancel();
              }
            }}>
            <p id="confirm-text"><strong>${t.internalBanner}.</strong> ${t.resolveConfirm}</p>
            <button id="confirm" part="button answer-button answer-internal" class="button internal" type="button" ?disabled=${this.sending} @click=${() => this.#choose('resolve')}>
              ${t.answerResolve}
            </button>
            <button part="button" class="button" type="button" @click=${this.#cancel}>${t.cancel}</button>
          </div>`
          : nothing
      }
      <p class="hint">${t.answerHint}</p>
    </div>`;
  }
}

SecureAnswerPanel.define('secure-answer-panel');

declare global {
  interface HTMLElementTagNameMap {
    'secure-answer-panel': SecureAnswerPanel;
  }
}
