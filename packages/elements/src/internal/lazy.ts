import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Strings } from './i18n.js';
import { renderError, renderLoading } from './states.js';

/** Loads a module once per page; a failed load may be tried again. */
function once(load: () => Promise<unknown>): () => Promise<unknown> {
  let loading: Promise<unknown> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}

/**
 * What the first paint — `<secure-inbox>` with its list, the unread badge — does without: reading and writing a
 * conversation (thread, compose dialog, Status tab and their parts, the sanitizer) and the staff console (answer panel,
 * conversation controls, queue filters, notification centre, saved replies' management), in one module (`src/internal/parts.ts`). The bundle
 * emits it as a chunk beside the entry (`secure-inbox/parts-*.js`), resolved against the entry's own address, so it
 * comes from the server the entry came from. `<secure-inbox>` loads it once it has drawn the list, when the browser is
 * idle, so a conversation opened later shows at once; sooner when one is opened first.
 */
export const loadParts = once(() => import('./parts.js'));

/** The name the loader had when the module held the staff console alone: pages that call it keep working. */
export const loadStaff = loadParts;

/**
 * Renders a part whose elements load on demand: a loading state while its module loads, a readable error with Retry
 * if it could not, then the part itself. Already registered elements (the whole package imported) render at once.
 */
export class Lazy implements ReactiveController {
  #host: ReactiveControllerHost;
  #load: () => Promise<unknown>;
  #tag: string;
  #state: 'idle' | 'loading' | 'ready' | 'failed' = 'idle';
  #error: unknown;

  constructor(host: ReactiveControllerHost, load: () => Promise<unknown>, tag: string) {
    (this.#host = host).addController(this);
    this.#load = load;
    this.#tag = tag;
  }

  hostConnected(): void {}

  /** Resolves once the part's elements are registered (tests and callers that need the element itself). */
  get ready(): Promise<unknown> {
    return this.#load();
  }

  /** Whether the part's elements are registered. */
  get loaded(): boolean {
    if (this.#state !== 'ready' && customElements.get(this.#tag)) this.#state = 'ready';
    return this.#state === 'ready';
  }

  /** The part, or its loading or error state (starting the load if it has not started). */
  render(t: Strings, part: () => unknown): unknown {
    if (this.loaded) return part();
    this.start();
    return this.#state === 'failed' ? renderError(t, this.#error, () => this.start(true)) : renderLoading(t);
  }

  /** Starts loading the part (again after a failure when `retry`). */
  start(retry = false): void {
    if (this.loaded || this.#state === 'loading' || (this.#state === 'failed' && !retry)) return;
    this.#state = 'loading';
    if (retry) this.#host.requestUpdate();
    this.#load().then(
      () => {
        this.#state = 'ready';
        this.#host.requestUpdate();
      },
      (error: unknown) => {
        this.#state = 'failed';
        this.#error = error;
        this.#host.requestUpdate();
      },
    );
  }
}
