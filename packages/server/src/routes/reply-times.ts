import { AccountQuery, PatchAccountSettingsBody, PutReplyTimeBody } from '@secure-inbox/protocol';
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { putReplyTime, replyTimesOf } from '../domain/reply-times.js';
import { accountSettingsOf, patchAccountSettings } from '../domain/seen.js';
import { jsonBody, query } from '../validate.js';

/** Expected reply times (`/reply-times`) and an account's settings (`/accounts/:id/settings`). */
export const accountAnswering = new Hono<AppEnv>()
  .get('/reply-times', query(AccountQuery), async (c) => {
    return c.json(await replyTimesOf(c.get('deps').db, c.get('viewer'), c.req.valid('query').accountId));
  })
  .put('/reply-times', jsonBody(PutReplyTimeBody), async (c) => {
    return c.json(await putReplyTime(c.get('deps').db, c.get('viewer'), c.req.valid('json')));
  })
  .get('/accounts/:id/settings', async (c) => {
    return c.json({ settings: await accountSettingsOf(c.get('deps').db, c.get('viewer'), c.req.param('id')) });
  })
  .patch('/accounts/:id/settings', jsonBody(PatchAccountSettingsBody), async (c) => {
    return c.json({ settings: await patchAccountSettings(c.get('deps').db, c.get('viewer'), c.req.param('id'), c.req.valid('json')) });
  });
