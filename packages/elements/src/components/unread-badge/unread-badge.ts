import type { ConversationSummary } from '@secure-inbox/protocol';
import { html, nothing, type PropertyDeclarations } from 'lit';
import { localeOf, shortDate } from '../../internal/format.js';
import { plural } from '../../internal/i18n.js';
import { SessionFollower } from '../../internal/session-root.js';
import type { SessionEvent } from '../../internal/session.js';
import { shared } from '../../internal/shared.styles.js';
import { renderError, renderLoading } from '../../internal/states.js';
import { styles } from './unread-badge.styles.js';

/** `href` with `conversation=<id>` added, the same deep link the notification e-mails use. */
const linkTo = (href: string, id: string) => {
  const url = new URL(href, document.baseURI);
  url.searchParams.set('conversation', id);
  return url.href;
};

/**
 * @summary The quick-access message icon for a page header: the Inbox unread count (announced politely when it
 * changes) and a drop-down of the latest unread conversations with "View all messages". Works on its own
 * (`api-base`, `token`, `tokenProvider`) or inside `<secure-inbox>`, sharing its session.
 *
 * @csspart base - The wrapper.
 * @csspart badge-button - The icon button.
 * @csspart count - The unread count bubble.
 * @csspart menu - The drop-down (a native popover).
 * @csspart item - One unread conversation.
 * @csspart view-all - The "View all messages" link or button.
 * @csspart button - Every button.
 * @csspart loading - The loading state.
 * @csspart empty - The empty state.
 * @csspart error - The error state.
 * @csspart retry - The Retry button of the error state.
 *
 * @cssprop --secure-badge-menu-width - Width of the drop-down (default 20rem).
 *
 * @fires secure-conversation-open - An item was chosen and no `href` is set; `detail: { id }`.
 * @fires secure-view-all - "View all messages" and no `href` is set.
 * @fires secure-error - `detail: { error }`.
 */
export class SecureUnreadBadge extends SessionFollower {
  static override properties: PropertyDeclarations = {
    href: {},
    count: { state: true },
    items: { state: true },
    itemsError: { state: true },
    countError: { state: true },
  };

  static override styles = [shared, styles];

  /** Where "View all messages" leads; items link there with `?conversation=<id>`. Without it, events are fired instead. */
  href?: string;

  private count?: number;
  private items?: ConversationSummary[];
  private itemsError?: unknown;
  private countError?: unknown;

  private get button() {
    return this.renderRoot?.querySelector('[part~="badge-button"]') as HTMLButtonElement;
  }
  private get menu() {
    return this.renderRoot?.querySelector('[part~="menu"]') as HTMLElement;
  }

  #itemsRun = 0;

  protected override follow(): void {
    this.count = this.session.unread;
    this.#refresh();
  }

  protected override onSessionEvent(event: SessionEvent): void {
    if (event.type === 'unread.changed') {
      this.count = event.unread;
      this.countError = undefined;
      if (this.menu?.matches(':popover-open')) this.#loadItems();
    }
    if (event.type === 'credentials.changed') {
      this.items = undefined;
      this.#refresh();
    }
  }

  async #refresh(): Promise<void> {
    try {
      // Current as of the last two seconds: a widget starting beside it shares its request.
      await this.session.loadMe(2_000);
      this.count = this.session.unread;
      this.countError = undefined;
    } catch (error) {
      this.countError = error;
      this.emit('secure-error', { error });
    }
  }

  async #loadItems(): Promise<void> {
    // Only the latest request decides what is shown (a poll may start one while another is under way).
    const run = ++this.#itemsRun;
    this.itemsError = undefined;
    try {
      const page = await this.session.api.conversations({ unread: true, limit: 5 });
      if (run === this.#itemsRun) this.items = page.items;
    } catch (error) {
      if (run !== this.#itemsRun) return;
      this.itemsError = error;
      this.emit('secure-error', { error });
    }
  }

  #onToggle(event: ToggleEvent): void {
    if (event.newState === 'open') {
      this.#loadItems();
      if (this.countError) this.#refresh();
    } else {
      const active = this.shadowRoot?.activeElement;
      if (!active || this.menu.contains(active) || document.activeElement === document.body) this.button.focus();
    }
  }

  #choose(id: string): void {
    this.menu.hidePopover();
    this.emit('secure-conversation-open', { id });
  }

  #viewAll(): void {
    this.menu.hidePopover();
    this.emit('secure-view-all');
  }

  override render() {
    const t = this.t;
    const count = this.count ?? 0;
    return html`<div part="base" class="base">
      <button part="button badge-button" class="badge-button" type="button" popovertarget="menu">
        <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
          <path fill="currentColor" d="M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2.3V17h16V7.3l-8 5.3-8-5.3zM5.8 7 12 11.1 18.2 7H5.8z" />
        </svg>
        <span class="sr-only">${t.messagesButton}</span>
        <span part="count" class=${count ? 'count' : 'count zero'} aria-live="polite" aria-atomic="true"
          ><span aria-hidden="true">${!count ? '' : count > 99 ? '99+' : count}</span
          ><span class="sr-only">${this.count === undefined ? '' : plural(t.unreadCount, count, localeOf(this))}</span></span
        >
      </button>
      <div id="menu" part="menu" class="menu" popover aria-labelledby="menu-title" @toggle=${this.#onToggle}>
        <h2 id="menu-title" class="menu-title">${t.latestUnread}</h2>
        ${this.#renderItems()}
        ${
          this.href
            ? html`<a part="view-all" class="view-all" href=${this.href}>${t.viewAll}</a>`
            : html`<button part="button view-all" class="button view-all" type="button" @click=${this.#viewAll}>${t.viewAll}</button>`
        }
      </div>
    </div>`;
  }

  #renderItems() {
    const t = this.t;
    if (this.itemsError) return renderError(t, this.itemsError, () => this.#loadItems(), t.errorMissing);
    if (!this.items) return renderLoading(t);
    if (!this.items.length) return html`<p part="empty" class="state">${t.noUnread}</p>`;
    return html`<ul class="items">
      ${this.items.map((item) => {
        const content = html`<strong class="sender">${item.lastMessage.authorName}</strong>
          <time datetime=${item.updatedAt} dir="auto">${shortDate(item.updatedAt, localeOf(this))}</time>
          <span class="subject">${item.subject}</span>`;
        return html`<li>
          ${
            this.href
              ? html`<a part="item" class="item" href=${linkTo(this.href, item.id)}>${content}</a>`
              : html`<button part="item" class="item" type="button" @click=${() => this.#choose(item.id)}>${content}</button>`
          }
        </li>`;
      })}
    </ul>${nothing}`;
  }
}

SecureUnreadBadge.define('secure-unread-badge');

declare global {
  interface HTMLElementTagNameMap {
    'secure-unread-badge': SecureUnreadBadge;
  }
}
