import { RateBody, RatingsQuery } from '@secure-inbox/protocol';
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { solveOrReopen } from '../domain/conversation-details.js';
import { rateConversation, ratingSummary } from '../domain/ratings.js';
import { jsonBody, query } from '../validate.js';

/** A customer's workflow on a conversation: solve, reopen, rate. Mounted at `/conversations`. */
export const conversationFeedback = new Hono<AppEnv>()
  .post('/:id/:change{solve|reopen}', async (c) => {
    const change = c.req.param('change') === 'solve' ? 'solve' : 'reopen';
    const conversation = await solveOrReopen(c.get('deps').db, c.get('viewer'), c.req.param('id'), change);
    return c.json({ conversation });
  })
  .put('/:id/rating', jsonBody(RateBody), async (c) => {
    const rating = await rateConversation(c.get('deps').db, c.get('viewer'), c.req.param('id'), c.req.valid('json'));
    return c.json({ rating });
  });

/** `GET /ratings?accountId=`: an account's rating summary over a period (staff and admins). */
export const ratingsRoute = new Hono<AppEnv>().get('/', query(RatingsQuery), async (c) => {
  return c.json(await ratingSummary(c.get('deps').db, c.get('viewer'), c.req.valid('query')));
});
