import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { announceTyping, typingWindows } from '../domain/typing.js';

/** `POST /conversations/:id/typing`: "<name> is writing" to the other staff (domain/typing.ts). Mounted at `/conversations`. */
export function typingRoute() {
  const windows = typingWindows();
  return new Hono<AppEnv>().post('/:id/typing', async (c) => {
    await announceTyping(c.get('deps').db, c.get('viewer'), c.req.param('id'), windows);
    return c.body(null, 204);
  });
}
