import type { Conversation, PatchConversationBody, UserRef } from '@secure-inbox/protocol';
import { html, nothing, type PropertyValues, type PropertyDeclarations } from 'lit';
import { localeOf, statusLabel } from '../../internal/format.js';
import { fmt, plural } from '../../internal/i18n.js';
import { SecureElement } from '../../internal/secure-element.js';
import type { Session } from '../../internal/session.js';
import { shared } from '../../internal/shared.styles.js';
import { errorMessage } from '../../internal/states.js';
import { styles } from './conversation-controls.styles.js';

const statuses = ['open', 'attentive', 'answered', 'resolved'] as const;

/**
 * @summary Staff controls of one conversation, for the thread header: the assignee (the account's staff, or
 * Unassigned), the status, and "Notify administrators". Each change is saved at once and confirmed in a live region.
 *
 * @csspart controls - The whole group.
 * @csspart assignee - The assignee select: the account's staff by name, the signed-in staff member included.
 * @csspart assign-me - Staff: the "Assign to me" button, unless the conversation is theirs already.
 * @csspart status-select - The status select.
 * @csspart notify-admins - The "Notify administrators" button.
 * @csspart result - The confirmation ("Saved", "3 administrators notified").
 * @csspart button - Every button.
 * @csspart error - A failed change.
 *
 * @fires secure-conversation-update - Saved; `detail: { conversation }`.
 * @fires secure-admins-notified - `detail: { conversationId, notified }`.
 * @fires secure-error - `detail: { error }`.
 */
export class SecureConversationControls extends SecureElement {
  static override properties: PropertyDeclarations = {
    session: { state: true },
    conversation: { attribute: false },
    people: { state: true },
    result: { state: true },
    error: { state: true },
    busy: { state: true },
  };

  static override sessionField = 'session';

  static override styles = [shared, styles];

  session?: Session;

  /** The conversation being handled. */
  conversation?: Conversation;

  private people?: UserRef[];
  private result = '';
  private error?: unknown;
  private busy = false;

  #account?: string;

  protected override willUpdate(changed: PropertyValues<this>): void {
    const account = this.conversation?.accountId;
    if ((changed.has('conversation') || changed.has('session')) && account && this.session && account !== this.#account) {
      this.#account = account;
      this.people = undefined;
      // The directory leaves the caller out: a staff member is offered to themselves too.
      Promise.all([this.session.api.directory(account), this.session.loadMe()])
        .then(([people, me]) => {
          if (account === this.#account)
            this.people = [...(me.user.role === 'staff' ? [me.user] : []), ...people].filter((person) => person.role !== 'customer');
        })
        .catch((error) => (this.error = error));
    }
    if (changed.get('conversation')?.id !== undefined && changed.get('conversation')?.id !== this.conversation?.id) {
      this.result = '';
      this.error = undefined;
    }
  }

  async #run<T>(work: () => Promise<T>, done: (value: T) => string): Promise<void> {
    this.busy = true;
    this.error = undefined;
    this.result = '';
    try {
      this.result = done(await work());
    } catch (error) {
      this.error = error;
      this.emit('secure-error', { error });
    } finally {
      this.busy = false;
    }
  }

  #patch(select: HTMLSelectElement, key: 'status' | 'assigneeId'): Promise<void> {
    const before = this.conversation!;
    const field = key === 'status' ? this.t.status : this.t.assignee;
    const value = select.selectedOptions[0]?.text ?? '';
    return this.#run(
      () => this.session!.api.patchConversation(before.id, { [key]: select.value || null } as PatchConversationBody),
      (updated) => {
        this.conversation = updated;
        this.emit('secure-conversation-update', { conversation: updated });
        return fmt(this.t.savedField, { field, value });
      },
    ).then(() => {
      // A failed change shows the saved value again.
      if (this.error) select.value = before[key] ?? '';
    });
  }

  override render() {
    const t = this.t;
    const c = this.conversation;
    if (!c) return nothing;
    const people = this.people ?? [];
    const known = !c.assigneeId || people.some((person) => person.id === c.assigneeId);
    const me = this.session?.me?.user;
    return html`<div part="controls" class="controls" role="group" aria-label=${t.conversationActions}>
      <label
        >${t.assignee}
        <select part="assignee" ?disabled=${this.busy} @change=${(event: Event) => this.#patch(event.target as HTMLSelectElement, 'assigneeId')}>
          <option value="" ?selected=${!c.assigneeId}>${t.unassigned}</option>
          ${known ? nothing : html`<option value=${c.assigneeId!} selected>${c.assigneeId}</option>`}
          ${people.map((person) => html`<option value=${person.id} ?selected=${person.id === c.assigneeId}>${person.name}</option>`)}
        </select></label
      >
      ${
        me?.role === 'staff' && c.assigneeId !== me.id
          ? html`<button part="button assign-me" class="button" type="button" ?disabled=${this.busy} @click=${() => {
              // As if they had picked themselves in the list, which then has focus.
              const select = this.renderRoot.querySelector('select')!;
              select.value = me.id;
              this.#patch(select, 'assigneeId').then(() => select.focus());
            }}>${t.assignToMe}</button>`
          : nothing
      }
      <label
        >${t.status}
        <select part="status-select" aria-describedby="status-help" ?disabled=${this.busy} @change=${(event: Event) => this.#patch(event.target as HTMLSelectElement, 'status')}>
          ${statuses.map((status) => html`<option value=${status} ?selected=${status === c.status}>${statusLabel(t, status)}</option>`)}
        </select></label
      >
      <button part="button notify-admins" class="button" type="button" ?disabled=${this.busy} @click=${() =>
        this.#run(
          () => this.session!.api.notifyAdmins(c.id),
          (notified) => {
            this.emit('secure-admins-notified', { conversationId: c.id, notified });
            return plural(this.t.adminsNotified, notified, localeOf(this));
          },
        )}>
        ${t.notifyAdmins}
      </button>
      <span id="status-help" class="hint">${t.statusHelp}</span>
      <span part="result" class="hint" role="status">${this.result}</span>
      ${this.error ? html`<span part="error" class="error-text" role="alert">${errorMessage(t, this.error)}</span>` : nothing}
    </div>`;
  }
}

SecureConversationControls.define('secure-conversation-controls');

declare global {
  interface HTMLElementTagNameMap {
    'secure-conversation-controls': SecureConversationControls;
  }
}
