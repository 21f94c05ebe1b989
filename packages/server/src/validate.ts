import type { Context, MiddlewareHandler } from 'hono';
import { validator } from 'hono/validator';
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

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type.trim())) {
    throw new ApiError(415, 'unsupported_type', 'Send the request body as JSON (Content-Type: application/json).');
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_request', 'The request body is not valid JSON.');
  }
}

/** Validates a JSON body against a protocol schema: 415 when not JSON, 400 when unparsable, 422 naming the fields. */
export const jsonBody = <S extends z.ZodType>(schema: S) =>
  validator('json', async (_value, c) => {
    const parsed = schema.safeParse(await readJson(c));
    if (!parsed.success) throw failed('request body', parsed.error);
    return parsed.data as z.output<S>;
  }) as MiddlewareHandler<any, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }>;

/** Validates the query string; a repeated parameter is an error rather than a silent pick. */
export const query = <S extends z.ZodType>(schema: S) =>
  validator('query', (_value, c) => {
    const all = c.req.queries();
    // No prototype: a parameter named `__proto__` must stay a key (and be refused as unknown), not vanish.
    const single: Record<string, string> = Object.create(null);
    for (const [key, values] of Object.entries(all)) {
      if (values.length > 1) throw new ApiError(422, 'invalid', `Invalid query: ${key} is given more than once.`, [{ field: key, message: 'is given more than once' }]);
      single[key] = values[0] ?? '';
    }
    const parsed = schema.safeParse(single);
    if (!parsed.success) throw failed('query', parsed.error);
    return parsed.data as z.output<S>;
  }) as MiddlewareHandler<any, string, { out: { query: z.output<S> } }>;
