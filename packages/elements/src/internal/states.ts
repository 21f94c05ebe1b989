import { html, nothing, type TemplateResult } from 'lit';
import { ApiError } from './api.js';
import { fmt, type Strings } from './i18n.js';

/** A sentence a person understands for any failure. */
export function errorMessage(t: Strings, error: unknown, notFound = t.errorNotFound): string {
  const kind = error instanceof ApiError ? error.kind : 'unreachable';
  switch (kind) {
    case 'offline':
      return t.errorOffline;
    case 'not_configured':
      return t.errorNotConfigured;
    case 'token_provider_failed':
      return t.errorTokenProviderFailed;
    case 'origin_not_allowed':
      return t.errorOriginNotAllowed;
    case 'version_mismatch':
      return t.errorVersionMismatch;
    case 'unauthorized': {
      // An expired token is the person's to renew; any other refusal is the site's set-up.
      const reason = ((error as ApiError).details as { reason?: string } | undefined)?.reason;
      return reason && reason !== 'expired' ? t.errorTokenRejected : t.errorUnauthorized;
    }
    case 'forbidden':
      return t.errorForbidden;
    case 'not_found':
      return notFound;
    case 'rate_limited':
      return t.errorRateLimited;
    case 'invalid': {
      const fields = (error as ApiError).fields;
      return fields.length ? fmt(t.errorInvalid, { fields: fields.join(', ') }) : (error as ApiError).message;
    }
    case 'server':
      return t.errorServer;
    default:
      return typeof navigator !== 'undefined' && navigator.onLine === false ? t.errorOffline : t.errorUnreachable;
  }
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
  return html`<div part="empty" class="state empty" role="status"><slot name="empty">${text}</slot></div>`;
}
