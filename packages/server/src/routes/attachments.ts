import { Hono } from 'hono';
import { Readable } from 'node:stream';
import { contentDisposition } from '../attachments/names.js';
import { openAttachment, uploadAttachment } from '../attachments/service.js';
import { servedType } from '../attachments/sniff.js';
import type { AppEnv } from '../context.js';
import { unreadNodeBody } from '../validate.js';

/** Upload (multipart, field `file`) and download. Downloads are always attachments, never rendered. */
export const attachments = new Hono<AppEnv>()
  .post('/', async (c) => {
    const { db, config } = c.get('deps');
    return c.json({ attachment: await uploadAttachment(db, config, c.get('viewer'), c.req.raw, unreadNodeBody(c)) }, 201);
  })
  .get('/:id', async (c) => {
    const { db, config } = c.get('deps');
    const file = await openAttachment(db, config, c.get('viewer'), c.req.param('id'));
    const headers = {
      'Content-Type': servedType(file.contentType),
      'Content-Length': String(file.size),
      'Content-Disposition': contentDisposition(file.name),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, no-store',
    };
    if (c.req.method === 'HEAD') {
      file.bytes.destroy();
      return c.body(null, 200, headers);
    }
    return c.body(Readable.toWeb(file.bytes) as ReadableStream, 200, headers);
  });
