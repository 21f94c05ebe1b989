import { CreateSavedReplyBody, PatchSavedReplyBody, RenderSavedReplyBody, SavedRepliesQuery } from '@secure-inbox/protocol';
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { prepareRichText } from '../domain/rich-text.js';
import { createSavedReply, deleteSavedReply, getSavedReply, listSavedReplies, renderSavedReply, updateSavedReply } from '../domain/saved-replies.js';
import { jsonBody, query } from '../validate.js';

/** `/saved-replies`: staff's saved replies, and one filled in for a conversation. Mounted at `/saved-replies`. */
export const savedRepliesRoute = new Hono<AppEnv>()
  .get('/', query(SavedRepliesQuery), async (c) => {
    return c.json(await listSavedReplies(c.get('deps').db, c.get('viewer'), c.req.valid('query')));
  })
  .post('/', jsonBody(CreateSavedReplyBody), async (c) => {
    const input = c.req.valid('json');
    const savedReply = await createSavedReply(c.get('deps').db, c.get('viewer'), input, prepareRichText(input.body));
    return c.json({ savedReply }, 201);
  })
  .get('/:id', async (c) => {
    return c.json({ savedReply: await getSavedReply(c.get('deps').db, c.get('viewer'), c.req.param('id')) });
  })
  .patch('/:id', jsonBody(PatchSavedReplyBody), async (c) => {
    const patch = c.req.valid('json');
    const body = patch.body !== undefined ? prepareRichText(patch.body) : undefined;
    return c.json({ savedReply: await updateSavedReply(c.get('deps').db, c.get('viewer'), c.req.param('id'), patch, body) });
  })
  .delete('/:id', async (c) => {
    await deleteSavedReply(c.get('deps').db, c.get('viewer'), c.req.param('id'));
    return c.body(null, 204);
  })
  .post('/:id/render', jsonBody(RenderSavedReplyBody), async (c) => {
    const { conversationId } = c.req.valid('json');
    return c.json({ rendered: await renderSavedReply(c.get('deps').db, c.get('viewer'), c.req.param('id'), conversationId) });
  });
