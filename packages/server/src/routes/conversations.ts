import {
  AddParticipantsBody,
  CreateConversationBody,
  ListConversationsQuery,
  PatchConversationBody,
  PostMessageBody,
  ThreadQuery,
  limits,
} from '@secure-inbox/protocol';
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { addParticipants, changeState, conversationView, patchConversation, type StateChange } from '../domain/conversations.js';
import { conversationDetails } from '../domain/conversation-details.js';
import { listPageJson } from '../domain/list-cache.js';
import { withMentions } from '../domain/mentions.js';
import { threadPage } from '../domain/messages.js';
import { recordSeen } from '../domain/seen.js';
import { loadVisibleConversation } from '../domain/visibility.js';
import { jsonBody, query } from '../validate.js';

const stateChanges: readonly StateChange[] = ['read', 'unread', 'trash', 'restore', 'leave'];

export const conversations = new Hono<AppEnv>()
  .get('/', query(ListConversationsQuery), async (c) => {
    // A page the viewer asked for before is served again while nothing they see changed (domain/list-cache.ts).
    const { db, config } = c.get('deps');
    const json = await listPageJson(db, c.get('viewer'), c.req.valid('query'), config.pageCacheBytes);
    return c.body(json, 200, { 'Content-Type': 'application/json' });
  })
  .post('/', jsonBody(CreateConversationBody), async (c) => {
    // Sends are committed in groups, answered after the commit (domain/writes.ts).
    const conversation = await c.get('deps').writes.createConversation(c.get('viewer'), c.req.valid('json'));
    return c.json({ conversation }, 201);
  })
  .get('/:id', query(ThreadQuery), async (c) => {
    const { db } = c.get('deps');
    const viewer = c.get('viewer');
    const { before, limit } = c.req.valid('query');
    const row = await loadVisibleConversation(db, viewer, c.req.param('id'));
    const page = await threadPage(db, viewer, row.id, before, limit ?? limits.threadPage.default);
    const messages = await withMentions(db, viewer, page.messages);
    const conversation = await conversationView(db, viewer, row);
    const details = await conversationDetails(db, viewer, row);
    return c.json({ conversation: { ...conversation, ...details }, ...page, messages });
  })
  .patch('/:id', jsonBody(PatchConversationBody), async (c) => {
    const conversation = await patchConversation(c.get('deps').db, c.get('viewer'), c.req.param('id'), c.req.valid('json'));
    return c.json({ conversation });
  })
  .post('/:id/messages', jsonBody(PostMessageBody), async (c) => {
    const { writes, db } = c.get('deps');
    const written = await writes.postMessage(c.get('viewer'), c.req.param('id'), c.req.valid('json'));
    const [message] = await withMentions(db, c.get('viewer'), [written]);
    return c.json({ message }, 201);
  })
  .post('/:id/participants', jsonBody(AddParticipantsBody), async (c) => {
    const conversation = await addParticipants(c.get('deps').db, c.get('viewer'), c.req.param('id'), c.req.valid('json'));
    return c.json({ conversation });
  })
  .post('/:id/:change{read|unread|trash|restore|leave}', async (c) => {
    const change = c.req.param('change') as StateChange;
    if (!stateChanges.includes(change)) throw new Error('unreachable: the route pattern lists the changes');
    await changeState(c.get('deps').db, c.get('viewer'), c.req.param('id'), change);
    if (change === 'read') await recordSeen(c.get('deps').db, c.get('viewer'), c.req.param('id'));
    return c.body(null, 204);
  });
