import { html, nothing, type PropertyDeclarations } from 'lit';
import { richText, sanitize } from '../../internal/sanitize.js';
import { SecureElement } from '../../internal/secure-element.js';
import { shared } from '../../internal/shared.styles.js';
import { styles } from './rich-editor.styles.js';

type Command = 'bold' | 'italic' | 'insertUnorderedList';
const blocks = new Set(['p', 'ul', 'ol', 'blockquote', 'pre']);

/**
 * Enter makes paragraphs, not `<div>`s. Set once, when an editor is first focused: `execCommand` brings the layout of
 * the whole page up to date, which on first render would cost every thread's opening a layout of its own.
 */
let separated = false;
const separateParagraphs = () => (separated ||= document.execCommand('defaultParagraphSeparator', false, 'p'));

/**
 * @summary A small rich-text field: a contenteditable with a toolbar for bold, italic, bulleted list and link.
 * Its `value` is sanitized HTML with the same allow-list the server applies.
 *
 * @csspart label - The visible label.
 * @csspart toolbar - The formatting toolbar.
 * @csspart button - Every toolbar button.
 * @csspart tool - A formatting button (bold, italic, list, link).
 * @csspart editor - The editable area.
 * @csspart link-form - The link address field shown by the Link button.
 * @csspart error - The validation message.
 *
 * @cssprop --secure-editor-min-height - Smallest height of the editable area (default 6rem).
 * @cssprop --secure-editor-max-height - Tallest the editable area grows before it scrolls (default 20rem).
 *
 * @fires secure-input - The content changed.
 */
export class SecureRichEditor extends SecureElement {
  static override properties: PropertyDeclarations = {
    label: {},
    error: {},
    linking: { state: true },
    linkError: { state: true },
    activeTool: { state: true },
  };

  static override styles = [shared, styles];
  static override shadowRootOptions = { ...SecureElement.shadowRootOptions, delegatesFocus: true };

  /** The visible label. */
  label = '';

  /** A validation message; set to show it and mark the field invalid. */
  error = '';

  private linking = false;
  private linkError = '';
  private activeTool = 0;

  private get editor() {
    return this.renderRoot?.querySelector('[part~="editor"]') as HTMLElement;
  }

  #range?: Range;

  /** Sanitized HTML of the content (empty string when there is no text). */
  get value(): string {
    if (!this.editor || this.isEmpty) return '';
    const clone = this.editor.cloneNode(true) as HTMLElement;
    // Chromium splits lines into <div>s; keep them as paragraphs.
    for (const div of clone.querySelectorAll('div')) {
      const p = document.createElement('p');
      p.append(...div.childNodes);
      div.replaceWith(p);
    }
    // Text typed straight into the field becomes a paragraph too, so every body has the same shape.
    let paragraph: HTMLParagraphElement | undefined;
    for (const node of [...clone.childNodes]) {
      if (node instanceof Element && blocks.has(node.localName)) {
        paragraph = undefined;
      } else {
        if (!paragraph) {
          paragraph = document.createElement('p');
          node.before(paragraph);
        }
        paragraph.append(node);
      }
    }
    for (const p of clone.querySelectorAll('p')) if (!p.textContent?.trim() && !p.querySelector('br')) p.remove();
    return sanitize(clone.innerHTML).trim();
  }

  set value(html: string) {
    this.updateComplete.then(() => {
      this.editor.innerHTML = sanitize(html);
    });
  }

  /** The plain text of the content, as typed (the staff answer's `/word` for a saved reply). */
  get text(): string {
    return this.editor?.textContent ?? '';
  }

  /** The plain text from the start of the content to the caret (or to where it was when the editor lost focus). */
  get textBeforeCaret(): string {
    const selection = this.#selection();
    const live = selection?.rangeCount && this.editor?.contains(selection.focusNode) ? selection.getRangeAt(0) : this.#range;
    if (!live) return this.text;
    const before = document.createRange();
    before.selectNodeContents(this.editor);
    before.setEnd(live.endContainer, live.endOffset);
    return before.toString();
  }

  /** Replaces the `length` characters before the caret with `text`, typed as text (a mention's `@Name`). */
  replaceBeforeCaret(length: number, text: string): void {
    this.#restoreRange();
    for (let i = 0; i < length; i++) document.execCommand('delete');
    document.execCommand('insertText', false, text);
    this.#saveRange();
    this.#changed();
  }

  get isEmpty(): boolean {
    return !this.editor || (this.editor.textContent ?? '').trim() === '';
  }

  clear(): void {
    if (this.editor) this.editor.replaceChildren();
    this.error = '';
  }

  override focus(): void {
    this.editor?.focus();
  }

  #selection(): Selection | null {
    const root = this.shadowRoot as ShadowRoot & { getSelection?: () => Selection | null };
    return root.getSelection?.() ?? document.getSelection();
  }

  #saveRange(): void {
    const selection = this.#selection();
    if (selection && selection.rangeCount && this.editor.contains(selection.getRangeAt(0).commonAncestorContainer)) {
      this.#range = selection.getRangeAt(0).cloneRange();
    }
  }

  #restoreRange(): void {
    this.editor.focus();
    const selection = this.#selection();
    if (selection && this.#range) {
      selection.removeAllRanges();
      selection.addRange(this.#range);
    }
  }

  #exec(command: Command): void {
    this.#restoreRange();
    document.execCommand(command);
    this.#saveRange();
    this.#changed();
  }

  #changed(): void {
    if (this.error && !this.isEmpty) this.error = '';
    this.emit('secure-input');
  }

  async #startLink(): Promise<void> {
    this.linking = true;
    this.linkError = '';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('#link-url')?.focus();
  }

  #applyLink(event: Event): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#link-url')!;
    const url = input.value.trim();
    if (!richText.allowedUriPattern.test(url)) {
      this.linkError = this.t.invalidLink;
      return;
    }
    this.linking = false;
    this.#restoreRange();
    const selection = this.#selection();
    if (!selection || selection.isCollapsed) {
      // Nothing selected: the address becomes the link text.
      const link = document.createElement('a');
      link.href = url;
      link.textContent = url;
      document.execCommand('insertHTML', false, link.outerHTML);
    } else {
      document.execCommand('createLink', false, url);
    }
    this.#saveRange();
    this.#changed();
  }

  #cancelLink(): void {
    this.linking = false;
    this.#restoreRange();
  }

  #onToolbarKeydown(event: KeyboardEvent): void {
    const tools = [...this.renderRoot.querySelectorAll<HTMLButtonElement>('[part~="toolbar"] button')];
    const index = tools.indexOf(event.target as HTMLButtonElement);
    if (index < 0) return;
    const rtl = getComputedStyle(this).direction === 'rtl';
    let next = index;
    if (event.key === (rtl ? 'ArrowLeft' : 'ArrowRight')) next = (index + 1) % tools.length;
    else if (event.key === (rtl ? 'ArrowRight' : 'ArrowLeft')) next = (index - 1 + tools.length) % tools.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = tools.length - 1;
    else return;
    event.preventDefault();
    this.activeTool = next;
    tools[next].focus();
  }

  override render() {
    const t = this.t;
    const tools: [unknown, string, () => void][] = [
      ['B', t.bold, () => this.#exec('bold')],
      ['I', t.italic, () => this.#exec('italic')],
      ['•', t.bulletList, () => this.#exec('insertUnorderedList')],
      // An inline drawing: the link emoji is missing from the fonts of some systems (an empty box).
      [
        html`<svg viewBox="0 0 24 24" width="16" height="16"><path fill="none" stroke="currentColor" stroke-width="2" d="M10 14a4 4 0 0 0 6 0l3-3a4 4 0 0 0-6-6l-1 1m2 4a4 4 0 0 0-6 0l-3 3a4 4 0 0 0 6 6l1-1" /></svg>`,
        t.link,
        () => this.#startLink(),
      ],
    ];
    return html`
      <div part="label" id="label" class="label">${this.label}</div>
      <div class="frame ${this.error ? 'invalid' : ''}">
        <div part="toolbar" class="toolbar" role="toolbar" aria-label=${t.formatting} aria-controls="editor" @keydown=${this.#onToolbarKeydown}>
          ${tools.map(
            ([glyph, name, run], index) =>
              html`<button
                part="button tool"
                class="button quiet icon tool-${index}"
                type="button"
                tabindex=${index === this.activeTool ? '0' : '-1'}
                aria-label=${name}
                title=${name}
                @mousedown=${(event: Event) => event.preventDefault()}
                @click=${() => {
                  this.activeTool = index;
                  this.#saveRange();
                  run();
                }}
              >
                <span aria-hidden="true">${glyph}</span>
              </button>`,
          )}
        </div>
        ${
          this.linking
            ? html`<form part="link-form" class="link-form" @submit=${this.#applyLink}>
              <label for="link-url">${t.linkAddress}</label>
              <input id="link-url" type="url" inputmode="url" placeholder="https://" aria-invalid=${this.linkError ? 'true' : 'false'} aria-describedby="link-error" />
              <button part="button" class="button" type="submit">${t.applyLink}</button>
              <button part="button" class="button quiet" type="button" @click=${this.#cancelLink}>${t.cancel}</button>
              <span id="link-error" class="error-text" role="alert">${this.linkError}</span>
            </form>`
            : nothing
        }
        <div
          id="editor"
          part="editor"
          class="editor"
          contenteditable="true"
          role="textbox"
          aria-multiline="true"
          aria-labelledby="label"
          aria-invalid=${this.error ? 'true' : 'false'}
          aria-describedby="error"
          @focus=${separateParagraphs}
          @input=${this.#changed}
          @keyup=${this.#saveRange}
          @mouseup=${this.#saveRange}
          @blur=${this.#saveRange}
        ></div>
      </div>
      <div part="error" id="error" class="error-text" ?hidden=${!this.error}>${this.error}</div>
    `;
  }
}

SecureRichEditor.define('secure-rich-editor');

declare global {
  interface HTMLElementTagNameMap {
    'secure-rich-editor': SecureRichEditor;
  }
}
