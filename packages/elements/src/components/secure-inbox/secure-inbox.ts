import type { Context, Folder, Me } from '@secure-inbox/protocol';
import { html, nothing, type PropertyValues, type PropertyDeclarations } from 'lit';
import { provide } from '../../internal/context.js';
import { Lazy, loadParts } from '../../internal/lazy.js';
import { plural, type Strings } from '../../internal/i18n.js';
import { localeOf } from '../../internal/format.js';
import { SessionRoot } from '../../internal/session-root.js';
import { claimedRole, type Session, type SessionEvent } from '../../internal/session.js';
import type { ConnectionState } from '../../internal/events.js';
import { shared } from '../../internal/shared.styles.js';
import type { ComposeOptions, SecureComposeDialog } from '../compose-dialog/compose-dialog.js';
import type { SecureConversationList } from '../conversation-list/conversation-list.js';
import '../conversation-list/conversation-list.js';
import type { QueueFilter, SecureQueueFilters } from '../queue-filters/queue-filters.js';
import type { SecureThreadView } from '../thread-view/thread-view.js';
import { styles } from './secure-inbox.styles.js';

const folders: Folder[] = ['inbox', 'sent', 'trash'];
const listParts =
  'list, row, row-unread, row-selected, flag, flag-customer, flag-staff, flag-support, sender, subject, preview, account, time, status, unread-marker, load-more';
const editorParts = 'label, toolbar, tool, editor, link-form';
const attachParts = 'attach, attachment-list, attachment-chip, progress, cancel-upload, remove-attachment';
const threadParts = `thread, thread-header, back, subject, status, record-link, participants, answered-by, thread-actions, panel, older, messages, message,
  message-internal, message-status-update, departure, acknowledgement, solve, expected-reply, seen, rating, rating-form, message-header, internal-label, internal-hint, message-body, attachments, attachment, reply-to,
  tip-button, tip, tip-text, tip-close, reply, reply-quote, send, writing, suggestions, saved-reply, mention, answer-panel, answer-button, answer-internal, internal-banner, confirm,
  tip-field, notify, controls, assignee, assign-me, status-select, notify-admins, result, attachment-download, attachment-preview, file-icon, scan-status, ${attachParts}, ${editorParts}`;
const commonParts = 'button, loading, empty, error, retry';

/**
 * @summary The secure message centre: folders (Inbox, Sent, Trash) with the unread count, search with an
 * "unread only" toggle, the conversation list, the thread, compose and the Status tab.
 *
 * @slot banner - Above everything: custom links, a logo.
 * @slot header - Above the message centre, below the banner.
 * @slot footer - Below the message centre.
 * @slot empty - Shown instead of the default text when a folder is empty. A search or "Unread only" with no hits
 *   says so itself, with a button that clears the search or turns "Unread only" off.
 *
 * @csspart base - The outer frame.
 * @csspart nav - The folder navigation.
 * @csspart folder - A folder button.
 * @csspart folder-current - The folder shown (besides `folder`).
 * @csspart count - A folder's count of unread conversations (Inbox, Sent, Trash).
 * @csspart connection - Whether updates arrive live: "Live", "Reconnecting…", "Offline" or "Paused: live in another tab" (in words, not only colour).
 * @csspart notifications-button - Staff: the notification centre (see `<secure-notification-centre>`); also `notifications-count`,
 *   `notifications`, `notification`, `notification-unread`, `mark-all-read`.
 * @csspart compose-button - The "New message" button.
 * @csspart search - The search form.
 * @csspart search-input - The search field.
 * @csspart search-button - The Search button.
 * @csspart search-hint - How to search ("Words, % for all, perm% for a prefix."), below the field; it wraps.
 * @csspart unread-toggle - The "Unread only" checkbox.
 * @csspart status-filter - Customers: which conversations to show, by status (all, open, waiting for me, answered, solved).
 * @csspart queues - Staff: the queue filters above the list (see `<secure-queue-filters>`).
 * @csspart list-pane - The column holding search and list.
 * @csspart detail - The column holding the thread or Status tab.
 * @csspart placeholder - "Select a conversation".
 * @csspart compose - The compose dialog.
 * @csspart status-tab - The Status tab.
 * @csspart saved-replies - Staff: the saved replies' management view (see `<secure-saved-replies>`); also `new-reply`,
 *   `replies`, `saved-reply-item`, `edit-reply`, `delete-reply`, `read-only`, `reply-form`.
 *
 * @cssprop --secure-inbox-height - Height of the message centre (default 40rem).
 * @cssprop --secure-nav-width - Width of the folder column (default 11rem).
 * @cssprop --secure-list-width - Width of the list column (default 24rem).
 * @cssprop --secure-thread-max-width - Widest a message gets (default 48rem).
 *
 * @fires secure-ready - The widget has loaded and shows its first page of conversations (once; not when loading
 *   fails, which fires `secure-error`); `detail: { folder, conversations }`.
 * @fires secure-folder-change - `detail: { folder }`.
 * @fires secure-conversation-open - A thread opened; `detail: { id }`.
 * @fires secure-before-send - Cancelable; from compose (`detail: { request }`) and replies (`detail: { conversationId, body, action }`).
 * @fires secure-sent - A conversation or reply was created.
 * @fires secure-queue-change - Staff changed a queue filter; `detail: { status, assignee, accountId, sort }`.
 * @fires secure-conversation-update - Staff changed a status or assignee, or a customer marked a conversation solved or opened it again; `detail: { conversation }`.
 * @fires secure-rated - A customer gave or changed a rating; `detail: { conversationId, rating }`.
 * @fires secure-error - Any failure; `detail: { error }` (an `ApiError` with `status`, `code`, `message`).
 */
export class SecureInbox extends SessionRoot {
  static override properties: PropertyDeclarations = {
    folder: { reflect: true },
    conversation: { reflect: true },
    context: { attribute: false },
    view: { state: true },
    q: { state: true },
    unreadOnly: { state: true },
    unread: { state: true },
    folderUnread: { state: true },
    staff: { state: true },
    connection: { state: true },
    queue: { state: true },
  };

  static override styles = [shared, styles];

  /** The folder shown (reflected, so a host can deep-link to it). */
  folder: Folder = 'inbox';

  /** The id of the conversation shown (reflected; set it to open a thread, as an e-mail link does). */
  conversation?: string;

  /** A host record that new conversations are tied to (`{ kind, ref, title?, url? }`). */
  context?: Context;

  protected session: Session = this.ownSession;
  #providedStrings?: Strings;
  /** Shares the session and the merged strings with every element inside. */
  #share = provide(this, () => ({ session: this.session, strings: this.#providedStrings }));

  private view: 'folder' | 'status' | 'replies' = 'folder';
  private q = '';
  private unreadOnly = true;
  /** The person's own "Unread only" choice per folder, kept for the element's lifetime (never stored). */
  #unreadChoice: Partial<Record<Folder, boolean>> = {};
  private unread?: number;
  /** Unread conversations per folder from `/me` (Sent and Trash show theirs too). */
  private folderUnread?: Me['folders'];
  private staff = false;
  private connection?: ConnectionState;
  private queue?: QueueFilter;

  /**
   * The thread, the compose dialog, the Status tab and the staff console: loaded when the browser is idle after the
   * first paint, or at once when one of them is shown first (a staff member is signed in, a thread is asked for).
   */
  #parts = new Lazy(this, loadParts, 'secure-thread-view');
  #composeAsked = false;
  /** A thread was opened: its heading takes focus once the thread is drawn (after its module, if that was still loading). */
  #focusThread = false;

  private get list() {
    return this.renderRoot?.querySelector('secure-conversation-list') as SecureConversationList | null;
  }
  private get thread() {
    return this.renderRoot?.querySelector('secure-thread-view') as SecureThreadView | null;
  }
  private get compose() {
    return this.renderRoot?.querySelector('secure-compose-dialog') as SecureComposeDialog;
  }
  private get queues() {
    return this.renderRoot?.querySelector('secure-queue-filters') as SecureQueueFilters | null;
  }

  #stop: (() => void)[] = [];
  #searchTimer?: ReturnType<typeof setTimeout>;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#stop.push(
      this.session.subscribe((event) => this.#onSessionEvent(event)),
      this.session.watch(),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const stop of this.#stop.splice(0)) stop();
    clearTimeout(this.#searchTimer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('apiBase') || changed.has('token') || changed.has('tokenProvider')) this.configureSession(this.session);
    // A JWT names its holder's role: staff open on every conversation (with their filters) at once,
    // instead of on the unread ones until /me says who they are. Only a hint; the server decides.
    const hinted = changed.has('token') && claimedRole(this.token);
    if (hinted) this.staff = hinted !== 'customer';
    if (this.t !== this.#providedStrings || changed.has('locale')) {
      this.#providedStrings = this.t;
      this.#share();
    }
    // A thread asked for from outside (a badge item, an e-mail link) shows even while the Status tab is open.
    if (changed.has('conversation') && this.conversation) this.view = 'folder';
    if (changed.has('folder') || hinted) {
      if (!folders.includes(this.folder)) this.folder = 'inbox';
      this.unreadOnly = this.#unreadDefault();
    }
  }

  protected override updated(): void {
    // Done once the thread asked for is drawn, or when no thread is shown any more.
    if (this.#focusThread && (this.thread || !this.conversation || this.view !== 'folder')) {
      this.#focusThread = false;
      this.thread?.focusWhenReady();
    }
  }

  protected override firstUpdated(): void {
    this.#loadMe();
    // The list is drawn: the other parts load while the person reads it (if that fails, opening one tries again).
    (window.requestIdleCallback ?? setTimeout)(() => loadParts().catch(() => undefined));
  }

  /** Staff and admins get the queue filters, and see every conversation rather than the unread ones. */
  #loadMe(): void {
    this.session
      .loadMe()
      .then((me) => {
        const staff = me.user.role !== 'customer';
        const changed = staff !== this.staff;
        this.staff = staff;
        if (changed) this.unreadOnly = this.#unreadDefault();
      })
      .catch(() => undefined);
  }

  /** Customers' Inbox opens on unread mail (seed 000), staff see everything; a choice the person made wins. */
  #unreadDefault(): boolean {
    return this.#unreadChoice[this.folder] ?? (this.folder === 'inbox' && !this.staff);
  }

  #onSessionEvent(event: SessionEvent): void {
    if (event.type === 'unread.changed') {
      this.unread = event.unread;
      this.folderUnread = this.session.me?.folders;
    }
    if (event.type === 'connection') this.connection = event.state;
    if (event.type === 'credentials.changed') this.#loadMe();
  }

  /**
   * Opens the compose dialog; `options` may tie the new conversation to a host record (`context`: kind, ref, title,
   * url) and fill in `subject`, `topicId` and `accountId`.
   */
  async openCompose(options?: ComposeOptions): Promise<void> {
    // Until its module is there, the dialog's place says so ("Loading…", or an error with Retry).
    this.#composeAsked = true;
    this.requestUpdate();
    await this.#parts.ready;
    this.requestUpdate();
    await this.updateComplete;
    return this.compose.show(options);
  }

  #showFolder(folder: Folder): void {
    this.view = 'folder';
    if (folder !== this.folder) {
      this.folder = folder;
      this.conversation = undefined;
      this.emit('secure-folder-change', { folder });
    }
  }

  #openConversation(event: CustomEvent<{ id: string }>): void {
    // Re-dispatched from the list: the host sees it on <secure-inbox> as well.
    this.conversation = event.detail.id;
    this.view = 'folder';
    this.#focusThread = true;
    this.requestUpdate();
  }

  #closeThread(): void {
    const hadFocus = this.matches(':focus-within');
    this.conversation = undefined;
    if (hadFocus) this.updateComplete.then(() => this.list?.focusRow());
  }

  /** "Next message": the next conversation in the list; at its end the thread says so (the event is cancelled). */
  #next(event: Event): void {
    const next = this.list?.idAfter(this.conversation);
    if (!next) return event.preventDefault();
    this.conversation = next;
    this.emit('secure-conversation-open', { id: next });
    this.#focusThread = true;
  }

  #leftThread(): void {
    this.#closeThread();
    this.list?.reload();
  }

  #sent(event: CustomEvent<{ conversation?: { id: string } }>): void {
    if (event.detail.conversation) {
      this.view = 'folder';
      this.conversation = event.detail.conversation.id;
    }
    this.#changed();
  }

  /** Something was answered or re-assigned: the list and the queue counts are read again. */
  #changed(): void {
    this.list?.reload();
    this.queues?.refresh();
  }

  /** The list's empty state cleared the search or turned "Unread only" off: the controls follow, and take focus. */
  #filterChange({ detail }: CustomEvent<{ q?: string; unreadOnly?: boolean }>): void {
    const search = detail.q !== undefined;
    const field = this.renderRoot.querySelector(search ? '#q' : '[part~="unread-toggle"]') as HTMLInputElement;
    Object.assign(this, detail);
    if (search) {
      // A search still waiting to run would bring the words back.
      clearTimeout(this.#searchTimer);
      field.value = '';
    }
    field.focus();
  }

  #search(value: string, delay: number): void {
    clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => (this.q = value.trim()), delay);
  }

  override render() {
    if (this.staff) this.#parts.start();
    const t = this.t;
    const label = { inbox: t.inbox, sent: t.sent, trash: t.trash };
    const thread = Boolean(this.conversation) && this.view === 'folder';
    const locale = localeOf(this);
    return html`<div part="base" class="base ${thread || this.view !== 'folder' ? 'has-detail' : 'no-detail'}">
      <slot name="banner"></slot>
      <slot name="header"></slot>
      <div class="layout">
        <nav part="nav" class="nav" aria-label=${t.folders}>
          <button part="button compose-button" class="button primary compose-button" type="button" @click=${() => this.openCompose().catch(() => undefined)}>${t.compose}</button>
          <ul class="folders">
            ${folders.map((folder) => {
              const current = this.view === 'folder' && this.folder === folder;
              return html`<li>
                <button
                  part=${current ? 'folder folder-current' : 'folder'}
                  class="folder"
                  type="button"
                  aria-current=${current ? 'page' : 'false'}
                  @click=${() => this.#showFolder(folder)}
                >
                  <span class="folder-name">${label[folder]}</span>
                  ${(() => {
                    const count = folder === 'inbox' ? this.unread : this.folderUnread?.[folder].unread;
                    return count
                      ? html`<span part="count" class="count"
                          ><span aria-hidden="true">${count}</span><span class="sr-only">${plural(t.unreadMessages, count, locale)}</span></span
                        >`
                      : nothing;
                  })()}
                </button>
              </li>`;
            })}
            <li>
              <button
                part=${this.view === 'status' ? 'folder folder-current' : 'folder'}
                class="folder"
                type="button"
                aria-current=${this.view === 'status' ? 'page' : 'false'}
                @click=${() => {
                  this.view = 'status';
                  this.conversation = undefined;
                }}
              >
                ${t.statusTab}
              </button>
            </li>
            ${
              this.staff
                ? html`<li>
                  <button
                    part=${this.view === 'replies' ? 'folder folder-current' : 'folder'}
                    class="folder"
                    type="button"
                    aria-current=${this.view === 'replies' ? 'page' : 'false'}
                    @click=${() => {
                      this.view = 'replies';
                      this.conversation = undefined;
                    }}
                  >
                    ${t.savedReplies}
                  </button>
                </li>`
                : nothing
            }
          </ul>
          <span class="sr-only" role="status">${this.unread !== undefined ? plural(t.unreadInInbox, this.unread, locale) : ''}</span>
          ${
            this.staff && this.#parts.loaded
              ? html`<secure-notification-centre
                theme=${this.theme}
                exportparts="notifications-button, notifications-count, notifications, notification, notification-unread, mark-all-read, ${commonParts}"
                @secure-conversation-open=${this.#openConversation}
              ></secure-notification-centre>`
              : nothing
          }
          ${
            this.connection && this.connection !== 'connecting'
              ? html`<span part="connection" class="chip" role="status"
                >${this.connection === 'live' ? t.connectionLive : this.connection === 'offline' ? t.connectionOffline : this.connection === 'paused' ? t.connectionPaused : t.connectionReconnecting}</span
              >`
              : nothing
          }
        </nav>
        <section part="list-pane" class="list-pane" aria-label=${label[this.folder]} ?hidden=${this.view !== 'folder'}>
          <form part="search" class="search" role="search" @submit=${(event: Event) => {
            event.preventDefault();
            this.#search((event.target as HTMLFormElement).q.value, 0);
          }}>
            <label class="sr-only" for="q">${t.search}</label>
            <input
              part="search-input"
              id="q"
              name="q"
              type="search"
              aria-describedby="search-hint"
              autocomplete="off"
              @input=${(event: Event) => this.#search((event.target as HTMLInputElement).value, 400)}
            />
            <button part="button search-button" class="button" type="submit">${t.searchButton}</button>
            <label class="check"
              ><input
                part="unread-toggle"
                type="checkbox"
                .checked=${this.unreadOnly}
                @change=${(event: Event) => {
                  this.unreadOnly = (event.target as HTMLInputElement).checked;
                  this.#unreadChoice[this.folder] = this.unreadOnly;
                }}
              />
              ${t.unreadOnly}</label
            >
            ${
              this.staff
                ? nothing
                : html`<label class="check"
                  >${t.statusFilter}
                  <select
                    part="status-filter"
                    @change=${(event: Event) => {
                      const status = (event.target as HTMLSelectElement).value;
                      this.queue = status ? ({ status } as QueueFilter) : undefined;
                    }}
                  >
                    ${(
                      [
                        ['', t.all],
                        ['open', t.statusOpen],
                        ['waiting_for_me', t.waitingForMe],
                        ['answered', t.statusAnswered],
                        ['solved', t.solved],
                      ] as const
                    ).map(([status, label]) => html`<option value=${status}>${label}</option>`)}
                  </select></label
                >`
            }
            <small part="search-hint" id="search-hint" class="search-hint">${t.searchHint}</small>
          </form>
          ${
            this.staff && this.folder === 'inbox'
              ? this.#parts.render(
                  t,
                  () => html`<secure-queue-filters
                exportparts="queues, queue-status, queue-assignee, queue-account, queue-oldest"
                theme=${this.theme}
                .status=${this.queue?.status ?? ''}
                .assignee=${this.queue?.assignee ?? ''}
                .accountId=${this.queue?.accountId ?? ''}
                .oldest=${this.queue?.sort === 'oldest'}
                @secure-queue-change=${(event: CustomEvent<QueueFilter>) => (this.queue = event.detail)}
              ></secure-queue-filters>`,
                )
              : nothing
          }
          <secure-conversation-list
            class="list"
            exportparts="${listParts}, ${commonParts}"
            theme=${this.theme}
            .folder=${this.folder}
            .q=${this.q}
            .unreadOnly=${this.unreadOnly}
            .selected=${this.conversation}
            .queue=${this.staff && this.folder !== 'inbox' ? undefined : this.queue}
            @secure-conversation-open=${this.#openConversation}
            @secure-filter-change=${this.#filterChange}
            ><slot name="empty" slot="empty">${t.empty}</slot
          ></secure-conversation-list>
        </section>
        <section part="detail" class="detail" aria-label=${this.view === 'status' ? t.statusTab : this.view === 'replies' ? t.savedReplies : t.messages}>
          ${
            this.view === 'replies'
              ? this.#parts.render(
                  t,
                  () => html`<secure-saved-replies
                exportparts="saved-replies, new-reply, replies, saved-reply-item, edit-reply, delete-reply, read-only, reply-form, field, load-more, ${editorParts}, ${commonParts}"
                theme=${this.theme}
              ></secure-saved-replies>`,
                )
              : this.view === 'status'
                ? this.#parts.render(
                    t,
                    () => html`<secure-status-tab
                exportparts="status-tab, messages, message, message-body, open-conversation, ${commonParts}"
                theme=${this.theme}
                @secure-conversation-open=${this.#openConversation}
              ></secure-status-tab>`,
                  )
                : this.conversation
                  ? this.#parts.render(
                      t,
                      () => html`<secure-thread-view
                  exportparts="${threadParts}, ${commonParts}"
                  theme=${this.theme}
                  .conversationId=${this.conversation}
                  .folder=${this.folder}
                  @secure-thread-close=${this.#closeThread}
                  @secure-next-conversation=${this.#next}
                  @secure-conversation-unread=${this.#leftThread}
                  @secure-conversation-trash=${this.#leftThread}
                  @secure-conversation-restore=${this.#leftThread}
                  @secure-conversation-leave=${this.#leftThread}
                  @secure-sent=${this.#sent}
                  @secure-conversation-update=${this.#changed}
                ></secure-thread-view>`,
                    )
                  : html`<p part="placeholder" class="placeholder">${t.selectConversation}</p>`
          }
        </section>
      </div>
      <slot name="footer"></slot>
      ${
        this.#composeAsked || this.#parts.loaded
          ? this.#parts.render(
              t,
              () => html`<secure-compose-dialog
            exportparts="compose, compose-title, field, recipients, close, send, ${editorParts}, ${commonParts}, ${attachParts}"
            theme=${this.theme}
            .context=${this.context}
            @secure-sent=${this.#sent}
          ></secure-compose-dialog>`,
            )
          : nothing
      }
    </div>`;
  }
}

SecureInbox.define('secure-inbox');

declare global {
  interface HTMLElementTagNameMap {
    'secure-inbox': SecureInbox;
  }
}
