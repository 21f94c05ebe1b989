import { LitElement, type PropertyDeclarations } from 'lit';
import { ApiError } from './api.js';
import { request, type Receiver } from './context.js';
import { mergeStrings, type Strings } from './i18n.js';
import { catalogue, isComplete, shippedLanguageOf } from './languages.js';

/** Colour schemes: `auto` follows the operating system. */
export type Theme = 'light' | 'dark' | 'auto';

/**
 * The base of every Secure Inbox element: safe registration, typed `secure-*` events and the string catalogue.
 */
export class SecureElement extends LitElement {
  static override properties: PropertyDeclarations = {
    theme: { reflect: true },
    locale: {},
    strings: { attribute: false },
    inheritedStrings: { state: true },
  };

  /**
   * Registers the element unless the tag is taken. Loading the bundle twice (or two versions of it) warns
   * instead of throwing, and the first registration stays in use.
   */
  static define(this: CustomElementConstructor, tag: string): void {
    const existing = customElements.get(tag);
    if (existing) {
      if (existing !== this) console.warn(`<${tag}> is already registered (Secure Inbox loaded twice?); keeping the first one.`);
      return;
    }
    customElements.define(tag, this);
  }

  /** Colour scheme; nested elements receive it from their parent. */
  theme: Theme = 'auto';

  /**
   * The language of the text (shipped: de, fr, es, ar; else English), dates, times and counts (a BCP 47 tag such as `de-CH`). By default the closest `lang`
   * attribute up the tree (the page's), across shadow roots; nested elements follow an enclosing element's `locale`.
   */
  locale?: string;

  /** Overrides for any user-visible string (merged over the catalogue and over what an enclosing `<secure-inbox>` provides). */
  strings?: Partial<Strings>;

  protected inheritedStrings?: Strings;

  /** The field that receives an enclosing `<secure-inbox>`'s session (declared by the subclass). */
  static sessionField?: string;

  #release?: () => void;

  /** Receives what the nearest enclosing provider has: at once and after every change (one function per element). */
  #receive: Receiver = (provided, release) => {
    // A different release: a nearer provider took over, so the previous one stops sending.
    if (this.#release !== release) this.#release?.();
    this.#release = release;
    this.inheritedStrings = provided?.strings;
    this.requestUpdate(); // the provider's locale may have changed
    const field = (this.constructor as typeof SecureElement).sessionField;
    if (field) (this as unknown as Record<string, unknown>)[field] = provided?.session;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    // Asks the nearest enclosing provider (the Context Community Protocol) for its strings and session.
    request(this, this.#receive);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#release?.();
    this.#release = undefined;
  }

  #t?: { shipped?: Partial<Strings>; inherited?: Strings; own?: Partial<Strings>; merged: Strings };

  /**
   * The strings in effect: the shipped translation for the element's language (loaded on demand by the outermost
   * element, unless the host gave a whole catalogue), then what an enclosing element provides, then `strings`.
   */
  get t(): Strings {
    const language = !this.inheritedStrings && !isComplete(this.strings) ? shippedLanguageOf(this) : undefined;
    const shipped = language ? catalogue(language, this) : undefined;
    const cached = this.#t;
    if (cached && cached.shipped === shipped && cached.inherited === this.inheritedStrings && cached.own === this.strings) return cached.merged;
    const merged = mergeStrings(shipped, this.inheritedStrings, this.strings);
    this.#t = { shipped, inherited: this.inheritedStrings, own: this.strings, merged };
    return merged;
  }

  /** Dispatches a `secure-*` event that bubbles out of shadow roots. Returns the event (check `defaultPrevented`). */
  emit<T = undefined>(name: `secure-${string}`, detail?: T, options: { cancelable?: boolean } = {}): CustomEvent<T> {
    const event = new CustomEvent<T>(name, { bubbles: true, composed: true, cancelable: options.cancelable ?? false, detail: detail as T });
    this.dispatchEvent(event);
    return event;
  }

  /** Reports a failure to the host (`secure-error`) and passes it on to the caller. */
  protected reportError(error: unknown): never {
    this.emit('secure-error', { error: error instanceof ApiError ? error : new ApiError(0, 'unreachable', String(error)) });
    throw error;
  }
}
