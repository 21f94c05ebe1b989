import type { Context, MiddlewareHandler } from 'hono';
import { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { ApiError } from './errors.js';

export interface FieldProblem {
  field: string;
  message: string;
}

/** Turns zod issues into `details`: one entry per field, unknown fields named as such. */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: base ? `${base}.${key}` : key, message: 'is not a known field' });
    } else {
      problems.push({ field: base || '(body)', message: issue.message });
    }
  }
  return problems;
}

function failed(where: string, error: z.ZodError): ApiError {
  const details = fieldProblems(error);
  const summary = details.map((d) => `${d.field} ${d.message}`).join('; ');
  return new ApiError(422, 'invalid', `Invalid ${where}: ${summary}.`, details);
}

/** JSON request bodies larger than this answer 413. */
export const JSON_BODY_LIMIT = 1024 * 1024;

const tooLarge = () => new ApiError(413, 'too_large', `The request body is larger than ${JSON_BODY_LIMIT} bytes.`);

/**
 * The request's Node stream when @hono/node-server serves it and nothing has read the body yet. Reading
 * it directly spares building the platform Request (an AbortController, a web stream over the socket)
 * that `c.req.text()` would build for one small JSON body.
 */
export function unreadNodeBody(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (!(incoming instanceof IncomingMessage)) return undefined;
  return incoming.readableFlowing === null && !incoming.readableDidRead ? incoming : undefined;
}

/** Collects chunks up to JSON_BODY_LIMIT bytes; past it, stops and answers 413. */
async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  let size = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.byteLength;
    if (size > JSON_BODY_LIMIT) {
      await reader.cancel();
      throw tooLarge();
    }
    parts.push(next.value);
  }
  return parts;
}

function nodeBody(incoming: IncomingMessage): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= JSON_BODY_LIMIT) return void parts.push(chunk);
      // The rest is read and dropped, so that the answer reaches the client and the connection stays usable.
      incoming.off('data', onData);
      incoming.resume();
      reject(tooLarge());
    };
    // A client that hangs up halfway ('aborted' errors, or a close before the end) gets a 400 nobody reads.
    const cut = () => reject(new ApiError(400, 'bad_request', 'The request body ended before it was complete.'));
    const end = () => {
      incoming.off('error', cut);
      incoming.off('close', cut);
      resolve(parts);
    };
    incoming.on('data', onData);
    incoming.once('end', end);
    incoming.once('error', cut);
    incoming.once('close', cut);
  });
}

/** The body as text, decoded as fetch's `text()` decodes it (UTF-8, a leading byte order mark dropped). */
async function readBody(c: Context): Promise<string> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && c.req.header('transfer-encoding') === undefined && Number(declared) > JSON_BODY_LIMIT) throw tooLarge();
  const incoming = unreadNodeBody(c);
  const body = incoming ? await nodeBody(incoming) : c.req.raw.body ? await collect(c.req.raw.body) : [];
  return new TextDecoder().decode(Buffer.concat(body));
}

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type.trim())) {
    throw new ApiError(415, 'unsupported_type', 'Send the request body as JSON (Content-Type: application/json).');
  }
  const text = await readBody(c);
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_request', 'The request body is not valid JSON.');
  }
}

/** Validates a JSON body against a protocol schema: 415 when not JSON, 400 when unparsable, 422 naming the fields. */
export const jsonBody = <S extends z.ZodType>(schema: S) =>
  // Not hono's validator('json'): it would read and parse the body before this reads it under the limit.
  (async (c, next) => {
    const parsed = schema.safeParse(await readJson(c));
    if (!parsed.success) throw failed('request body', parsed.error);
    c.req.addValidatedData('json', parsed.data as object);
    await next();
  }) as MiddlewareHandler<any, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }>;

/** Query strings validated per schema, kept by their text (at most this many). */
const KNOWN_QUERIES = 1_000;

/** Validates the query string; a repeated parameter is an error rather than a silent pick. */
export const query = <S extends z.ZodType>(schema: S) => {
  // A widget asks the same questions again and again (its inbox page, the counts): each query string
  // is validated once and its result kept; a refused one is refused again every time.
  const known = new Map<string, object>();
  // Not hono's validator('query'): it would split the query string once more for a value unused here.
  return ((c, next) => {
    const url = c.req.url;
    const mark = url.indexOf('?');
    const text = mark < 0 ? '' : url.slice(mark + 1);
    let data = known.get(text);
    if (data === undefined) {
      const all = c.req.queries();
      // No prototype: a parameter named `__proto__` must stay a key (and be refused as unknown), not vanish.
      const single: Record<string, string> = Object.create(null);
      for (const [key, values] of Object.entries(all)) {
        if (values.length > 1)
          throw new ApiError(422, 'invalid', `Invalid query: ${key} is given more than once.`, [{ field: key, message: 'is given more than once' }]);
        single[key] = values[0] ?? '';
      }
      const parsed = schema.safeParse(single);
      if (!parsed.success) throw failed('query', parsed.error);
      data = parsed.data as object;
      if (known.size >= KNOWN_QUERIES) known.delete(known.keys().next().value!);
      known.set(text, data);
    }
    // A copy for each request: handlers may change what they get.
    c.req.addValidatedData('query', { ...data });
    return next();
  }) as MiddlewareHandler<any, string, { out: { query: z.output<S> } }>;
};
