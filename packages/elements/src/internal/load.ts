import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Where a {@link Load} stands. */
export const INITIAL = 0;
export const PENDING = 1;
export const COMPLETE = 2;
export const ERROR = 3;

/**
 * Loads data for an element, as Lit's Task does with what these elements use: before each update, when an argument
 * changed (compared with `Object.is`), `task` runs again, and the signal of a run still under way aborts (its requests
 * stop); only the latest run's outcome is kept, then the host updates.
 */
export class Load<A extends readonly unknown[], R = unknown> implements ReactiveController {
  status = INITIAL;
  value?: R;
  error?: unknown;
  #host: ReactiveControllerHost;
  #task: (args: A, signal: AbortSignal) => Promise<R>;
  #argsOf: () => A;
  #args?: A;
  #run?: AbortController;

  constructor(host: ReactiveControllerHost, task: (args: A, signal: AbortSignal) => Promise<R>, args: () => A) {
    (this.#host = host).addController(this);
    this.#task = task;
    this.#argsOf = args;
  }

  hostUpdate(): void {
    const args = this.#argsOf();
    const previous = this.#args;
    this.#args = args;
    if (!previous || args.some((value, index) => !Object.is(value, previous[index]))) this.#start(args);
  }

  async #start(args: A): Promise<void> {
    this.#run?.abort();
    const run = (this.#run = new AbortController());
    this.status = PENDING;
    this.#host.requestUpdate();
    let status = COMPLETE;
    let value: R | undefined;
    let error: unknown;
    try {
      value = await this.#task(args, run.signal);
    } catch (caught) {
      status = ERROR;
      error = caught;
    }
    if (run !== this.#run) return;
    this.status = status;
    this.value = value;
    this.error = error;
    this.#host.requestUpdate();
  }
}
