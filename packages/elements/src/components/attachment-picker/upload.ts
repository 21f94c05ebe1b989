import type { Attachment } from '@secure-inbox/protocol';
import { ApiError, type ApiClient } from '../../internal/api.js';

export interface UploadRequest {
  url: string;
  token?: string;
  file: File;
  onProgress: (loaded: number, total: number) => void;
  signal: AbortSignal;
}

/** Sends one multipart upload and answers the status and parsed JSON body. */
export type Transport = (request: UploadRequest) => Promise<{ status: number; body: unknown }>;

/** XMLHttpRequest, because fetch reports no upload progress. Aborting the signal aborts the request. */
export const xhrTransport: Transport = ({ url, token, file, onProgress, signal }) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.responseType = 'json';
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.total || file.size);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => reject(new ApiError(0, 'unreachable', 'Network error'));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    signal.addEventListener('abort', () => xhr.abort());
    const form = new FormData();
    form.append('file', file);
    xhr.send(form);
  });

/** `POST /attachments` with the session's token (asked again once after a 401). */
export async function upload(
  api: ApiClient,
  file: File,
  onProgress: UploadRequest['onProgress'],
  signal: AbortSignal,
  transport = xhrTransport,
): Promise<Attachment> {
  for (let attempt = 0; ; attempt++) {
    const token = await api.token(attempt > 0);
    const { status, body } = await transport({ url: api.url('/attachments'), token, file, onProgress, signal });
    if (status === 401 && !attempt && api.credentials.tokenProvider) continue;
    const answer = body as { attachment?: Attachment; error?: { code?: string; message?: string; details?: unknown } } | null;
    if (status === 201 && answer?.attachment) return answer.attachment;
    const error = answer?.error;
    throw new ApiError(status, error?.code ?? `http_${status}`, error?.message ?? `HTTP ${status}`, error?.details);
  }
}
