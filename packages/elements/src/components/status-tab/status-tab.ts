import type { Account, Message } from '@secure-inbox/protocol';
import { html, nothing, type PropertyDeclarations } from 'lit';
import { COMPLETE, ERROR, Load } from '../../internal/load.js';
import { localeOf, longDate } from '../../internal/format.js';
import { bodyOf } from '../../internal/sanitize.js';
import { SecureElement } from '../../internal/secure-element.js';
import type { Session } from '../../internal/session.js';
import { shared } from '../../internal/shared.styles.js';
import { renderEmpty, renderError, renderLoading } from '../../internal/states.js';
import { styles } from './status-tab.styles.js';

/**
 * @summary The account's Status tab: the messages staff posted as status updates, newest first as the server sends them,
 * kept current as new messages arrive, each with a button that opens its conversation.
 * With several accounts, a picker chooses which one.
 *
 * @csspart status-tab - The section.
 * @csspart field - The account picker.
 * @csspart messages - The feed.
 * @csspart message - One status update.
 * @csspart message-body - Its sanitized body.
 * @csspart open-conversation - The button that opens the conversation the update was posted in.
 * @csspart loading - The loading state.
 * @csspart empty - The empty state.
 * @csspart error - The error state.
 * @csspart retry - The Retry button of the error state.
 * @csspart button - Every button.
 *
 * @cssprop --secure-thread-max-width - Widest an update gets (default 48rem).
 *
 * @fires secure-conversation-open - "Open conversation" was chosen; `detail: { id }`.
 * @fires secure-error - `detail: { error }`.
 */
export class SecureStatusTab extends SecureElement {
  static override properties: PropertyDeclarations = {
    session: { state: true },
    accountId: { attribute: 'account-id' },
    accounts: { state: true },
    generation: { state: true },
  };

  static override sessionField = 'session';

  static override styles = [shared, styles];

  session?: Session;

  /** The account to show; defaults to the user's first account. */
  accountId?: string;

  private accounts: Account[] = [];
  private generation = 0;

  #unsubscribe?: () => void;

  #task = new Load(
    this,
    async ([session, accountId]): Promise<Message[] | undefined> => {
      if (!session) return undefined;
      try {
        const me = await session.loadMe();
        this.accounts = me.accounts;
        const account = accountId ?? me.accounts[0]?.id;
        return account ? await session.api.statusUpdates(account) : [];
      } catch (error) {
        this.reportError(error);
      }
    },
    () => [this.session, this.accountId, this.generation] as const,
  );

  override connectedCallback(): void {
    super.connectedCallback();
    // Live: a new message may be a status update of this account (the session came with the connection).
    this.#unsubscribe = this.session?.subscribe((event) => event.type === 'message.created' && this.generation++);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
  }

  override render() {
    const t = this.t;
    return html`<section part="status-tab" class="status-tab" aria-labelledby="status-title">
      <h2 id="status-title">${t.statusUpdates}</h2>
      ${
        this.accounts.length > 1
          ? html`<label part="field" class="field"
            >${t.chooseAccount}
            <select @change=${(event: Event) => (this.accountId = (event.target as HTMLSelectElement).value)}>
              ${this.accounts.map((a) => html`<option value=${a.id} ?selected=${a.id === this.accountId}>${a.name}</option>`)}
            </select></label
          >`
          : nothing
      }
      ${
        this.#task.status === ERROR
          ? renderError(t, this.#task.error, () => this.generation++, t.errorMissing)
          : !this.#task.value
            ? renderLoading(t)
            : this.#task.value.length
              ? html`<div part="messages" class="messages" role="feed" aria-label=${t.statusUpdates}>
                ${this.#task.value.map(
                  (message, index, all) => html`<article
                    part="message"
                    class="message"
                    tabindex="0"
                    aria-posinset=${index + 1}
                    aria-setsize=${all.length}
                    aria-labelledby="time-${message.id}"
                  >
                    <header class="message-header">
                      <strong>${message.author.name}</strong>
                      <time id="time-${message.id}" datetime=${message.createdAt} dir="auto">${longDate(message.createdAt, localeOf(this))}</time>
                      <button part="button open-conversation" class="button" type="button" @click=${() =>
                        this.emit('secure-conversation-open', { id: message.conversationId })}>${t.openConversation}</button>
                    </header>
                    ${bodyOf(message)}
                  </article>`,
                )}
              </div>`
              : renderEmpty(t.noStatusUpdates)
      }
    </section>`;
  }
}

SecureStatusTab.define('secure-status-tab');

declare global {
  interface HTMLElementTagNameMap {
    'secure-status-tab': SecureStatusTab;
  }
}
