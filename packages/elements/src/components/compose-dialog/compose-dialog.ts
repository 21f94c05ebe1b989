import type { Account, Context, CreateConversationBody, ReplyTimes, Topic, UserRef } from '@secure-inbox/protocol';
import { html, nothing, type PropertyDeclarations } from 'lit';
import { ApiError } from '../../internal/api.js';
import { deepActiveElement, flagLabel, localeOf, replyTime } from '../../internal/format.js';
import { SecureElement } from '../../internal/secure-element.js';
import type { Session } from '../../internal/session.js';
import { shared } from '../../internal/shared.styles.js';
import { errorMessage, renderError, renderLoading } from '../../internal/states.js';
import type { SecureRichEditor } from '../rich-editor/rich-editor.js';
import '../rich-editor/rich-editor.js';
import { allowDrop, type SecureAttachmentPicker } from '../attachment-picker/attachment-picker.js';
import { styles } from './compose-dialog.styles.js';

/** What `show()` (and `<secure-inbox>`'s `openCompose()`) may fill in. */
export interface ComposeOptions {
  /** The account to write in (when the user has several). */
  accountId?: string;
  /** The host record the conversation is about; its `url` becomes the thread's "View …" link. */
  context?: Context;
  subject?: string;
  /** A topic id from `GET /topics`. */
  topicId?: string;
}

/**
 * @summary The new-message dialog (a native modal `<dialog>`): account picker when the user has several accounts,
 * topic, recipients from the account's directory (required for staff, optional for customers), subject and a
 * formatted body. Focus returns to the opener when it closes.
 *
 * @csspart compose - The dialog.
 * @csspart compose-title - The heading.
 * @csspart field - Each labelled field.
 * @csspart recipients - The recipient group.
 * @csspart editor - The body's editable area.
 * @csspart toolbar - The formatting toolbar.
 * @csspart close - The close button in the heading.
 * @csspart send - The Send button.
 * @csspart button - Every button.
 * @csspart loading - Accounts, topics and recipients loading.
 * @csspart error - A validation or send error.
 * @csspart retry - The Retry button of an error.
 * @csspart expected-reply - Customers: how soon the account (or the chosen topic) usually answers, when it says so.
 * @csspart attach - The "Attach files" button; also `attachment-list`, `attachment-chip`, `progress`, `cancel-upload`, `remove-attachment`.
 *
 * @cssprop --secure-compose-width - The dialog's width (default 36rem).
 *
 * @fires secure-before-send - Cancelable; `detail: { request }` (the POST /conversations body). Call `preventDefault()` to veto.
 * @fires secure-sent - The conversation was created; `detail: { conversation }`.
 * @fires secure-compose-close - The dialog closed.
 * @fires secure-error - `detail: { error }`.
 */
export class SecureComposeDialog extends SecureElement {
  static override properties: PropertyDeclarations = {
    session: { state: true },
    context: { attribute: false },
    about: { state: true },
    ready: { state: true },
    loadError: { state: true },
    accounts: { state: true },
    topics: { state: true },
    staff: { state: true },
    accountId: { state: true },
    directory: { state: true },
    directoryError: { state: true },
    errors: { state: true },
    sendError: { state: true },
    sending: { state: true },
    replyTimes: { state: true },
    topicId: { state: true },
  };

  static override sessionField = 'session';

  static override styles = [shared, styles];

  session?: Session;

  /** A host record new conversations are tied to (a permit, a matter). */
  context?: Context;

  /** The record this message is about: `show({ context })`, else `context`. */
  private about?: Context;

  private ready = false;
  private loadError?: unknown;
  private accounts: Account[] = [];
  private topics: Topic[] = [];
  private staff = false;
  private accountId = '';
  private directory?: UserRef[];
  private directoryError?: unknown;
  private errors: { subject?: string; recipients?: string; body?: string } = {};
  private sendError = '';
  private sending = false;
  /** Customers: the chosen account's expected reply times. */
  private replyTimes?: ReplyTimes;
  private topicId = '';

  private get dialog() {
    return this.renderRoot?.querySelector('dialog') as HTMLDialogElement;
  }
  private get editor() {
    return this.renderRoot?.querySelector('secure-rich-editor') as SecureRichEditor;
  }
  private get picker() {
    return this.renderRoot?.querySelector('secure-attachment-picker') as SecureAttachmentPicker | null;
  }

  #opener?: HTMLElement;

  /** Whether the dialog is showing. */
  get open(): boolean {
    return this.dialog?.open ?? false;
  }

  /**
   * Opens the dialog and loads what the form needs; `options` may choose the account, tie the message to a host
   * record (`context`) and fill in the subject and topic.
   */
  async show(options: ComposeOptions = {}): Promise<void> {
    await this.updateComplete;
    if (this.dialog.open) return;
    this.#opener = (deepActiveElement() as HTMLElement | null) ?? undefined;
    this.errors = {};
    this.sendError = '';
    this.about = options.context ?? this.context;
    this.dialog.showModal();
    await this.#load(options.accountId);
    await this.updateComplete;
    for (const name of ['subject', 'topicId'] as const) {
      const field = this.renderRoot.querySelector<HTMLInputElement>(`[name=${name}]`);
      if (field && options[name]) field.value = options[name];
    }
    this.topicId = options.topicId ?? '';
    this.renderRoot.querySelector<HTMLElement>('select, input')?.focus();
  }

  /** Closes without sending. */
  hide(): void {
    if (this.dialog?.open) this.dialog.close();
  }

  async #load(accountId?: string): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.loadError = undefined;
    try {
      const [me, topics] = await Promise.all([session.loadMe(), session.api.topics()]);
      this.accounts = me.accounts;
      this.topics = topics;
      this.staff = me.user.role !== 'customer';
      const chosen = accountId && me.accounts.some((a) => a.id === accountId) ? accountId : this.accountId || me.accounts[0]?.id || '';
      this.ready = true;
      await this.#selectAccount(chosen);
    } catch (error) {
      this.loadError = error;
      this.emit('secure-error', { error });
    }
  }

  async #selectAccount(accountId: string): Promise<void> {
    if (accountId === this.accountId && this.directory) return;
    // Topics belong to accounts: a topic chosen for another one is not offered here.
    const topic = this.renderRoot.querySelector<HTMLSelectElement>('[name=topicId]');
    if (topic) topic.value = '';
    this.accountId = accountId;
    this.topicId = '';
    this.directory = undefined;
    this.directoryError = undefined;
    this.replyTimes = undefined;
    if (!accountId || !this.session) return;
    // Customers are told how soon they will hear back; without it (none set, or it failed) the form says nothing.
    if (!this.staff)
      this.session.api.replyTimes(accountId).then(
        (times) => accountId === this.accountId && (this.replyTimes = times),
        () => undefined,
      );
    try {
      const people = await this.session.api.directory(accountId);
      if (accountId === this.accountId) this.directory = people.filter((person) => person.id !== this.session?.me?.user.id);
    } catch (error) {
      this.directoryError = error;
      this.emit('secure-error', { error });
    }
  }

  #onClose(): void {
    this.emit('secure-compose-close');
    const opener = this.#opener;
    this.#opener = undefined;
    if (opener?.isConnected) opener.focus();
  }

  async #submit(event: Event): Promise<void> {
    event.preventDefault();
    if (this.sending) return;
    const t = this.t;
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const subject = String(data.get('subject') ?? '').trim();
    const topicId = String(data.get('topicId') ?? '');
    const recipientIds = data.getAll('recipientId').map(String);
    const body = this.editor.value;
    const errors: typeof this.errors = {};
    if (!subject) errors.subject = t.subjectRequired;
    if (this.staff && !recipientIds.length) errors.recipients = t.recipientsRequired;
    if (!body) errors.body = t.bodyRequired;
    this.errors = errors;
    this.editor.error = errors.body ?? '';
    this.sendError = '';
    if (Object.keys(errors).length) {
      await this.updateComplete;
      const first = errors.subject ? '#subject' : errors.recipients ? '[name="recipientId"]' : null;
      if (first) this.renderRoot.querySelector<HTMLElement>(first)?.focus();
      else this.editor.focus();
      return;
    }
    const request: CreateConversationBody = { accountId: this.accountId, subject, body };
    if (topicId) request.topicId = topicId;
    if (recipientIds.length) request.recipientIds = recipientIds;
    if (this.about) request.context = this.about;
    const hold = this.picker?.hold;
    if (hold) {
      this.sendError = hold;
      return;
    }
    if (this.picker?.ids.length) request.attachmentIds = this.picker.ids;
    if (data.get('notifyAdmins')) request.notifyAdmins = true;
    if (this.emit('secure-before-send', { request }, { cancelable: true }).defaultPrevented) {
      this.sendError = t.sendVetoed;
      return;
    }
    this.sending = true;
    try {
      const conversation = await this.session!.api.createConversation(request);
      form.reset();
      this.editor.clear();
      this.picker?.clear();
      this.dialog.close();
      this.emit('secure-sent', { conversation });
    } catch (error) {
      // The server insists on a recipient (staff): say so at the field, not only at the bottom.
      if (error instanceof ApiError && error.fields.includes('recipientIds')) this.errors = { recipients: t.recipientsRequired };
      else this.sendError = errorMessage(t, error);
      this.emit('secure-error', { error });
    } finally {
      this.sending = false;
    }
  }

  override render() {
    const t = this.t;
    return html`<dialog part="compose" class="dialog" aria-labelledby="compose-title" @close=${this.#onClose}>
      <div class="head">
        <h2 id="compose-title" part="compose-title">${t.composeTitle}</h2>
        <button part="button close" class="button quiet icon" type="button" aria-label=${t.close} title=${t.close} @click=${() => this.hide()}>
          <span aria-hidden="true">×</span>
        </button>
      </div>
      ${this.loadError ? renderError(t, this.loadError, () => this.#load()) : !this.ready ? renderLoading(t) : this.#renderForm()}
    </dialog>`;
  }

  /** The topic's expected reply time, else the account's. */
  #renderReplyTime() {
    const times = this.replyTimes;
    const time = times?.topics.find((topic) => topic.topicId === this.topicId)?.replyTime ?? times?.replyTime;
    return time ? html`<p part="expected-reply" class="hint" role="status">${replyTime(this.t, time, localeOf(this))}</p>` : nothing;
  }

  #renderForm() {
    const t = this.t;
    const errors = this.errors;
    const topics = this.topics.filter((topic) => !topic.accountId || topic.accountId === this.accountId);
    return html`<form
      class="form"
      novalidate
      @submit=${this.#submit}
      @dragover=${allowDrop}
      @drop=${(event: DragEvent) => this.picker?.drop(event)}
      @paste=${(event: ClipboardEvent) => this.picker?.drop(event)}
    >
      ${
        this.accounts.length > 1
          ? html`<label part="field" class="field"
            >${t.chooseAccount}
            <select name="accountId" @change=${(event: Event) => this.#selectAccount((event.target as HTMLSelectElement).value)}>
              ${this.accounts.map((a) => html`<option value=${a.id} ?selected=${a.id === this.accountId}>${a.name}</option>`)}
            </select></label
          >`
          : nothing
      }
      ${
        topics.length
          ? html`<label part="field" class="field"
            >${t.topic}
            <select name="topicId" @change=${(event: Event) => (this.topicId = (event.target as HTMLSelectElement).value)}>
              <option value="">${t.noTopic}</option>
              ${topics.map((topic) => html`<option value=${topic.id} title=${topic.description}>${topic.name}</option>`)}
            </select></label
          >`
          : nothing
      }
      ${this.#renderReplyTime()}
      <fieldset part="field recipients" class="recipients" aria-describedby="recipients-hint recipients-error" aria-invalid=${errors.recipients ? 'true' : 'false'}>
        <legend>${t.recipients}${this.staff ? html`<span aria-hidden="true"> *</span>` : nothing}</legend>
        ${
          this.directoryError
            ? renderError(t, this.directoryError, () => {
                this.directory = undefined;
                const id = this.accountId;
                this.accountId = '';
                this.#selectAccount(id);
              })
            : !this.directory
              ? renderLoading(t)
              : !this.directory.length
                ? html`<p class="hint">${t.noOneToAddress}</p>`
                : this.directory.map(
                    (person) => html`<label class="check"
                  ><input type="checkbox" name="recipientId" value=${person.id} /> ${person.name}
                  <span class="muted">(${flagLabel(t, person)})</span></label
                >`,
                  )
        }
        <p id="recipients-hint" class="hint">${this.staff ? t.recipientsRequired : t.recipientsOptional}</p>
        <p id="recipients-error" part="error" class="error-text" ?hidden=${!errors.recipients}>${errors.recipients}</p>
      </fieldset>
      <label part="field" class="field" for="subject">${t.subject}</label>
      <input
        id="subject"
        name="subject"
        maxlength="200"
        required
        autocomplete="off"
        aria-invalid=${errors.subject ? 'true' : 'false'}
        aria-describedby="subject-error"
      />
      <p id="subject-error" part="error" class="error-text" ?hidden=${!errors.subject}>${errors.subject}</p>
      <secure-rich-editor theme=${this.theme} .label=${t.body} exportparts="label, toolbar, tool, editor, link-form, button, error"></secure-rich-editor>
      <secure-attachment-picker
        theme=${this.theme}
        .session=${this.session}
        exportparts="attach, attachment-list, attachment-chip, progress, cancel-upload, remove-attachment, button, error"
      ></secure-attachment-picker>
      ${this.staff ? html`<label class="check"><input type="checkbox" name="notifyAdmins" /> ${t.notifyAllAdmins}</label>` : nothing}
      <p part="error" class="error-text" role="alert">${this.sendError}</p>
      <div class="actions">
        <button part="button" class="button" type="button" @click=${() => this.hide()}>${t.cancel}</button>
        <button part="button send" class="button primary" type="submit" ?disabled=${this.sending}>${this.sending ? t.sending : t.send}</button>
      </div>
    </form>`;
  }
}

SecureComposeDialog.define('secure-compose-dialog');

declare global {
  interface HTMLElementTagNameMap {
    'secure-compose-dialog': SecureComposeDialog;
  }
}
