import { openApiDocument, operations as allOperations, rootPaths } from '@secure-inbox/protocol/openapi';
import { Hono } from 'hono';

/** The operations under the API base path (`/healthz` sits at the root); a test checks them against the app's routes. */
export const operations = allOperations.filter((op) => !rootPaths.includes(op.path));

let cached: ReturnType<typeof openApiDocument> | undefined;
export const openapi = new Hono().get('/openapi.json', (c) => c.json((cached ??= openApiDocument())));
