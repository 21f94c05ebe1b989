import type { ConversationSummary, Folder } from '@secure-inbox/protocol';
import { html, nothing, type PropertyValues, type PropertyDeclarations } from 'lit';
import type { ConversationQuery } from '../../internal/api.js';
import { COMPLETE, ERROR, Load } from '../../internal/load.js';
import { acknowledgementText, flagLabel, flagOf, localeOf, longDate, shortDate, statusLabel } from '../../internal/format.js';
import { fmt, plural } from '../../internal/i18n.js';
import { SecureElement } from '../../internal/secure-element.js';
import type { Session, SessionEvent } from '../../internal/session.js';
import { shared } from '../../internal/shared.styles.js';
import { renderEmpty, renderError, renderLoading } from '../../internal/states.js';
import { styles } from './conversation-list.styles.js';

/**
 * @summary The conversations of one folder, newest activity first: sender in bold, subject, preview, account,
 * last update, unread marker and a flag coloured by sender type. A listbox: arrow keys, Home/End, Enter opens.
 * More rows load by cursor as the end scrolls into view (or with the "Load more" button).
 *
 * @slot empty - Shown when the folder has no conversations. A search or "Unread only" with no hits shows its own
 *   text instead, with a button that clears the search or turns "Unread only" off.
 *
 * @csspart list - The listbox.
 * @csspart row - One conversation.
 * @csspart row-unread - An unread conversation (besides `row`).
 * @csspart row-selected - The conversation shown in the thread (besides `row`).
 * @csspart flag - The sender-type flag.
 * @csspart flag-customer - The flag of a conversation a customer wrote last (besides `flag`).
 * @csspart flag-staff - The flag of a conversation staff wrote last (besides `flag`).
 * @csspart flag-support - The flag of a conversation support staff wrote last (besides `flag`).
 * @csspart sender - The sender's name (bold); in Sent, "You wrote" (the row shows the caller's own last message and its time).
 * @csspart subject - The subject line.
 * @csspart preview - The latest message preview.
 * @csspart account - The account name.
 * @csspart time - When it was last updated.
 * @csspart status - The conversation's status.
 * @csspart unread-marker - The unread count.
 * @csspart load-more - The "Load more" button.
 * @csspart loading - The loading state.
 * @csspart empty - The empty state.
 * @csspart error - The error state.
 * @csspart retry - The Retry button of the error state.
 * @csspart button - Every button.
 *
 * @cssprop --secure-list-row-gap - Space between rows' contents.
 *
 * @fires secure-ready - The first page of conversations is shown (once per element, not after a failed load);
 *   `detail: { folder, conversations }` (the folder and how many conversations its first page holds).
 * @fires secure-conversation-open - A conversation was chosen; `detail: { id, conversation }`.
 * @fires secure-filter-change - The empty state's button asks to clear the search (`detail: { q: '' }`) or to turn
 *   "Unread only" off (`detail: { unreadOnly: false }`); the enclosing `<secure-inbox>` does so.
 * @fires secure-error - Loading failed; `detail: { error }`.
 */
export class SecureConversationList extends SecureElement {
  static override properties: PropertyDeclarations = {
    session: { state: true },
    folder: { reflect: true },
    q: {},
    unreadOnly: { type: Boolean, attribute: 'unread-only' },
    selected: {},
    limit: { type: Number },
    queue: { attribute: false },
    items: { state: true },
    cursor: { state: true },
    active: { state: true },
    loadingMore: { state: true },
    moreError: { state: true },
    generation: { state: true },
    loaded: { state: true },
  };

  static override sessionField = 'session';

  static override styles = [shared, styles];

  session?: Session;

  /** Which folder to list. */
  folder: Folder = 'inbox';

  /** Search words (`%` for all, `word%` for a prefix). */
  q = '';

  /** Only conversations with unread messages. */
  unreadOnly = false;

  /** The id of the conversation shown next to the list. */
  selected?: string;

  /** Page size. */
  limit = 25;

  /** Staff queues: one status, `me` | `none` | a user id, one account, and `oldest` for the longest-waiting first. */
  queue?: { status?: string; assignee?: string; accountId?: string; sort?: string };

  private items: ConversationSummary[] = [];
  private cursor: string | null = null;
  private active = 0;
  private loadingMore = false;
  private moreError?: unknown;
  private generation = 0;
  private loaded = false;

  #accounts = new Map<string, string>();
  #key = '';
  #run = 0;
  #unsubscribe?: () => void;
  #observer?: IntersectionObserver;
  #lastUnread?: number;
  #ready = false;

  #task = new Load(
    this,
    async ([session, folder, q, unreadOnly, limit, queue], signal) => {
      if (!session) return;
      const run = ++this.#run;
      const key = `${folder}|${q}|${unreadOnly}|${JSON.stringify(queue)}`;
      if (key !== this.#key) {
        this.#key = key;
        this.items = [];
        this.active = 0;
        this.loaded = false;
      }
      this.moreError = undefined;
      try {
        const [page, me] = await Promise.all([session.api.conversations(this.#query(), signal), session.loadMe().catch(() => undefined)]);
        if (run !== this.#run) return;
        for (const account of me?.accounts ?? []) this.#accounts.set(account.id, account.name);
        this.items = page.items;
        this.cursor = page.nextCursor;
        this.loaded = true;
        this.active = Math.min(this.active, Math.max(0, page.items.length - 1));
        if (!this.#ready) {
          this.#ready = true;
          // Once, when the first page is drawn (so the host can look at it); a failed load is `secure-error` instead.
          this.updateComplete.then(() => this.emit('secure-ready', { folder, conversations: page.items.length }));
        }
      } catch (error) {
        if (!signal.aborted) this.reportError(error);
      }
    },
    () => [this.session, this.folder, this.q, this.unreadOnly, this.limit, this.queue, this.generation] as const,
  );

  /** Loads the first page again. */
  reload(): void {
    this.generation++;
  }

  /** The conversation after `id` in the list, if one is loaded. */
  idAfter(id: string | undefined): string | undefined {
    const index = this.items.findIndex((item) => item.id === id);
    return this.items[index + 1]?.id;
  }

  /** Moves focus to the selected (or active) row. */
  focusRow(): void {
    const index = this.items.findIndex((item) => item.id === this.selected);
    if (index >= 0) this.active = index;
    this.updateComplete.then(() => this.#row(this.active)?.focus());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#observer?.disconnect();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('session')) {
      this.#unsubscribe?.();
      this.#unsubscribe = this.session?.subscribe((event) => this.#onSessionEvent(event));
      this.#lastUnread = this.session?.unread;
    }
    if (changed.has('selected') && this.selected) {
      const index = this.items.findIndex((item) => item.id === this.selected);
      if (index >= 0) this.active = index;
    }
  }

  protected override updated(): void {
    const more = this.renderRoot.querySelector('[part~="load-more"]');
    this.#observer?.disconnect();
    if (more && !this.moreError) {
      this.#observer ??= new IntersectionObserver((entries) => {
        if (entries.some((entry) => entry.isIntersecting)) this.loadMore();
      });
      this.#observer.observe(more);
    }
  }

  #onSessionEvent(event: SessionEvent): void {
    if (event.type === 'credentials.changed') this.reload();
    if (event.type === 'unread.changed') {
      const grew = this.#lastUnread !== undefined && event.unread > this.#lastUnread;
      this.#lastUnread = event.unread;
      // New mail: refresh, unless someone is moving through the list with the keyboard right now.
      if (grew && !this.matches(':focus-within')) this.reload();
    }
    if (event.type === 'message.created' || event.type === 'conversation.updated') {
      if (!this.matches(':focus-within')) this.reload();
    }
  }

  /** Fetches the next page by cursor and appends it. */
  async loadMore(): Promise<void> {
    const session = this.session;
    if (!session || !this.cursor || this.loadingMore) return;
    const run = this.#run;
    this.loadingMore = true;
    this.moreError = undefined;
    try {
      const page = await session.api.conversations({ ...this.#query(), cursor: this.cursor });
      if (run !== this.#run) return;
      const known = new Set(this.items.map((item) => item.id));
      this.items = [...this.items, ...page.items.filter((item) => !known.has(item.id))];
      this.cursor = page.nextCursor;
    } catch (error) {
      this.moreError = error;
      this.emit('secure-error', { error });
    } finally {
      this.loadingMore = false;
    }
  }

  #query(): ConversationQuery {
    return { ...this.queue, folder: this.folder, q: this.q.trim() || undefined, unread: this.unreadOnly || undefined, limit: this.limit } as ConversationQuery;
  }

  #row(index: number): HTMLElement | null {
    return this.renderRoot.querySelector(`#row-${index}`);
  }

  #open(index: number): void {
    const item = this.items[index];
    if (!item) return;
    this.active = index;
    if (item.unreadCount) this.items = this.items.map((other) => (other === item ? { ...item, unreadCount: 0 } : other));
    this.emit('secure-conversation-open', { id: item.id, conversation: item });
  }

  async #onKeydown(event: KeyboardEvent): Promise<void> {
    const count = this.items.length;
    if (!count) return;
    let index = this.active;
    switch (event.key) {
      case 'ArrowDown':
        index = Math.min(count - 1, index + 1);
        if (index === this.active && this.cursor) this.loadMore();
        break;
      case 'ArrowUp':
        index = Math.max(0, index - 1);
        break;
      case 'Home':
        index = 0;
        break;
      case 'End':
        index = count - 1;
        break;
      case 'Enter':
      case ' ':
        event.preventDefault();
        this.#open(this.active);
        return;
      default:
        return;
    }
    event.preventDefault();
    this.active = index;
    await this.updateComplete;
    this.#row(index)?.focus();
  }

  override render() {
    const t = this.t;
    const status = this.#task.status;
    const locale = localeOf(this);
    if (status === ERROR && !this.items.length) return renderError(t, this.#task.error, () => this.reload(), t.errorMissing);
    if (!this.items.length) {
      if (this.loaded && status === COMPLETE) return this.#renderEmpty();
      return renderLoading(t);
    }
    return html`
      ${status === ERROR ? renderError(t, this.#task.error, () => this.reload(), t.errorMissing) : nothing}
      <ul part="list" role="listbox" aria-label=${t.conversations} @keydown=${this.#onKeydown}>
        ${this.items.map((item, index) => this.#renderRow(item, index, locale))}
      </ul>
      ${
        this.cursor
          ? html`<div class="more">
            ${this.moreError ? renderError(t, this.moreError) : nothing}
            <button part="button load-more" class="button" type="button" ?disabled=${this.loadingMore} @click=${() => this.loadMore()}>
              ${this.loadingMore ? t.loadingMore : t.loadMore}
            </button>
          </div>`
          : nothing
      }
    `;
  }

  /**
   * An empty folder shows the host's `empty` slot (or the default text); a search or "Unread only" that finds
   * nothing says so and offers the way out, whatever the host put in the slot.
   */
  #renderEmpty() {
    const t = this.t;
    const q = this.q.trim();
    if (!q && !this.unreadOnly) return renderEmpty(t.empty);
    const [text, action, change] = q ? [fmt(t.emptySearch, { q }), t.clearSearch, { q: '' }] : [t.emptyUnread, t.turnOffUnreadOnly, { unreadOnly: false }];
    return html`<div part="empty" class="state empty" role="status">
      ${text}
      <button part="button" class="button" type="button" @click=${() => this.emit('secure-filter-change', change)}>${action}</button>
    </div>`;
  }

  #renderRow(item: ConversationSummary, index: number, locale?: string) {
    const t = this.t;
    const author = { role: item.lastMessage.authorRole, staffKind: item.lastMessage.authorStaffKind };
    const flag = flagOf(author);
    const unread = item.unreadCount > 0;
    const selected = item.id === this.selected;
    // The automatic acknowledgement is worded here, in the reader's language, as the thread words it.
    const ack = item.lastMessage.acknowledgement;
    const parts = ['row', unread ? 'row-unread' : '', selected ? 'row-selected' : ''].filter(Boolean).join(' ');
    return html`<li
      id="row-${index}"
      part=${parts}
      class="row flag-${flag} ${unread ? 'unread' : ''}"
      role="option"
      aria-selected=${selected ? 'true' : 'false'}
      tabindex=${index === this.active ? '0' : '-1'}
      @click=${() => this.#open(index)}
      @focus=${() => (this.active = index)}
    >
      <span class="top">
        <strong part="sender" class="sender">${this.folder === 'sent' ? t.youWrote : item.lastMessage.authorName}</strong>
        <time part="time" class="time" datetime=${item.updatedAt} dir="auto" title=${longDate(item.updatedAt, locale)}>${shortDate(item.updatedAt, locale)}</time>
      </span>
      <span part="subject" class="subject">${item.subject}</span>
      <span part="preview" class="preview"
        >${ack ? acknowledgementText(t, ack.sentTo, ack.replyTime, locale) : item.lastMessage.preview}</span
      >
      <span class="meta">
        <span part="flag flag-${flag}" class="flag">${flagLabel(t, author)}</span>
        <span part="account" class="account">${this.#accounts.get(item.accountId) ?? item.accountId}</span>
        <span part="status" class="status">${statusLabel(t, item.status)}</span>
        ${unread ? html`<span part="unread-marker" class="unread-marker">${plural(t.unreadMessages, item.unreadCount, locale)}</span>` : nothing}
      </span>
    </li>`;
  }
}

SecureConversationList.define('secure-conversation-list');

declare global {
  interface HTMLElementTagNameMap {
    'secure-conversation-list': SecureConversationList;
  }
}
