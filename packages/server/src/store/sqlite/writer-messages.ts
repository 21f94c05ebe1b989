/**
 * What crosses between the server's thread and the writer thread (store/sqlite/writer-thread.ts): requests,
 * reports after each group commit, errors as data. Imported by both sides; loads nothing heavy.
 */
import type { Config } from '../../config.js';
import type { OthersCheck } from '../../domain/change-versions.js';
import type { JobName } from '../../domain/write-jobs.js';
import { ApiError } from '../../errors.js';

/** A write job (domain/write-jobs.ts) by name, with its arguments. */
export interface WriterRequest {
  id: number;
  job: JobName;
  args: unknown[];
}

/** An error, as it crosses from the writer thread. */
export type SentError =
  | { api: { status: ApiError['status']; code: ApiError['code']; message: string; details?: unknown; headers?: Record<string, string> } }
  | { message: string; code?: string; stack?: string };

export type WriterOutcome = { id: number; value: unknown } | { id: number; error: SentError };

/** What the writer thread posts after each group commit. */
export interface WriterReport {
  outcomes: WriterOutcome[];
  /** The users whose events the group wrote. */
  users: string[];
  /** Whether other connections wrote since the previous report (domain/change-versions.ts). */
  check: OthersCheck;
}

export interface WriterData {
  config: Config;
  walAutocheckpoint: number;
  /** The server's thread's commits and data_version readings, counted (domain/change-versions.ts `writeCounters`). */
  counters: SharedArrayBuffer;
}

export function describeError(error: unknown): SentError {
  if (error instanceof ApiError) {
    const { status, code, message, details, headers } = error;
    return { api: { status, code, message, ...(details !== undefined ? { details } : {}), ...(headers ? { headers } : {}) } };
  }
  const e = error as { message?: unknown; code?: unknown; stack?: unknown } | null;
  return {
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.stack === 'string' ? { stack: e.stack } : {}),
  };
}

export function rebuildError(sent: SentError): Error {
  if ('api' in sent) return new ApiError(sent.api.status, sent.api.code, sent.api.message, sent.api.details, sent.api.headers);
  const error = Object.assign(new Error(sent.message), sent.code ? { code: sent.code } : {});
  if (sent.stack) error.stack = sent.stack;
  return error;
}
