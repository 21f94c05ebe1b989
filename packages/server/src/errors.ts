import type { ErrorCode } from '@secure-inbox/protocol';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The one error type handlers throw; app.onError turns it into the API error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what = 'conversation') => new ApiError(404, 'not_found', `No such ${what}.`);
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const unauthorized = (message = 'A valid bearer token is required.') => new ApiError(401, 'unauthorized', message);
export const invalid = (field: string, message: string) => new ApiError(422, 'invalid', `${field}: ${message}`, [{ field, message }]);
