import type { Account, SavedReply, SavedReplyPage, SavedReplyPlaceholder } from '@secure-inbox/protocol';
import { html, nothing, type PropertyDeclarations } from 'lit';
import { ApiError } from '../../internal/api.js';
import { fmt } from '../../internal/i18n.js';
import { textOf } from '../../internal/sanitize.js';
import { SessionFollower } from '../../internal/session-root.js';
import { shared } from '../../internal/shared.styles.js';
import { errorMessage, renderEmpty, renderError, renderLoading } from '../../internal/states.js';
import type { SecureRichEditor } from '../rich-editor/rich-editor.js';
import '../rich-editor/rich-editor.js';
import { styles } from './saved-replies.styles.js';

type FieldErrors = { title?: string; body?: string; form?: string };

/** The placeholders the server fills (protocol's `savedReplyPlaceholders`, held equal by the type, without zod at run time). */
const placeholders = Object.keys({ 'customer.firstName': 1, 'conversation.subject': 1, 'staff.name': 1 } satisfies Record<SavedReplyPlaceholder, 1>);

/**
 * @summary Staff: the saved replies they may use (their accounts' and the shared ones), to create, change and delete.
 * Shared replies are changed by admins only; staff see them read-only. Problems the server names (an unknown
 * placeholder, a bound) are shown at their field. Works alone (`api-base`, `token`) or inside `<secure-inbox>`.
 *
 * @csspart saved-replies - The whole view.
 * @csspart new-reply - The "New saved reply" button.
 * @csspart replies - The list.
 * @csspart saved-reply-item - One saved reply.
 * @csspart edit-reply - Its Edit button.
 * @csspart delete-reply - Its Delete button, and the button that confirms it.
 * @csspart read-only - "Shared: changed by admins", instead of the buttons.
 * @csspart reply-form - The form that creates or changes one.
 * @csspart field - Each labelled field.
 * @csspart error - A validation message, and the error state.
 * @csspart button - Every button.
 * @csspart loading - The loading state.
 * @csspart empty - The empty state.
 * @csspart retry - The Retry button of the error state.
 * @csspart load-more - "Load more", when there are more.
 *
 * @fires secure-error - `detail: { error }`.
 */
export class SecureSavedReplies extends SessionFollower {
  static override properties: PropertyDeclarations = {
    items: { state: true },
    accounts: { state: true },
    admin: { state: true },
    next: { state: true },
    failure: { state: true },
    editing: { state: true },
    confirming: { state: true },
    errors: { state: true },
    busy: { state: true },
    said: { state: true },
  };

  static override styles = [shared, styles];

  private items?: SavedReply[];
  private accounts: Account[] = [];
  private admin = false;
  private next: string | null = null;
  private failure?: unknown;
  /** The reply being changed, or `'new'`. */
  private editing?: SavedReply | 'new';
  /** The id of the reply whose deletion waits for a second press. */
  private confirming?: string;
  private errors: FieldErrors = {};
  private busy = false;
  /** What the live region says after a save or deletion. */
  private said = '';

  private get editor() {
    return this.renderRoot.querySelector('secure-rich-editor') as SecureRichEditor;
  }

  protected override follow(): void {
    this.#load();
  }

  async #load(cursor?: string): Promise<void> {
    this.failure = undefined;
    try {
      const [me, page] = await Promise.all([
        this.session.loadMe(),
        this.session.api.json<SavedReplyPage>('/saved-replies', { query: { limit: 100, ...(cursor ? { cursor } : {}) } }),
      ]);
      this.accounts = me.accounts;
      this.admin = me.user.role === 'admin';
      this.items = cursor ? [...(this.items ?? []), ...page.items] : page.items;
      this.next = page.nextCursor;
    } catch (error) {
      this.failure = error;
      this.emit('secure-error', { error });
    }
  }

  #mayChange = (reply: SavedReply) => reply.accountId !== null || this.admin;
  #accountName = (id: string | null) => (id === null ? this.t.sharedReply : (this.accounts.find((a) => a.id === id)?.name ?? id));

  async #focus(selector: string): Promise<void> {
    await this.updateComplete;
    (this.renderRoot.querySelector<HTMLElement>(selector) ?? this.renderRoot.querySelector<HTMLElement>('[part~="new-reply"]'))?.focus();
  }

  async #edit(reply: SavedReply | 'new'): Promise<void> {
    this.editing = reply;
    this.errors = {};
    this.confirming = undefined;
    await this.updateComplete;
    const editor = this.editor;
    await editor.updateComplete;
    editor.error = '';
    if (reply === 'new') editor.clear();
    else editor.value = reply.body;
    this.renderRoot.querySelector<HTMLElement>('#reply-title')?.focus();
  }

  #cancel(): void {
    const was = this.editing;
    this.editing = undefined;
    this.#focus(was && was !== 'new' ? `[data-id="${was.id}"] [part~="edit-reply"]` : '[part~="new-reply"]');
  }

  async #save(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this.busy || !this.editing) return;
    const t = this.t;
    const data = new FormData(event.target as HTMLFormElement);
    const title = String(data.get('title') ?? '').trim();
    const body = this.editor.value;
    const errors: FieldErrors = {};
    if (!title) errors.title = t.titleRequired;
    if (!body) errors.body = t.replyTextRequired;
    if (!errors.title && !errors.body) {
      this.busy = true;
      try {
        const editing = this.editing;
        const saved =
          editing === 'new'
            ? await this.session.api.json<{ savedReply: SavedReply }>('/saved-replies', {
                method: 'POST',
                json: { accountId: String(data.get('accountId')) || null, title, body },
              })
            : await this.session.api.json<{ savedReply: SavedReply }>(`/saved-replies/${encodeURIComponent(editing.id)}`, {
                method: 'PATCH',
                json: { title, body },
              });
        const reply = saved.savedReply;
        const others = (this.items ?? []).filter((r) => r.id !== reply.id);
        this.items = [...others, reply].sort((a, b) => a.title.localeCompare(b.title, undefined, { sensitivity: 'base' }));
        this.editing = undefined;
        this.said = fmt(t.savedReplySaved, { title: reply.title });
        await this.#focus(`[data-id="${reply.id}"] [part~="edit-reply"]`);
        return;
      } catch (error) {
        // The server names the field it refuses (an unknown placeholder, a bound): say so there.
        const details = error instanceof ApiError && Array.isArray(error.details) ? (error.details as { field?: string; message?: string }[]) : [];
        for (const { field, message } of details) if (field === 'title' || field === 'body') errors[field] = message;
        if (!errors.title && !errors.body) errors.form = errorMessage(t, error);
        this.emit('secure-error', { error });
      } finally {
        this.busy = false;
      }
    }
    this.errors = errors;
    this.editor.error = errors.body ?? '';
    await this.updateComplete;
    if (errors.title) this.renderRoot.querySelector<HTMLElement>('#reply-title')?.focus();
    else if (errors.body) this.editor.focus();
  }

  async #delete(reply: SavedReply): Promise<void> {
    if (this.confirming !== reply.id) {
      this.confirming = reply.id;
      this.said = fmt(this.t.confirmDeleteReply, { title: reply.title });
      return this.#focus(`[data-id="${reply.id}"] [part~="delete-reply"]`);
    }
    const items = this.items ?? [];
    const index = items.indexOf(reply);
    try {
      await this.session.api.fetch(`/saved-replies/${encodeURIComponent(reply.id)}`, { method: 'DELETE' });
      this.items = items.filter((r) => r !== reply);
      this.confirming = undefined;
      this.said = fmt(this.t.savedReplyDeleted, { title: reply.title });
      // Focus goes to the reply that took its place (or the one before it), else to "New saved reply".
      const nextItem = this.items[index] ?? this.items[index - 1];
      await this.#focus(nextItem ? `[data-id="${nextItem.id}"] button` : '[part~="new-reply"]');
    } catch (error) {
      this.said = errorMessage(this.t, error);
      this.emit('secure-error', { error });
    }
  }

  #renderForm() {
    const t = this.t;
    const editing = this.editing!;
    const errors = this.errors;
    const choices = this.admin ? [...this.accounts.map((a) => a.id), ''] : this.accounts.map((a) => a.id);
    return html`<form part="reply-form" class="form" aria-labelledby="form-title" novalidate @submit=${this.#save}>
      <h3 id="form-title">${editing === 'new' ? t.newSavedReply : fmt(t.editSavedReply, { title: editing.title })}</h3>
      ${
        editing === 'new'
          ? html`<label part="field" class="field"
            >${t.account}
            <select name="accountId">
              ${choices.map((id) => html`<option value=${id}>${this.#accountName(id || null)}</option>`)}
            </select></label
          >`
          : html`<p class="muted">${t.account}: ${this.#accountName(editing.accountId)}</p>`
      }
      <label part="field" class="field" for="reply-title">${t.replyTitle}</label>
      <input
        id="reply-title"
        name="title"
        maxlength="100"
        required
        autocomplete="off"
        .value=${editing === 'new' ? '' : editing.title}
        aria-invalid=${errors.title ? 'true' : 'false'}
        aria-describedby="title-error"
      />
      <p id="title-error" part="error" class="error-text" ?hidden=${!errors.title}>${errors.title}</p>
      <secure-rich-editor theme=${this.theme} .label=${t.replyText} exportparts="label, toolbar, tool, editor, link-form, button, error"></secure-rich-editor>
      <p class="muted">${fmt(t.placeholdersHint, { names: placeholders.map((name) => `{{${name}}}`).join(', ') })}</p>
      <p part="error" class="error-text" role="alert">${errors.form ?? ''}</p>
      <div class="actions">
        <button part="button" class="button" type="button" @click=${this.#cancel}>${t.cancel}</button>
        <button part="button" class="button primary" type="submit" ?disabled=${this.busy}>${t.save}</button>
      </div>
    </form>`;
  }

  override render() {
    const t = this.t;
    const items = this.items;
    return html`<div part="saved-replies" class="saved-replies">
      <div class="heading">
        <h2 id="replies-title">${t.savedReplies}</h2>
        <button part="button new-reply" class="button primary" type="button" ?hidden=${!items} @click=${() => this.#edit('new')}>${t.newSavedReply}</button>
      </div>
      <p class="sr-only" role="status">${this.said}</p>
      ${this.editing ? this.#renderForm() : nothing}
      ${
        this.failure && !items
          ? renderError(t, this.failure, () => this.#load())
          : !items
            ? renderLoading(t)
            : items.length
              ? html`<ul part="replies" class="replies" aria-labelledby="replies-title">
                  ${items.map(
                    (reply) => html`<li part="saved-reply-item" class="reply" data-id=${reply.id}>
                      <strong>${reply.title}</strong>
                      <span class="muted">${this.#accountName(reply.accountId)}</span>
                      <span class="text">${textOf(reply.body)}</span>
                      ${
                        !this.#mayChange(reply)
                          ? html`<span part="read-only" class="muted">${t.sharedReadOnly}</span>`
                          : html`<span class="actions">
                            <button part="button edit-reply" class="button" type="button" aria-label=${fmt(t.editSavedReply, { title: reply.title })}
                              @click=${() => this.#edit(reply)}>${t.edit}</button>
                            <button
                              part="button delete-reply"
                              class="button ${this.confirming === reply.id ? 'primary' : ''}"
                              type="button"
                              aria-label=${this.confirming === reply.id ? nothing : fmt(t.deleteSavedReply, { title: reply.title })}
                              @click=${() => this.#delete(reply)}
                              @keydown=${(event: KeyboardEvent) => event.key === 'Escape' && (this.confirming = undefined)}
                              @blur=${() => this.confirming === reply.id && (this.confirming = undefined)}
                            >
                              ${this.confirming === reply.id ? t.confirmDelete : t.delete}
                            </button>
                          </span>`
                      }
                    </li>`,
                  )}
                </ul>
                ${this.next ? html`<button part="button load-more" class="button" type="button" @click=${() => this.#load(this.next!)}>${t.loadMore}</button>` : nothing}`
              : renderEmpty(t.noSavedRepliesYet)
      }
    </div>`;
  }
}

SecureSavedReplies.define('secure-saved-replies');

declare global {
  interface HTMLElementTagNameMap {
    'secure-saved-replies': SecureSavedReplies;
  }
}
