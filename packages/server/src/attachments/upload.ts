/**
 * Receiving one multipart upload as a stream: the `file` part is written to a temporary file while it
 * is hashed, counted and inspected. The size limit is enforced as the bytes arrive; an upload that
 * goes over it, breaks off or fails in any way leaves no file behind.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { ApiError, invalid } from '../errors.js';
import { Inspector, refuseEarly } from './sniff.js';
import { discard } from './storage.js';

export const FILE_FIELD = 'file';

export interface ReceivedFile {
  /** The temporary file holding the bytes; the caller stores or discards it. */
  path: string;
  /** The name the client gave, uncleaned. */
  clientName: string;
  size: number;
  sha256: string;
  head: Buffer;
  utf8: boolean;
  nul: boolean;
  /** Whether HTML or script markers appear anywhere in the file. */
  markup: boolean;
}

/** Room for multipart boundaries and part headers on top of the file itself. */
const MULTIPART_OVERHEAD = 64 * 1024;

const tooLarge = (maxBytes: number) =>
  new ApiError(413, 'too_large', `The file is larger than the ${maxBytes}-byte limit (SECURE_INBOX_MAX_UPLOAD_BYTES).`, { limit: maxBytes });

/**
 * After a refusal the rest of a body is read and dropped, so that the answer reaches the client and
 * the connection serves its next request; a client that goes on sending past what an upload may hold
 * loses the connection instead.
 */
function dropTheRest(incoming: IncomingMessage, allowance: number): void {
  let dropped = 0;
  incoming.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > allowance) incoming.socket?.destroy();
  });
  incoming.resume();
}

/**
 * Reads `request`'s multipart body and writes its `file` part to a temporary file in `tempDir`.
 * 415 when the body is not multipart/form-data or, from its first bytes, a type off the allow-list
 * (sniff.ts `refuseEarly`; the rest is then not parsed), 413 over `maxBytes`, 422 when there is no
 * file part or it is empty, 400 when the body breaks off or is malformed. Served by
 * @hono/node-server, the body is read from Node's request (`incoming`), which is drained after a
 * refusal so the connection stays usable.
 */
export async function receiveUpload(request: Request, tempDir: string, maxBytes: number, incoming?: IncomingMessage): Promise<ReceivedFile> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new ApiError(415, 'unsupported_type', `Send the file as multipart/form-data with a "${FILE_FIELD}" field.`);
  }
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes + MULTIPART_OVERHEAD) throw tooLarge(maxBytes);

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      defParamCharset: 'utf8',
      // busboy reports the limit once it is reached, so one byte more tells "over" from "exactly at".
      limits: { fileSize: maxBytes + 1, files: 1, fields: 20, fieldSize: 1024, parts: 21, headerPairs: 20 },
    });
  } catch {
    throw new ApiError(415, 'unsupported_type', 'The multipart/form-data Content-Type has no usable boundary.');
  }
  let source: Readable;
  if (incoming) source = incoming;
  else if (request.body) source = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>);
  else throw invalid(FILE_FIELD, 'is required');

  return new Promise<ReceivedFile>((resolve, reject) => {
    let writing: Promise<ReceivedFile> | undefined;
    let tempPath: string | undefined;
    let part: Readable | undefined;
    let settled = false;

    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      // Stop reading: the rest of the body is not wanted (the server drains or closes the connection).
      source.unpipe(parser);
      if (incoming) dropTheRest(incoming, maxBytes + MULTIPART_OVERHEAD);
      else source.pause();
      parser.removeAllListeners('file');
      part?.destroy();
      const apiError =
        error instanceof ApiError ? error : new ApiError(400, 'bad_request', 'The upload was cut off or is not well-formed multipart/form-data.');
      // The temporary file is gone before the caller hears of the failure.
      void (writing ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => (tempPath ? discard(tempPath) : undefined))
        .then(() => reject(apiError));
    };

    parser.on('file', (field, stream, info) => {
      if (field !== FILE_FIELD || writing) {
        stream.resume();
        return;
      }
      const path = join(tempDir, `upload-${randomBytes(12).toString('hex')}`);
      tempPath = path;
      part = stream;
      const inspector = new Inspector(refuseEarly);
      stream.once('limit', () => fail(tooLarge(maxBytes)));
      writing = pipeline(stream, inspector, createWriteStream(path, { flags: 'wx', mode: 0o600 })).then(() => ({
        path,
        clientName: info.filename ?? '',
        size: inspector.size,
        sha256: inspector.sha256(),
        head: inspector.head,
        utf8: inspector.utf8,
        nul: inspector.nul,
        markup: inspector.markup,
      }));
      writing.catch(fail);
    });
    parser.on('error', fail);
    source.on('error', fail);
    const cancelled = () => fail(new ApiError(400, 'bad_request', 'The upload was cancelled.'));
    if (incoming) incoming.once('close', () => !incoming.complete && cancelled());
    else request.signal?.addEventListener('abort', cancelled);
    parser.on('close', () => {
      if (settled) return;
      if (!writing) return fail(invalid(FILE_FIELD, 'is required: send the file in a multipart field named "file"'));
      writing.then((file) => {
        if (settled) return;
        if (file.size === 0) return fail(invalid(FILE_FIELD, 'is empty'));
        settled = true;
        resolve(file);
      }, fail);
    });
    source.pipe(parser);
  });
}
