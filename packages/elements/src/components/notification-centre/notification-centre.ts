import type { NotificationItem, NotificationList } from '@secure-inbox/protocol';
import { html, nothing, type PropertyDeclarations } from 'lit';
import { localeOf, shortDate } from '../../internal/format.js';
import { plural } from '../../internal/i18n.js';
import { SessionFollower } from '../../internal/session-root.js';
import type { SessionEvent } from '../../internal/session.js';
import { shared } from '../../internal/shared.styles.js';
import { errorMessage, renderError, renderLoading } from '../../internal/states.js';
import { styles } from './notification-centre.styles.js';

/**
 * @summary The staff notification centre: a button with the unread count and a drop-down of the latest notices
 * (why, subject, preview), each opening its conversation; "Mark all read". Updates live. Works alone in a page
 * header (`api-base`, `token`, `tokenProvider`) or inside `<secure-inbox>`, sharing its session.
 *
 * @csspart notifications-button - The button.
 * @csspart notifications-count - The unread count on it.
 * @csspart notifications - The drop-down (a native popover).
 * @csspart notification - One notice.
 * @csspart notification-unread - A notice not yet read (besides `notification`).
 * @csspart mark-all-read - The "Mark all read" button.
 * @csspart button - Every button.
 * @csspart loading - The loading state.
 * @csspart error - The error state.
 * @csspart retry - The Retry button of the error state.
 *
 * @cssprop --secure-notifications-width - Width of the drop-down (default 22rem).
 *
 * @fires secure-conversation-open - A notice was chosen; `detail: { id }` (the conversation id), as the list and the badge send it.
 * @fires secure-error - `detail: { error }`.
 */
export class SecureNotificationCentre extends SessionFollower {
  static override properties: PropertyDeclarations = {
    unread: { state: true },
    items: { state: true },
    error: { state: true },
  };

  static override styles = [shared, styles];

  private unread?: number;
  private items?: NotificationItem[];
  private error?: unknown;

  private get menu() {
    return this.renderRoot?.querySelector('[part~="notifications"]') as HTMLElement;
  }

  protected override follow(): void {
    this.#count();
  }

  protected override onSessionEvent(event: SessionEvent): void {
    // The stream tells each user of their own new notices only.
    if (event.type === 'notification.created' || event.type === 'credentials.changed') {
      if (this.menu?.matches(':popover-open')) this.#load();
      else this.#count();
    }
  }

  async #count(): Promise<void> {
    try {
      this.unread = (await this.session.api.json<{ unread: number }>('/notifications/unread-count')).unread;
    } catch (error) {
      this.emit('secure-error', { error });
    }
  }

  async #load(): Promise<void> {
    this.error = undefined;
    try {
      const page = await this.session.api.json<NotificationList>('/notifications', { query: { limit: 20 } });
      this.items = page.items;
      this.unread = page.unread;
    } catch (error) {
      this.error = error;
      this.emit('secure-error', { error });
    }
  }

  async #post(path: string): Promise<void> {
    try {
      await this.session.api.fetch(path, { method: 'POST' });
    } catch (error) {
      this.error = error;
      this.emit('secure-error', { error });
    }
    await this.#load();
  }

  #open(notice: NotificationItem): void {
    this.menu.hidePopover();
    this.emit('secure-conversation-open', { id: notice.conversationId });
    if (!notice.read) this.#post(`/notifications/${encodeURIComponent(notice.id)}/read`);
  }

  override render() {
    const t = this.t;
    const unread = this.unread ?? 0;
    return html`<button part="button notifications-button" class="button bell" type="button" popovertarget="menu">
        ${t.notifications}<span part="notifications-count" class="count" ?hidden=${!unread} aria-hidden="true">${unread}</span
        ><span class="sr-only" aria-live="polite">${this.unread === undefined ? '' : plural(t.unreadNotifications, unread, localeOf(this))}</span>
      </button>
      <div
        id="menu"
        part="notifications"
        class="menu"
        popover
        aria-labelledby="menu-title"
        @toggle=${(event: ToggleEvent) => event.newState === 'open' && this.#load()}
      >
        <h2 id="menu-title">${t.notifications}</h2>
        ${this.error && this.items ? html`<p part="error" class="error-text" role="alert">${errorMessage(t, this.error)}</p>` : nothing}
        ${
          this.error && !this.items
            ? renderError(t, this.error, () => this.#load())
            : !this.items
              ? renderLoading(t)
              : this.items.length
                ? html`<ul>
                  ${this.items.map(
                    (notice) => html`<li>
                      <button
                        part="button notification ${notice.read ? '' : 'notification-unread'}"
                        class="button quiet item ${notice.read ? '' : 'unread'}"
                        type="button"
                        @click=${() => this.#open(notice)}
                      >
                        <span>${notice.subject}${notice.read ? nothing : html`<span class="sr-only"> (${t.unread})</span>`}</span>
                        <span class="muted">${notice.reasonText} · <time datetime=${notice.createdAt} dir="auto">${shortDate(notice.createdAt, localeOf(this))}</time></span>
                        ${notice.preview ? html`<span class="muted">${notice.authorName ? `${notice.authorName}: ` : ''}${notice.preview}</span>` : nothing}
                      </button>
                    </li>`,
                  )}
                </ul>`
                : html`<p class="state">${t.noNotifications}</p>`
        }
        <button part="button mark-all-read" class="button" type="button" ?disabled=${!unread} @click=${() => this.#post('/notifications/read-all')}>
          ${t.markAllRead}
        </button>
      </div>`;
  }
}

SecureNotificationCentre.define('secure-notification-centre');

declare global {
  interface HTMLElementTagNameMap {
    'secure-notification-centre': SecureNotificationCentre;
  }
}
