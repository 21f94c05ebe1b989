import type { Account, QueueCounts } from '@secure-inbox/protocol';
import { html, nothing, type PropertyDeclarations } from 'lit';
import { statusLabel } from '../../internal/format.js';
import { fmt } from '../../internal/i18n.js';
import { SecureElement } from '../../internal/secure-element.js';
import type { Session } from '../../internal/session.js';
import { shared } from '../../internal/shared.styles.js';
import { styles } from './queue-filters.styles.js';

const statuses = ['open', 'attentive', 'answered', 'resolved'] as const;

/** The list query the filters stand for (empty strings mean "all"). */
export interface QueueFilter {
  status: string;
  assignee: string;
  accountId: string;
  sort: '' | 'oldest';
}

/**
 * @summary Staff queues above the conversation list: status, assigned to me / unassigned / all, the account (when the
 * user has several), each option with its count from `GET /queues`, and "Oldest waiting first".
 *
 * @csspart queues - The group of filters.
 * @csspart queue-status - The status select.
 * @csspart queue-assignee - The assignee select.
 * @csspart queue-account - The account select.
 * @csspart queue-oldest - The "Oldest waiting first" checkbox.
 *
 * @fires secure-queue-change - A filter changed; `detail: { status, assignee, accountId, sort }` (empty = all).
 * @fires secure-error - Counts could not be loaded; `detail: { error }`.
 */
export class SecureQueueFilters extends SecureElement {
  static override properties: PropertyDeclarations = {
    session: { state: true },
    status: {},
    assignee: {},
    accountId: { attribute: 'account-id' },
    oldest: { type: Boolean },
    counts: { state: true },
    accounts: { state: true },
  };

  static override sessionField = 'session';

  static override styles = [shared, styles];

  session?: Session;

  /** `open` | `attentive` | `answered` | `resolved`, or empty for all. */
  status = '';

  /** `me`, `none`, or empty for all. */
  assignee = '';

  /** One account, or empty for all. */
  accountId = '';

  /** Oldest waiting first. */
  oldest = false;

  private counts?: QueueCounts;
  private accounts: Account[] = [];

  #run = 0;

  /** Reads the counts again (after an answer or a status change). */
  async refresh(): Promise<void> {
    const session = this.session;
    if (!session) return;
    const run = ++this.#run;
    try {
      const [counts, me] = await Promise.all([
        session.api.queues({ accountId: this.accountId, status: this.status, assignee: this.assignee }),
        session.loadMe(),
      ]);
      if (run !== this.#run) return;
      this.counts = counts;
      this.accounts = me.accounts;
    } catch (error) {
      this.emit('secure-error', { error });
    }
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (['session', 'status', 'assignee', 'accountId'].some((key) => changed.has(key))) this.refresh();
  }

  #change(event: Event): void {
    const target = event.target as HTMLInputElement;
    if (target.type === 'checkbox') this.oldest = target.checked;
    else this[target.name as 'status' | 'assignee' | 'accountId'] = target.value;
    this.emit<QueueFilter>('secure-queue-change', {
      status: this.status,
      assignee: this.assignee,
      accountId: this.accountId,
      sort: this.oldest ? 'oldest' : '',
    });
  }

  override render() {
    const t = this.t;
    const counts = this.counts;
    const label = (text: string, count?: number) => (count === undefined ? text : fmt(t.withCount, { label: text, count }));
    const option = (value: string, current: string, text: string, count?: number) =>
      html`<option value=${value} ?selected=${value === current}>${label(text, count)}</option>`;
    const total = counts ? statuses.reduce((sum, status) => sum + counts.status[status], 0) : undefined;
    return html`<div part="queues" class="queues" role="group" aria-label=${t.queues} @change=${this.#change}>
      <label
        >${t.status}
        <select part="queue-status" name="status">
          ${option('', this.status, t.all, total)} ${statuses.map((status) => option(status, this.status, statusLabel(t, status), counts?.status[status]))}
        </select></label
      >
      <label
        >${t.assignee}
        <select part="queue-assignee" name="assignee">
          ${option('', this.assignee, t.all, counts?.assignee.all)} ${option('me', this.assignee, t.assignedToMe, counts?.assignee.me)}
          ${option('none', this.assignee, t.unassigned, counts?.assignee.none)}
        </select></label
      >
      ${
        this.accounts.length > 1
          ? html`<label
            >${t.account}
            <select part="queue-account" name="accountId">
              ${option('', this.accountId, t.allAccounts)} ${this.accounts.map((account) => option(account.id, this.accountId, account.name))}
            </select></label
          >`
          : nothing
      }
      <label><input part="queue-oldest" type="checkbox" .checked=${this.oldest} /> ${t.oldestFirst}</label>
    </div>`;
  }
}

SecureQueueFilters.define('secure-queue-filters');

declare global {
  interface HTMLElementTagNameMap {
    'secure-queue-filters': SecureQueueFilters;
  }
}
