import { html, nothing, type TemplateResult } from 'lit';
import { ApiError } from './api.js';
import { fmt, type Strings } from './i18n.js';

/** A sentence a person understands for any failure. */
export function errorMessage(t: Strings, error: unknown, notFound = t.errorNotFound): string {
  const apiError = error instanceof ApiError ? error : undefined;
  let kind: string = apiError?.kind ?? 'unreachable';
  if (kind === 'not_found') return notFound;
  if (kind === 'invalid') {
    const fields = apiError!.fields;
    return fields.length ? fmt(t.errorInvalid, { fields: fields.join(', ') }) : apiError!.message;
  }
  // An expired token is the person's to renew; any other refusal is the site's set-up.
  const reason = (apiError?.details as { reason?: string } | undefined)?.reason;
  if (kind === 'unauthorized' && reason && reason !== 'expired') return t.errorTokenRejected;
  if (kind === 'unreachable' && navigator.onLine === false) kind = 'offline';
  // Every other kind has its sentence under error<Kind>: `rate_limited` → `errorRateLimited`.
  return t[`error${kind.replace(/(?:^|_)(\w)/g, (_, letter: string) => letter.toUpperCase())}` as keyof Strings];
}

export function renderLoading(t: Strings): TemplateResult {
  return html`<div part="loading" class="state loading" role="status"><span class="spinner" aria-hidden="true"></span>${t.loading}</div>`;
}

/** The error state: a sentence and, when it can help, a Retry button. `notFound` words a 404 for lists. */
export function renderError(t: Strings, error: unknown, retry?: () => void, notFound?: string): TemplateResult {
  return html`<div part="error" class="state error" role="alert">
    <p class="error-text">${errorMessage(t, error, notFound)}</p>
    ${retry ? html`<button part="button retry" class="button" type="button" @click=${retry}>${t.retry}</button>` : nothing}
  </div>`;
}

export function renderEmpty(text: string): TemplateResult {
  return html`<div part="empty" class="state empty"><slot name="empty">${text}</slot></div>`;
}
