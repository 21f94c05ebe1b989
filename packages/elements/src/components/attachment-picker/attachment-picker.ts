import type { Attachment } from '@secure-inbox/protocol';
import { html, nothing, type PropertyDeclarations } from 'lit';
import { ApiError } from '../../internal/api.js';
import { fileSize } from '../../internal/format.js';
import { fmt } from '../../internal/i18n.js';
import { SecureElement } from '../../internal/secure-element.js';
import type { Session } from '../../internal/session.js';
import { shared } from '../../internal/shared.styles.js';
import { errorMessage } from '../../internal/states.js';
import { styles } from './attachment-picker.styles.js';
import { upload, xhrTransport, type Transport } from './upload.js';

interface Item {
  file: File;
  loaded: number;
  attachment?: Attachment;
  error?: string;
  abort: AbortController;
}

/** `@dragover` for a drop zone: accept dragged files. */
export const allowDrop = (event: DragEvent): void => {
  if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
};

/**
 * @summary Attachments for a new message or a reply: a file button (a native file input), drag and drop and pasting (the host
 * form calls `drop` for both), a progress bar and Cancel per upload, chips with name and size and a Remove button, and the server's
 * reason when a file is refused (too large, a type not accepted).
 *
 * @csspart attach - The "Attach files" button (a label around the file input).
 * @csspart attachment-list - The chips.
 * @csspart attachment-chip - One file.
 * @csspart progress - Its upload progress bar.
 * @csspart cancel-upload - Cancel an upload under way.
 * @csspart remove-attachment - Remove a file before sending.
 * @csspart button - Every button.
 * @csspart error - Why a file was refused.
 *
 * @fires secure-error - An upload failed; `detail: { error }`.
 */
export class SecureAttachmentPicker extends SecureElement {
  static override properties: PropertyDeclarations = {
    session: { attribute: false },
    transport: { attribute: false },
    items: { state: true },
    announcement: { state: true },
  };

  static override styles = [shared, styles];

  /** The session whose api client uploads (set by the enclosing element). @internal */
  session?: Session;

  /** How files travel; XMLHttpRequest by default (tests give another). @internal */
  transport: Transport = xhrTransport;

  private items: Item[] = [];
  private announcement = '';

  /** The ids of the uploaded files, for `attachmentIds`. */
  get ids(): string[] {
    return this.items.flatMap((item) => (item.attachment ? [item.attachment.id] : []));
  }

  /** Whether an upload is still under way. */
  get busy(): boolean {
    return this.items.some((item) => !item.attachment && !item.error);
  }

  /** Why sending must wait: a refused file to remove or replace, or an upload under way; '' when it may go. */
  get hold(): string {
    return this.items.some((item) => item.error) ? this.t.removeRefused : this.busy ? this.t.waitForUploads : '';
  }

  /** Forgets every file (after sending). */
  clear(): void {
    for (const item of this.items) item.abort.abort();
    this.items = [];
  }

  /** `@drop` for a drop zone, and `@paste` for a form: dropped or pasted files (a screenshot) upload like chosen ones. */
  drop(event: DragEvent | ClipboardEvent): void {
    const files = ((event as DragEvent).dataTransfer ?? (event as ClipboardEvent).clipboardData)?.files;
    if (!files?.length) return;
    event.preventDefault();
    this.add(files);
  }

  /** Starts uploading files. */
  add(files: Iterable<File>): void {
    for (const file of files) this.#upload({ file, loaded: 0, abort: new AbortController() });
  }

  #update(item: Item, change: Partial<Item>): void {
    Object.assign(item, change);
    this.items = [...this.items];
  }

  async #upload(item: Item): Promise<void> {
    const session = this.session;
    if (!session) return;
    const t = this.t;
    const name = item.file.name;
    this.items = [...this.items, item];
    try {
      const attachment = await upload(session.api, item.file, (loaded) => this.#update(item, { loaded }), item.abort.signal, this.transport);
      this.#update(item, { attachment });
      this.announcement = fmt(t.attached, { name });
    } catch (error) {
      if (item.abort.signal.aborted) return;
      const limit = error instanceof ApiError && error.status === 413 ? (error.details as { limit?: unknown })?.limit : undefined;
      const reason =
        typeof limit === 'number'
          ? fmt(t.uploadTooLarge, { limit: fileSize(limit) })
          : error instanceof ApiError && error.status > 400 && error.status < 500 && error.status !== 429
            ? error.message
            : errorMessage(t, error);
      this.#update(item, { error: `${name}: ${reason}` });
      this.emit('secure-error', { error });
    }
  }

  /** Removes a file; focus moves to the chip now in its place, or the previous one, or "Attach files". */
  async #remove(item: Item, index: number): Promise<void> {
    item.abort.abort();
    const hadFocus = this.matches(':focus-within');
    this.items = this.items.filter((other) => other !== item);
    this.announcement = fmt(item.attachment || item.error ? this.t.removed : this.t.uploadCancelled, { name: item.file.name });
    await this.updateComplete;
    const buttons = this.renderRoot.querySelectorAll<HTMLElement>('li button');
    if (hadFocus) (buttons[Math.min(index, buttons.length - 1)] ?? this.renderRoot.querySelector('input'))?.focus();
  }

  override render() {
    const t = this.t;
    return html`<label part="button attach" class="button attach"
        ><input
          class="sr-only"
          type="file"
          multiple
          @change=${(event: Event) => {
            const input = event.target as HTMLInputElement;
            this.add([...input.files!]);
            input.value = '';
          }}
        />${t.attachFiles}</label
      >
      ${
        this.items.length
          ? html`<ul part="attachment-list" aria-label=${t.attachments}>
            ${this.items.map((item, index) => {
              const name = item.file.name;
              const uploading = !item.attachment && !item.error;
              return html`<li part="attachment-chip">
                  <span>${name}</span> <span class="size">${fileSize(item.file.size)}</span>
                  ${
                    uploading
                      ? html`<progress part="progress" max=${item.file.size || 1} .value=${item.loaded} aria-label=${fmt(t.uploading, { name })}></progress>`
                      : nothing
                  }
                  <button
                    part="button ${uploading ? 'cancel-upload' : 'remove-attachment'}"
                    class="button quiet icon"
                    type="button"
                    aria-label=${fmt(uploading ? t.cancelUpload : t.remove, { name })}
                    title=${fmt(uploading ? t.cancelUpload : t.remove, { name })}
                    @click=${() => this.#remove(item, index)}
                  >
                    <span aria-hidden="true">×</span>
                  </button>
                  ${item.error ? html`<span part="error" class="error-text" role="alert">${item.error}</span>` : nothing}
                </li>`;
            })}
          </ul>`
          : nothing
      }
      <div class="sr-only" role="status">${this.announcement}</div>`;
  }
}

SecureAttachmentPicker.define('secure-attachment-picker');

declare global {
  interface HTMLElementTagNameMap {
    'secure-attachment-picker': SecureAttachmentPicker;
  }
}
